/**
 * The job process's side of the rescale history (metadata/rescale-history.ts): every rescale the
 * elastic scaler runs, whatever triggered it, is recorded when it is taken up, at each step it
 * reports, and when it ends. Writes of one job go out in order, one at a time; a write that fails
 * is logged and the next one carries the whole record again.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { RescalePhase, RescaleRecord, RescaleTrigger, ResourceRequirements } from '../metadata/index.js';
import type { JobGraph } from '../runtime/job-graph.js';
import { describeError } from '../runtime/errors.js';
import type { JobStatusStore } from './job-master-services.js';
import { slotsNeeded, type JobScale } from './job-scale.js';
import type { RescaleResult } from './rescale-statistics.js';

const newId = (): string => randomBytes(16).toString('hex');

export interface RescaleStart {
  trigger: RescaleTrigger;
  triggerId?: string;
  /** The scale now. */
  before: JobScale;
  /** Per vertex, the parallelism the requirements ask for. */
  desired: Map<string, number>;
  requirements: ResourceRequirements;
}

export class RescaleHistory {
  private requirementsId = newId();
  private attempts = 0;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Pick<JobStatusStore, 'putRescale' | 'rescaleHistory'>,
    private readonly jobId: string,
    private readonly graph: JobGraph,
    /** How many rescales the history keeps; 0 records none. */
    private readonly keep: number,
    private readonly log: Logger,
  ) {}

  /** A new request (new requirements): the rescales that follow count their attempts afresh. */
  newRequirements(): void {
    this.requirementsId = newId();
    this.attempts = 0;
  }

  /** A rescale is taken up: recorded IN_PROGRESS. */
  begin(s: RescaleStart): RescaleEntry {
    const r: RescaleRecord = {
      id: newId(), requirementsId: this.requirementsId, attempt: ++this.attempts, trigger: s.trigger, triggerId: s.triggerId ?? null,
      status: 'IN_PROGRESS', failureCause: null, startTime: Date.now(), endTime: null,
      vertices: this.graph.vertices.map((v) => ({
        id: v.id, name: v.name, desired: s.desired.get(v.id) ?? s.before.get(v.id)!.parallelism,
        sufficient: s.requirements[v.id]?.parallelism.lowerBound ?? 1, before: s.before.get(v.id)!.parallelism, after: null,
      })),
      slots: {
        desired: slotsNeeded(s.desired),
        minimal: Math.max(1, ...this.graph.vertices.map((v) => s.requirements[v.id]?.parallelism.lowerBound ?? 1)),
        before: slotsNeeded(s.before), after: null,
      },
      phases: [], taskManagers: null, statistics: null,
    };
    const entry = new RescaleEntry(r, () => this.write(r));
    this.write(r);
    return entry;
  }

  private write(r: RescaleRecord): void {
    if (this.keep <= 0) return;
    const copy = structuredClone(r);
    this.writes = this.writes.then(() => this.store.putRescale(this.jobId, copy, this.keep)).catch((err: Error) => {
      this.log.warn({ err: err.message, rescale: copy.id, status: copy.status }, 'could not record the rescale in the job\'s rescale history; its next update writes it again');
    });
  }

  /**
   * Rescales an earlier job process of this job recorded and never ended (it died): they end
   * FAILED with `cause`. Returns how many.
   */
  async failAbandoned(cause: string): Promise<number> {
    if (this.keep <= 0) return 0;
    const { rescales } = await this.store.rescaleHistory(this.jobId);
    const abandoned = rescales.filter((r) => r.status === 'IN_PROGRESS');
    for (const r of abandoned) new RescaleEntry(r, () => this.write(r)).failed(cause, { added: [], released: [] });
    await this.flushed();
    return abandoned.length;
  }

  /** Resolves once the writes so far went out (or failed and were logged). */
  flushed(): Promise<void> { return this.writes; }
}

/** One rescale being recorded. */
export class RescaleEntry {
  constructor(private readonly r: RescaleRecord, private readonly save: () => void) {}

  get id(): string { return this.r.id; }

  /** The rescale reached a new step (what the operation's progress says). */
  phase(phase: string): void {
    const now = Date.now();
    const last = this.r.phases.at(-1);
    if (last?.phase === phase) return;
    if (last) last.leave = now;
    this.r.phases.push({ phase, enter: now, leave: null, error: null });
    this.save();
  }

  /** It ended: COMPLETED, or IGNORED when nothing had to change. */
  completed(result: RescaleResult, taskManagers: { added: string[]; released: string[] }): void {
    this.end(result.noop ? 'IGNORED' : 'COMPLETED');
    for (const v of this.r.vertices) v.after = result.parallelism.after[v.id] ?? v.before;
    this.r.slots.after = Math.max(1, ...this.r.vertices.map((v) => v.after!));
    this.r.statistics = result;
    this.r.taskManagers = taskManagers;
    this.save();
  }

  /** It failed with `err` (an error, or the cause in words). */
  failed(err: unknown, taskManagers: { added: string[]; released: string[] }): void {
    const cause = typeof err === 'string' ? err : describeError(err);
    this.end('FAILED');
    this.r.failureCause = cause;
    const last = this.r.phases.at(-1);
    if (last) last.error = cause;
    this.r.taskManagers = taskManagers;
    this.save();
  }

  private end(status: RescaleRecord['status']): void {
    const now = Date.now();
    this.r.status = status;
    this.r.endTime = now;
    const last: RescalePhase | undefined = this.r.phases.at(-1);
    if (last && last.leave === null) last.leave = now;
  }
}
