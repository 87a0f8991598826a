/**
 * The autoscaler's last decisions (`job.autoscaler.history.max.count`), newest first: when, which
 * vertex from what to what and why, and what became of it — pending, the rescale request and its
 * result, recommend-only, ineffective, unsatisfiable.
 */
import type { Decision, LimitCode, ReasonCode } from './decision-types.js';

export type DecisionOutcome =
  /** Asked for; no outcome reported yet. */
  | 'pending'
  | 'completed'
  /** Completed below what was asked for (the resource provider gave fewer TaskManagers). */
  | 'partial'
  | 'failed'
  /** The resource provider did not give the TaskManagers within the resource wait timeout. */
  | 'unsatisfiable'
  /** Completed, but a vertex's capacity did not rise as predicted. */
  | 'ineffective'
  /** `job.autoscaler.scaling.enabled` is false: shown, not done. */
  | 'recommend-only'
  /** No outcome was reported within PENDING_LIMIT_MS. */
  | 'lost';

export interface DecisionChange {
  vertexId: string;
  from: number;
  to: number;
  reason: ReasonCode;
  limits: LimitCode[];
  text: string;
}

export interface IneffectiveScaling {
  vertexId: string;
  from: number;
  to: number;
  /** Records per second at full busy time of the busiest subtask, before and after; and as predicted. */
  capacityBefore: number;
  capacityAfter: number;
  predicted: number;
}

export interface DecisionRecord {
  id: number;
  /** When it was decided (ms since the epoch). */
  timestamp: number;
  changes: DecisionChange[];
  outcome: DecisionOutcome;
  /** The rescale request (operation or trigger id) that carried it out. */
  requestId?: string;
  endedAt?: number;
  error?: string;
  result?: { parallelism: Record<string, number>; durationMs: number };
  ineffective?: IneffectiveScaling[];
}

export class DecisionHistory {
  private records: DecisionRecord[] = [];
  private nextId = 1;

  constructor(private size: number) {}

  resize(size: number): void {
    this.size = size;
    this.records.length = Math.min(this.records.length, size);
  }

  /** A rescale asked for. */
  begin(now: number, decision: Decision, changes: Record<string, number>): DecisionRecord {
    return this.add({ id: this.nextId++, timestamp: now, changes: changesOf(decision, changes), outcome: 'pending' });
  }

  /** A rescale recommended only; the same recommendation as the newest record is not repeated. */
  recommend(now: number, decision: Decision, changes: Record<string, number>): DecisionRecord {
    const list = changesOf(decision, changes);
    const newest = this.records[0];
    const same = (a: DecisionChange[], b: DecisionChange[]) => a.length === b.length && a.every((c, i) => c.vertexId === b[i]!.vertexId && c.from === b[i]!.from && c.to === b[i]!.to);
    if (newest?.outcome === 'recommend-only' && same(newest.changes, list)) return newest;
    return this.add({ id: this.nextId++, timestamp: now, changes: list, outcome: 'recommend-only' });
  }

  settle(r: DecisionRecord, outcome: DecisionOutcome, now: number, error?: string, result?: DecisionRecord['result']): void {
    r.outcome = outcome;
    r.endedAt = now;
    if (error !== undefined) r.error = error;
    if (result) r.result = result;
  }

  ineffective(r: DecisionRecord, info: IneffectiveScaling): void {
    r.outcome = 'ineffective';
    (r.ineffective ??= []).push(info);
  }

  /**
   * Takes up the history an earlier job process of this job published (newest first): ids go on from
   * its newest, and a decision it left pending is lost (its rescale ended with that process).
   */
  restore(records: readonly DecisionRecord[], now: number, lostBecause: string): void {
    this.records = structuredClone(records.slice(0, Math.max(0, this.size)));
    for (const r of this.records) if (r.outcome === 'pending') this.settle(r, 'lost', now, lostBecause);
    this.nextId = Math.max(this.nextId, ...records.map((r) => r.id + 1));
  }

  /** Newest first (copies). */
  list(): DecisionRecord[] {
    return structuredClone(this.records);
  }

  private add(r: DecisionRecord): DecisionRecord {
    if (this.size > 0) {
      this.records.unshift(r);
      this.records.length = Math.min(this.records.length, this.size);
    }
    return r;
  }
}

function changesOf(decision: Decision, changes: Record<string, number>): DecisionChange[] {
  return Object.entries(changes).sort(([a], [b]) => a.localeCompare(b)).map(([vertexId, to]) => {
    const d = decision.vertices.find((x) => x.vertexId === vertexId);
    const from = d?.current ?? to;
    return { vertexId, from, to, reason: d?.reason ?? (to > from ? 'scale-up' : 'scale-down'), limits: d ? [...d.limits] : [], text: d?.text ?? '' };
  });
}
