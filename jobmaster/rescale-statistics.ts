/**
 * What an in-place rescale did, as openapi.yaml's RescaleResult: key groups and
 * state bytes moved against the least a balanced, fewest-moves plan could move,
 * the subtasks' hold and load times (from their RescaleLoaded reports) and the
 * subtasks kept, added and retired. Pure bookkeeping over finished rescales;
 * rescale-coordinator.ts gathers the inputs.
 */
import type { ebbflow } from '../proto/generated/rpc.js';
import { countMoves, minimumMoves, rescaleTable } from '../state/key-group-assignment.js';
import type { JobScale } from './job-scale.js';

/** What an in-place rescale did: the RescaleResult of openapi.yaml (a rescale operation's `result`). */
export type RescaleResult = import('../rest/index.js').RescaleResult;

/** One subtask's report that it switched and loaded the state it gained. */
export type LoadStats = ebbflow.rpc.RescaleLoaded.$Properties;

/** A rescale that switched: its checkpoint, the subtasks per role, keyed state sizes at the switch. */
export interface SwitchedRescale {
  checkpointId: number;
  kept: readonly unknown[];
  added: readonly unknown[];
  retiring: readonly unknown[];
  /** Keyed state per key group as of the switch checkpoint. */
  sizesAtSwitch: { perKeyGroup: Map<string, Float64Array>; total: number } | undefined;
}

/** One rescale checkpoint of a rescale (one batch of its moves), with its subtasks' load reports. */
export interface Step extends SwitchedRescale {
  loads: LoadStats[];
  durationMs: number;
  keyGroupsMoved: number;
}

/** Key groups that change owner from `before` to `after`, over all keyed vertices. */
export function movedKeyGroups(before: JobScale, after: JobScale): number {
  let n = 0;
  for (const [id, v] of after) {
    const b = before.get(id)?.owners;
    if (b && v.owners) n += countMoves(b, v.owners);
  }
  return n;
}

/**
 * The RescaleResult of a rescale done in `steps` (its batches, rescale-batches.ts), from `before` to
 * `after`: key groups and bytes over all batches, the longest hold and load of any batch, the
 * subtasks kept through all of them, and each batch in `batches`.
 */
export function batchedResult(t0: number, before: JobScale, after: JobScale, steps: Step[]): RescaleResult {
  const first = steps[0]!, last = steps[steps.length - 1]!;
  const retired = new Set(steps.flatMap((s) => s.retiring));
  const switched: SwitchedRescale = {
    checkpointId: last.checkpointId,
    kept: [...first.kept, ...first.retiring].filter((e) => !retired.has(e)),
    added: steps.flatMap((s) => s.added),
    retiring: [...retired],
    sizesAtSwitch: first.sizesAtSwitch,
  };
  const max = (ls: LoadStats[], f: (l: LoadStats) => number) => ls.reduce((m, l) => Math.max(m, f(l)), 0);
  return {
    ...rescaleResult(t0, before, after, switched, steps.flatMap((s) => s.loads)),
    batches: steps.map((s) => ({
      checkpointId: s.checkpointId,
      keyGroups: s.keyGroupsMoved,
      stateBytes: s.loads.reduce((m, l) => m + Number(l.bytes ?? 0), 0),
      maxHoldMs: max(s.loads, (l) => l.maxHoldMs ?? 0),
      maxLoadMs: max(s.loads, (l) => l.loadMs ?? 0),
      durationMs: s.durationMs,
    })),
  };
}

/** Vertex id → parallelism, as logged and as reported. */
export const parallelismRecord = (s: JobScale): Record<string, number> =>
  Object.fromEntries([...s].map(([id, v]) => [id, v.parallelism]));

/**
 * The RescaleResult of a rescale from `before` to `after` started at `t0`; `switched` is null
 * (or undefined) when nothing was to do, and `loads` are the subtasks' RescaleLoaded reports.
 */
export function rescaleResult(
  t0: number, before: JobScale, after: JobScale, switched: SwitchedRescale | undefined | null, loads: LoadStats[],
): RescaleResult {
  let moved = 0, minimum = 0, total = 0, bytesMinimum = 0;
  const sizes = switched?.sizesAtSwitch;
  for (const [id, v] of after) {
    const b = before.get(id)!;
    if (!v.owners || !b.owners) continue;
    moved += countMoves(b.owners, v.owners);
    minimum += minimumMoves(b.owners, b.parallelism, v.parallelism);
    total += v.owners.length;
    // The least a balanced result with the fewest moves can move, at the switch checkpoint's sizes.
    const w = sizes?.perKeyGroup.get(id);
    if (w) {
      const ideal = rescaleTable(b.owners, b.parallelism, v.parallelism, w);
      for (let kg = 0; kg < ideal.length; kg++) if (ideal[kg] !== b.owners[kg]) bytesMinimum += w[kg]!;
    }
  }
  const bytesTotal = sizes?.total ?? 0;
  const sum = (f: (l: LoadStats) => number) => loads.reduce((s, l) => s + f(l), 0);
  const max = (f: (l: LoadStats) => number) => loads.reduce((s, l) => Math.max(s, f(l)), 0);
  return {
    noop: !switched,
    checkpointId: switched?.checkpointId ?? null,
    durationMs: Date.now() - t0,
    parallelism: { before: parallelismRecord(before), after: parallelismRecord(after) },
    keyGroups: { moved, minimum, total },
    stateBytes: { moved: sum((l) => Number(l.bytes ?? 0)), minimum: bytesMinimum, total: bytesTotal },
    streamsMoved: sum((l) => l.streams ?? 0),
    maxHoldMs: max((l) => l.maxHoldMs ?? 0),
    maxLoadMs: max((l) => l.loadMs ?? 0),
    heldRecords: sum((l) => l.heldRecords ?? 0),
    subtasks: { kept: switched?.kept.length ?? 0, added: switched?.added.length ?? 0, retired: switched?.retiring.length ?? 0 },
  };
}
