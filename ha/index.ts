/** High availability of the dispatcher: leader election with a fencing epoch over Redis. */
export { LeaderElection, leaderKey } from './leader-election.js';
export type { LeaderElectionOptions, LeaderInfo } from './leader-election.js';
