/**
 * Gained state goes in place without holding up the output of key groups that did not move:
 * - A source subtask that gains streams holds its watermark until their positions are in place, and
 *   every window downstream waits for it. The positions go in place as soon as they are read: the
 *   rescaler wakes the source out of its wait for input (a blocked read would keep them waiting).
 * - A keyed subtask puts gained key groups in place a slice at a time, its loop taking input in
 *   between; the held records are applied once all of them are in place.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
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

describe('rescale: a keyed subtask that gains key groups', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebbflow-slices-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('puts them in place a slice at a time, woken again between slices, and releases the held records after the last', async () => {
    // Three gained key groups in old subtask 0's file; putting each in place takes ~15 ms (> a slice).
    const values = [5, 6, 7].map((kg) => ({ kg, bytes: serialize({ kg }) }));
    let offset = 0;
    const keyGroupIndex = values.map(({ kg, bytes }) => { const e = { keyGroup: kg, operatorId: 1, offset, length: bytes.length }; offset += bytes.length; return e; });
    writeFileSync(join(dir, 'keyed-0'), Buffer.concat(values.map((v) => v.bytes)));
    const restoredKgs: number[] = [];
    const busy = (ms: number) => { const end = Date.now() + ms; while (Date.now() < end) { /* a slow deserialization */ } };
    const chain = {
      checkpointed: [{ operatorId: 1, restoreKeyedState: (kg: number, v: unknown) => { busy(15); restoredKgs.push((v as { kg: number }).kg); expect(kg).toBe((v as { kg: number }).kg); } }],
    } as unknown as Chain;
    const spec = { subtaskIndex: 1, parallelism: 2, vertexId: 'win', keyGroups: [5, 6, 7], loadAfterCheckpoint: 9, restorePath: dir, loadFrom: [0] } as unknown as SubtaskSpec;
    const rescaled: RescaleStats[] = [];
    const r = new Rescaler({} as JobPlan, spec, { rescaled: (st) => { rescaled.push(st); } }, (err) => { throw err; });
    r.startAsAdded(chain, 0);
    let held: ReadonlySet<number> | undefined;
    let released = 0;
    const input = { hold: (kgs: ReadonlySet<number>) => { held = kgs; }, release: () => { released++; return { heldRecords: 2, maxHoldMs: 1 }; } };
    let wakes = 0;
    r.attachInput(input as never, () => { wakes++; });
    expect([...held!]).toEqual([5, 6, 7]);
    r.stateReady(9, SubtaskState.encode({ subtaskIndex: 0, keyedStateFile: 'keyed-0', keyGroupIndex }).finish());
    await waitFor('the state to be read', () => wakes > 0 || undefined, 2000);
    expect(r.loadingState).toBe(true);
    // First slice: one key group, then the loop is woken again (after a turn), the records still held.
    await r.applyIfLoaded(chain);
    expect(restoredKgs).toEqual([5]);
    expect(released).toBe(0);
    const w = wakes;
    await waitFor('the next slice\'s wake', () => wakes > w || undefined, 2000);
    await r.applyIfLoaded(chain);
    expect(restoredKgs).toEqual([5, 6]);
    expect(released).toBe(0);
    await r.applyIfLoaded(chain);
    expect(restoredKgs).toEqual([5, 6, 7]);
    expect(released).toBe(1);
    expect(r.loadingState).toBe(false);
    expect(rescaled).toMatchObject([{ checkpointId: 9, keyGroups: 3, heldRecords: 2 }]);
  });
});
