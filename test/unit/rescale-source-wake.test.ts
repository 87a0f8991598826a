/**
 * A source subtask that gains streams at a rescale holds its watermark until their positions are in
 * place, and every window downstream waits for it, moved key group or not. The positions must go in
 * place as soon as they are read: the rescaler wakes the source out of its wait for input (a blocked
 * read would otherwise keep them waiting until it times out).
 */
import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { SubtaskState } from '../../runtime/checkpoint/snapshot-io.js';
import type { Chain } from '../../runtime/chain-builder.js';
import type { JobPlan } from '../../runtime/plan.js';
import { Rescaler, type RescaleStats } from '../../runtime/rescale.js';
import type { SubtaskSpec } from '../../runtime/subtask-spec.js';
import { waitFor } from '../helpers/wait-for.js';

describe('rescale: a source that gains streams', () => {
  it('is woken once the gained positions are read, and puts them in place', async () => {
    const loadedWith: unknown[] = [];
    const chain = {
      source: { operatorId: 1, reassign: () => 1, loadStreams: async (states: unknown) => { loadedWith.push(states); } },
      checkpointed: [],
    } as unknown as Chain;
    // An added source subtask (index 2 of 3) that gains a stream from old subtask 0 at checkpoint 7.
    const spec = { subtaskIndex: 2, parallelism: 3, vertexId: 'src', keyGroups: [], loadAfterCheckpoint: 7, restorePath: '/nonexistent/chk-7', loadFrom: [0] } as unknown as SubtaskSpec;
    const rescaled: RescaleStats[] = [];
    const failures: Error[] = [];
    const r = new Rescaler({} as JobPlan, spec, { rescaled: (s) => { rescaled.push(s); } }, (err) => { failures.push(err); });
    r.startAsAdded(chain, 0);
    let woken = 0;
    r.attachSource(() => { woken++; });
    expect(woken).toBe(0);
    // Old subtask 0 acknowledged checkpoint 7: its positions (operator state 1) are forwarded.
    const positions = { 's:1': '1-0' };
    r.stateReady(7, SubtaskState.encode({ subtaskIndex: 0, operatorState: serialize({ 1: positions }) }).finish());
    await waitFor('the source to be woken', () => woken > 0 || undefined, 2000);
    expect(failures).toEqual([]);
    expect(rescaled).toEqual([]);
    // The source's loop, woken, puts them in place.
    await r.applyIfLoaded(chain);
    expect(loadedWith).toEqual([[{ subtaskIndex: 0, parallelism: 0, state: positions }]]);
    expect(rescaled).toMatchObject([{ checkpointId: 7, streams: 1 }]);
  });
});
