/**
 * A rescale's statistics (openapi.yaml's RescaleResult): key groups moved against the fewest
 * possible, state bytes moved against the least a balanced plan moves at the switch checkpoint's
 * sizes, the subtasks' load reports summed or maximised, and a rescale with nothing to do.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobScale } from '../../jobmaster/job-scale.js';
import { rescaleResult, type SwitchedRescale } from '../../jobmaster/rescale-statistics.js';
import { contiguousTable, rescaleTable } from '../../state/key-group-assignment.js';

afterEach(() => { vi.useRealTimers(); });

// A source (no key groups) and a keyed vertex of 8 key groups, 2 → 3 subtasks.
const prev = contiguousTable(8, 2); // [0,0,0,0,1,1,1,1]
const before: JobScale = new Map([['src', { parallelism: 2, owners: undefined }], ['win', { parallelism: 2, owners: prev }]]);
// Planned without sizes: key groups 3 and 7 move to the new subtask.
const after: JobScale = new Map([['src', { parallelism: 3, owners: undefined }], ['win', { parallelism: 3, owners: rescaleTable(prev, 2, 3) }]]);

describe('rescale statistics', () => {
  it('reports moved key groups and bytes against the minimum, and sums or maximises the load reports', () => {
    vi.useFakeTimers();
    vi.setSystemTime(10_000);
    // At these sizes the lightest plan moves key groups 0 (1 byte) and 4 (5 bytes).
    const switched: SwitchedRescale = {
      checkpointId: 7, kept: [1, 2, 3, 4], added: [5, 6], retiring: [],
      sizesAtSwitch: { perKeyGroup: new Map([['win', Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8])]]), total: 36 },
    };
    const loads = [
      { executionId: 'a', checkpointId: 7, bytes: 4, streams: 1, maxHoldMs: 30, loadMs: 12, heldRecords: 5 },
      { executionId: 'b', checkpointId: 7, bytes: 8, streams: 2, maxHoldMs: 10, loadMs: 40, heldRecords: 1 },
    ];
    expect(rescaleResult(9_250, before, after, switched, loads)).toEqual({
      noop: false,
      checkpointId: 7,
      durationMs: 750,
      parallelism: { before: { src: 2, win: 2 }, after: { src: 3, win: 3 } },
      keyGroups: { moved: 2, minimum: 2, total: 8 },
      stateBytes: { moved: 12, minimum: 6, total: 36 },
      streamsMoved: 3,
      maxHoldMs: 30,
      maxLoadMs: 40,
      heldRecords: 6,
      subtasks: { kept: 4, added: 2, retired: 0 },
    });
  });

  it('a rescale to the current scale is a no-op with nothing moved', () => {
    const r = rescaleResult(Date.now(), before, before, null, []);
    expect(r).toMatchObject({
      noop: true, checkpointId: null, keyGroups: { moved: 0, minimum: 0, total: 8 }, stateBytes: { moved: 0, minimum: 0, total: 0 },
      streamsMoved: 0, maxHoldMs: 0, maxLoadMs: 0, heldRecords: 0, subtasks: { kept: 0, added: 0, retired: 0 },
    });
  });
});
