/**
 * Task reconciliation for the Mesos driver (Flink's ReconciliationCoordinator):
 * - explicit, after every SUBSCRIBED: every task the driver believes launched or being killed,
 *   resent with backoff (5 s doubling to 60 s, 20 % jitter) until each has answered;
 * - implicit, after every SUBSCRIBED and then periodically: every task Mesos runs for the
 *   framework (answers about unknown tasks make the driver kill them);
 * - one task at a time, when a launched task stays silent past the staging timeout.
 * The answers come back as ordinary status updates; `answered` is told of each.
 */
import type { Logger } from 'pino';
import type { SchedulerClient } from './scheduler-client.js';

export interface ReconcileTask { taskId: string; agentId?: string }

export class Reconciler {
  private readonly awaiting = new Set<string>();
  private explicitTimer: NodeJS.Timeout | undefined;
  private implicitTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  sent = 0;

  constructor(
    private readonly client: SchedulerClient,
    private readonly logger: Logger,
    private readonly implicitEveryMs: number,
  ) {}

  /** A new subscription: reconcile `tasks` explicitly (until answered) and everything implicitly. */
  subscribed(tasks: ReconcileTask[]): void {
    this.awaiting.clear();
    for (const t of tasks) this.awaiting.add(t.taskId);
    this.explicit(0, new Map(tasks.map((t) => [t.taskId, t])));
    this.implicit();
  }

  /** A status update arrived for the task. */
  answered(taskId: string): void {
    this.awaiting.delete(taskId);
  }

  /** Reconciles one task now (a launch that stayed silent). */
  one(task: ReconcileTask): void {
    this.call([task], 'RECONCILE');
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.explicitTimer);
    clearTimeout(this.implicitTimer);
  }

  private call(tasks: ReconcileTask[], what: string): void {
    this.sent++;
    void this.client.call({ type: 'RECONCILE', reconcile: { tasks: tasks.map((t) => ({ task_id: { value: t.taskId }, ...(t.agentId ? { agent_id: { value: t.agentId } } : {}) })) } })
      .catch((err: Error) => this.logger.warn({ err: err.message }, `${what} failed`));
  }

  private explicit(round: number, known: Map<string, ReconcileTask>): void {
    clearTimeout(this.explicitTimer);
    if (this.stopped || !this.awaiting.size || !this.client.connected) return;
    this.call([...this.awaiting].map((id) => known.get(id)!).filter(Boolean), 'RECONCILE');
    const delay = Math.min(5000 * 2 ** round, 60_000) * (1 + Math.random() * 0.2);
    this.explicitTimer = setTimeout(() => this.explicit(round + 1, known), delay);
    this.explicitTimer.unref();
  }

  private implicit(): void {
    clearTimeout(this.implicitTimer);
    if (this.stopped) return;
    if (this.client.connected) this.call([], 'implicit RECONCILE');
    this.implicitTimer = setTimeout(() => this.implicit(), this.implicitEveryMs);
    this.implicitTimer.unref();
  }
}
