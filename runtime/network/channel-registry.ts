/**
 * Per-TaskManager table of input gates, addressed by (channel id, consumer
 * subtask index). Producers in the same process write to the gate directly; the
 * data server delivers remote producers' batches to the same gate.
 *
 * Which remote producers may connect is decided here (`admit`), from what the
 * deployed consumers claimed: a consumer subtask claims its input gates when it
 * starts (its execution id, how many producers feed it, and, while a rescale is
 * prepared, how many will after the switch). A channel header is accepted only
 * when it names a claimed gate, the consumer execution that claimed it and a
 * producer index the consumer expects; one of an attempt older than one this
 * TaskManager runs, of an edge the job does not have, naming another
 * consumer execution, or a producer that runs on this TaskManager (it writes
 * in memory) is refused; one that may still become valid (its consumer
 * not deployed yet, a producer a prepared rescale has not announced yet) waits.
 */
import type { ChannelCredentials } from './handshake.js';
import { InputGate } from './input-gate.js';
import type { ChannelHeader } from './frames.js';

/** The channel id of an edge within one execution attempt, so a restarted attempt never sees old data. */
export const channelId = (edgeId: string, attempt: number): string => `${edgeId}#${attempt}`;

/** The edge and attempt of a channel id (`<edge>#<attempt>`). */
export function parseChannelId(id: string): { edgeId: string; attempt: number } {
  const at = id.lastIndexOf('#');
  return { edgeId: id.slice(0, at), attempt: Number(id.slice(at + 1)) };
}

/** What a deployed consumer subtask expects on one of its input gates. */
export interface ChannelClaim {
  /** The consumer's execution: headers must name it (a producer of another deployment is refused). */
  executionId: string;
  /** Producers feed channels 0..producers-1. */
  producers: number;
  /** While a rescale is prepared: the producer count after its switch (its new producers may connect early). */
  preparedProducers: number;
  /** No producer index reaches this (the job's max parallelism). */
  maxProducers: number;
  /** Producers on this TaskManager (now, or after a prepared rescale): they write in memory, never over a connection. */
  localProducers: ReadonlySet<number>;
}

/** The registry's answer to a channel header. */
export type Admission = { accept: InputGate } | { refuse: string } | { wait: string };

export class ChannelRegistry {
  private readonly gates = new Map<string, InputGate>();
  /** What this TaskManager's producers prove to remote data servers (the job's data secret); unset: no handshake (tests). */
  credentials: ChannelCredentials | undefined;
  private readonly claims = new Map<string, ChannelClaim>();
  /** The newest attempt deployed here; channels of older attempts are refused. */
  private latestAttempt = 0;
  /** The job graph's edge ids, once a plan is known here (before: any edge may still become valid). */
  private knownEdges: ReadonlySet<string> | undefined;
  private readonly listeners = new Set<() => void>();

  static key(edgeId: string, consumerIndex: number): string {
    return `${edgeId}/${consumerIndex}`;
  }

  /** The gate for this channel and consumer, created on first use by either side (local producers use it directly). */
  gate(edgeId: string, consumerIndex: number): InputGate {
    const key = ChannelRegistry.key(edgeId, consumerIndex);
    let g = this.gates.get(key);
    if (!g) this.gates.set(key, (g = new InputGate()));
    return g;
  }

  /** A consumer subtask deployed here expects producers on this gate (or, again, after a rescale switch). */
  claim(edgeId: string, consumerIndex: number, claim: Omit<ChannelClaim, 'preparedProducers' | 'localProducers'> & { localProducers?: ReadonlySet<number> }): void {
    this.noteAttempt(parseChannelId(edgeId).attempt);
    this.claims.set(ChannelRegistry.key(edgeId, consumerIndex), { preparedProducers: 0, localProducers: new Set(), ...claim });
    this.changed();
  }

  /**
   * A rescale is prepared for the claiming consumer: after its switch `producers` producers feed the
   * gate, those in `localProducers` on this TaskManager.
   */
  prepare(edgeId: string, consumerIndex: number, producers: number, localProducers: Iterable<number> = []): void {
    const c = this.claims.get(ChannelRegistry.key(edgeId, consumerIndex));
    if (!c) return;
    c.preparedProducers = producers;
    c.localProducers = new Set([...c.localProducers, ...localProducers]);
    this.changed();
  }

  /** An attempt is deployed here: channels of earlier attempts are stale from now on. */
  noteAttempt(attempt: number): void {
    if (attempt <= this.latestAttempt) return;
    this.latestAttempt = attempt;
    this.changed();
  }

  /**
   * Forgets every gate, claim and attempt (a TaskManager taken over by a new JobMaster, once the
   * subtasks of the old one ended): the new JobMaster counts its attempts from 0 again. The known
   * edges stay (the same job).
   */
  reset(): void {
    for (const g of this.gates.values()) g.close();
    this.gates.clear();
    this.claims.clear();
    this.latestAttempt = 0;
    this.changed();
  }

  /** The job graph's edges (from a plan of the job): a header naming another edge is refused. */
  knowEdges(edgeIds: Iterable<string>): void {
    if (this.knownEdges) return;
    this.knownEdges = new Set(edgeIds);
    this.changed();
  }

  /** Calls `listener` whenever a claim, the latest attempt or the known edges change (waiting headers are looked at again). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether a remote producer's channel header is accepted now, refused, or may become valid later. */
  admit(h: ChannelHeader): Admission {
    const { edgeId, attempt } = parseChannelId(h.edgeId);
    const channel = `channel ${h.edgeId} (consumer ${h.consumer}, producer ${h.producer})`;
    if (this.knownEdges && !this.knownEdges.has(edgeId)) return { refuse: `${channel}: the job has no edge ${edgeId}` };
    if (attempt < this.latestAttempt) return { refuse: `${channel}: attempt ${attempt} is stale (this TaskManager runs attempt ${this.latestAttempt})` };
    const key = ChannelRegistry.key(h.edgeId, h.consumer);
    const c = this.claims.get(key);
    if (!c) return { wait: `${channel}: no consumer subtask of that channel is deployed on this TaskManager` };
    if (h.consumerExecution !== c.executionId) {
      return { refuse: `${channel}: it names consumer execution ${h.consumerExecution || '(none)'}, but the consumer deployed here is execution ${c.executionId}` };
    }
    if (h.producer >= c.maxProducers) return { refuse: `${channel}: producer ${h.producer} is outside the edge (at most ${c.maxProducers} producers)` };
    if (c.localProducers.has(h.producer)) return { refuse: `${channel}: producer ${h.producer} runs on this TaskManager (its channel is in memory, never a connection)` };
    const expected = Math.max(c.producers, c.preparedProducers);
    if (h.producer >= expected) return { wait: `${channel}: producer ${h.producer} is outside the edge's ${expected} producer(s)` };
    return { accept: this.gate(h.edgeId, h.consumer) };
  }

  /**
   * The consumer is done with this gate: it closes, and its claim goes (later headers for it wait, then
   * are refused). With `executionId`, only if that execution's claim is the current one (a late release
   * of an earlier consumer must not close its successor's gate).
   */
  release(edgeId: string, consumerIndex: number, executionId?: string): void {
    const key = ChannelRegistry.key(edgeId, consumerIndex);
    const c = this.claims.get(key);
    if (executionId !== undefined && c && c.executionId !== executionId) return;
    this.gates.get(key)?.close();
    this.gates.delete(key);
    if (this.claims.delete(key)) this.changed();
  }

  closeAll(): void {
    for (const g of this.gates.values()) g.close();
    this.gates.clear();
    this.claims.clear();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
