/**
 * The channel writers of one output edge of a subtask, one per consumer it
 * sends to, indexed by the consumer's subtask index. An in-place rescale
 * rebuilds them: writers to consumers that stay where they are are kept (the
 * same connection carries the barrier and what follows it), new consumers get
 * new writers, and the writers of consumers that went away are closed.
 */
import type { IoCounters } from '../subtask-metrics.js';
import type { OutputSpec, SubtaskLocation } from '../subtask-spec.js';
import { channelId, type ChannelRegistry } from './channel-registry.js';
import { LocalChannelWriter, RemoteChannelWriter, type ChannelWriter } from './channel-writer.js';

export interface WriterContext {
  registry: ChannelRegistry;
  /** This TaskManager: consumers with the same resource id are reached in memory. */
  resourceId: string;
  subtaskIndex: number;
  attempt: number;
  /** The subtask's I/O counters (bytes sent, back-pressure); unset: not measured. */
  counters?: IoCounters;
}

interface Held { writer: ChannelWriter; location: SubtaskLocation }

/** Consumers of `out` this subtask writes to: all of them, or for FORWARD only its own index. */
export function targetsOf(out: OutputSpec, subtaskIndex: number): SubtaskLocation[] {
  const forward = out.partitioning === 'FORWARD';
  return [...out.consumers].filter((c) => !forward || c.subtaskIndex === subtaskIndex).sort((a, b) => a.subtaskIndex - b.subtaskIndex);
}

export class OutputChannels {
  private held = new Map<number, Held>();

  constructor(private readonly ctx: WriterContext) {}

  /**
   * Writers for the consumers of `out`, in consumer order (index i of the result is
   * consumer `targets[i]`). Reuses writers to unchanged locations; returns the dropped ones.
   */
  configure(out: OutputSpec): { writers: ChannelWriter[]; dropped: ChannelWriter[] } {
    const forward = out.partitioning === 'FORWARD';
    const next = new Map<number, Held>();
    const writers: ChannelWriter[] = [];
    for (const c of targetsOf(out, this.ctx.subtaskIndex)) {
      const old = this.held.get(c.subtaskIndex);
      const same = old && old.location.resourceId === c.resourceId && old.location.dataHost === c.dataHost && old.location.dataPort === c.dataPort
        && old.location.executionId === c.executionId;
      const h = same ? old : { writer: this.create(out, c, forward), location: c };
      next.set(c.subtaskIndex, h);
      writers.push(h.writer);
    }
    const dropped = [...this.held].filter(([i, h]) => next.get(i) !== h).map(([, h]) => h.writer);
    this.held = next;
    return { writers, dropped };
  }

  private create(out: OutputSpec, c: SubtaskLocation, forward: boolean): ChannelWriter {
    // A forward edge connects subtask i to subtask i only, as that consumer's single channel 0.
    const header = { edgeId: channelId(out.edgeId, this.ctx.attempt), consumer: c.subtaskIndex, producer: forward ? 0 : this.ctx.subtaskIndex, consumerExecution: c.executionId };
    return c.resourceId === this.ctx.resourceId
      ? new LocalChannelWriter(this.ctx.registry, header, this.ctx.counters)
      : new RemoteChannelWriter(c.dataHost, c.dataPort, header, this.ctx.registry.credentials, this.ctx.counters);
  }
}
