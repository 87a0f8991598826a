/**
 * Per-TaskManager table of input gates, addressed by (edge id, consumer subtask
 * index). Producers in the same process write to the gate directly; the data
 * server delivers remote producers' batches to the same gate.
 */
import type { ChannelCredentials } from './handshake.js';
import { InputGate } from './input-gate.js';

/** The channel id of an edge within one execution attempt, so a restarted attempt never sees old data. */
export const channelId = (edgeId: string, attempt: number): string => `${edgeId}#${attempt}`;

export class ChannelRegistry {
  private readonly gates = new Map<string, InputGate>();
  /** What this TaskManager's producers prove to remote data servers (the job's data secret); unset: no handshake (tests). */
  credentials: ChannelCredentials | undefined;

  static key(edgeId: string, consumerIndex: number): string {
    return `${edgeId}/${consumerIndex}`;
  }

  /** The gate for this edge and consumer, created on first use by either side. */
  gate(edgeId: string, consumerIndex: number): InputGate {
    const key = ChannelRegistry.key(edgeId, consumerIndex);
    let g = this.gates.get(key);
    if (!g) this.gates.set(key, (g = new InputGate()));
    return g;
  }

  release(edgeId: string, consumerIndex: number): void {
    const key = ChannelRegistry.key(edgeId, consumerIndex);
    this.gates.get(key)?.close();
    this.gates.delete(key);
  }

  closeAll(): void {
    for (const g of this.gates.values()) g.close();
    this.gates.clear();
  }
}
