/**
 * A TaskManager's side of JobMaster failover: what the registration answer said about it (the
 * JobMaster's epoch, where the job's leader record is, `taskmanager.registration.timeout`), and the
 * time without a JobMaster: once the lost JobMaster's subtasks ended, the wait for the next one
 * (leader-wait.ts), bounded by the registration timeout so that no TaskManager is left orphaned.
 * Separate from the TaskExecutor, which cuts the lost connection and cancels the subtasks, and
 * which registers when told to.
 */
import type { Logger } from 'pino';
import type { ebbflow } from '../proto/generated/rpc.js';
import { toNumber } from '../rpc/index.js';
import type { LeaderLocation, LeaderRetrieval } from '../rpc/leader.js';
import type { DeployedSubtasks } from './deployed-subtasks.js';
import { RedisLeaderRetrieval } from './leader-retrieval.js';
import { waitForLeader } from './leader-wait.js';

/** How long a TaskManager waits for the subtasks of a lost JobMaster to end before it gives up and exits. */
const CANCEL_WAIT_MS = 5000;

/** What a registration answer said about failover (job-leadership.ts in the JobMaster). */
interface Failover {
  epoch: number;
  where: LeaderLocation;
  timeoutMs: number;
}

export interface FailoverHost {
  logger: Logger;
  /** Reads the job's leader record. @default Redis (leader-retrieval.ts) */
  leaderRetrieval?: (where: LeaderLocation) => LeaderRetrieval;
  /** How often the leader record is read. @default 200 */
  leaderPollMs?: number;
  subtasks: Pick<DeployedSubtasks, 'endedWithin' | 'ids'>;
  stopping(): boolean;
  /** A registration was sent and not answered yet. */
  registering(): boolean;
  /** Connects to the JobMaster at host:port and sends the registration. */
  register(host: string, port: number): Promise<void>;
  exit(code: number): void;
}

export class JobMasterFailover {
  /** From the last registration answer; undefined: this TaskManager ends with its JobMaster. */
  private failover: Failover | undefined;
  /** Set while this TaskManager has no JobMaster and looks for the next one. */
  private lost: { since: number; reason: string } | undefined;
  private leaderRetrieval: LeaderRetrieval | undefined;
  private leaderWait: { cancel(): void } | undefined;
  /** Ends the wait for a new JobMaster (taskmanager.registration.timeout). */
  private graceTimer: NodeJS.Timeout | undefined;
  /** Registrations with a new JobMaster after a failover. */
  reRegistrations = 0;

  constructor(private readonly host: FailoverHost) {}

  /** Whether this TaskManager outlives its JobMaster (waiting for the next one) rather than exiting with it. */
  get enabled(): boolean { return !!this.failover; }
  get leaderless(): boolean { return !!this.lost; }
  get epoch(): number | undefined { return this.failover?.epoch; }
  get timeoutMs(): number | undefined { return this.failover?.timeoutMs; }

  /**
   * An accepted registration answer: keeps what it says about failover and, when it ends a time
   * without a JobMaster, stops waiting and returns when that time began.
   */
  registered(r: ebbflow.rpc.RegistrationResponse.$Properties): { since: number } | undefined {
    const after = this.lost;
    this.failover = r.leaderKey && r.leaderRedisUrl && r.registrationTimeoutMs
      ? { epoch: toNumber(r.leaderEpoch ?? 0), where: { redisUrl: r.leaderRedisUrl, key: r.leaderKey }, timeoutMs: r.registrationTimeoutMs }
      : undefined;
    if (after) {
      this.lost = undefined;
      this.leaderWait?.cancel();
      clearTimeout(this.graceTimer);
      this.reRegistrations++;
    }
    return after;
  }

  /** The JobMaster is gone: from now on no JobMaster's command is obeyed until the next registration. */
  markLost(reason: string): void {
    this.lost = { since: Date.now(), reason };
  }

  /**
   * Looks for the job's next JobMaster until `taskmanager.registration.timeout` passes, once the
   * (already cancelled) subtasks of the lost one ended.
   */
  awaitNext(): void {
    const failover = this.failover!;
    // No orphan: whatever the wait is busy with (a connection that hangs), it ends here.
    this.graceTimer = setTimeout(() => {
      if (!this.lost || this.host.stopping()) return;
      this.host.logger.error({ waitedMs: Date.now() - this.lost.since }, 'no new JobMaster of the job within taskmanager.registration.timeout; exiting');
      this.host.exit(1);
    }, failover.timeoutMs);
    void this.look(failover);
  }

  private async look(failover: Failover): Promise<void> {
    const { host } = this;
    const ended = await host.subtasks.endedWithin(CANCEL_WAIT_MS);
    if (host.stopping()) return;
    if (!ended) {
      host.logger.error({ subtasks: host.subtasks.ids() }, `subtasks of the lost JobMaster did not end within ${CANCEL_WAIT_MS} ms of their cancellation; exiting`);
      host.exit(1);
      return;
    }
    this.leaderRetrieval ??= (host.leaderRetrieval ?? ((w) => new RedisLeaderRetrieval(w)))(failover.where);
    this.leaderWait = waitForLeader({
      retrieval: this.leaderRetrieval, epoch: failover.epoch, pollMs: host.leaderPollMs ?? 200, logger: host.logger,
      waiting: () => !host.stopping() && !!this.lost,
      registering: () => host.registering(),
      register: (h, port) => host.register(h, port),
      exit: (code) => host.exit(code),
    });
  }

  close(): void {
    this.leaderWait?.cancel();
    clearTimeout(this.graceTimer);
    this.leaderRetrieval?.close();
  }
}
