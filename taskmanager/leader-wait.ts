/**
 * A TaskManager without a JobMaster looks for the job's next one (JobMaster failover): it reads the
 * job's leader record every `pollMs` until a JobMaster of a larger epoch than the lost one's shows
 * up, then asks the TaskExecutor to register there. The job ended (record marked or gone), or the
 * new JobMaster refusing this TaskManager's handshake, ends the wait; the registration timeout is the
 * TaskExecutor's own timer.
 */
import type { Logger } from 'pino';
import { HandshakeError } from '../runtime/errors.js';
import type { LeaderInfo, LeaderRetrieval } from '../rpc/leader.js';

export interface LeaderWaitDeps {
  retrieval: LeaderRetrieval;
  /** The epoch of the JobMaster that was lost: only a larger one is followed. */
  epoch: number;
  pollMs: number;
  logger: Logger;
  /** Still waiting (no new JobMaster registered with, not stopping). */
  waiting(): boolean;
  /** A registration was sent and is not answered yet: its answer (or its connection's close) comes first. */
  registering(): boolean;
  /** Connects to the JobMaster at host:port and sends the registration; rejects when that failed. */
  register(host: string, port: number): Promise<void>;
  /** No JobMaster will come (`code` 0: the job ended; 1: the new one does not accept this TaskManager). */
  exit(code: number): void;
}

/** host and port of `host:port` or `[v6]:port`. */
function hostPort(address: string): [string, number] {
  const sep = address.lastIndexOf(':');
  return [address.slice(0, sep).replace(/^\[(.*)\]$/, '$1'), Number(address.slice(sep + 1))];
}

/** Starts looking at once; `cancel` stops it. */
export function waitForLeader(d: LeaderWaitDeps): { cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const active = () => !cancelled && d.waiting();
  const next = () => { if (active()) timer = setTimeout(() => void look(), d.pollMs); };
  const look = async (): Promise<void> => {
    if (!active()) return;
    if (d.registering()) { next(); return; }
    let leader: LeaderInfo | undefined;
    let read = false;
    try {
      leader = await d.retrieval.current();
      read = true;
    } catch (err) {
      d.logger.debug({ err: (err as Error).message }, 'could not read the job\'s leader record');
    }
    if (!active()) return;
    // Marked ended by the dispatcher, or removed with the job: no JobMaster will come.
    if (read && (!leader || leader.ended)) {
      d.logger.info('the job ended; exiting');
      d.exit(0);
      return;
    }
    if (leader && leader.epoch > d.epoch && leader.address) {
      try {
        await d.register(...hostPort(leader.address));
        // The answer arrives on the new connection; one that closes before it does is retried at the next look.
      } catch (err) {
        if (err instanceof HandshakeError) {
          // The new JobMaster does not know this TaskManager (it was not kept for it): nothing to wait for.
          d.logger.error({ err: err.message, epoch: leader.epoch }, 'the new JobMaster of the job does not accept this TaskManager; exiting');
          d.exit(1);
          return;
        }
        d.logger.debug({ err: (err as Error).message, address: leader.address }, 'could not reach the new JobMaster yet');
      }
    }
    next();
  };
  void look();
  return { cancel: () => { cancelled = true; clearTimeout(timer); } };
}
