/**
 * State files: written in parts (at a rescale barrier the moving key groups first), and read back
 * by key-group set, from the first part alone (as a gainer does) or from the whole file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSubtaskState, readSubtaskStates, StateFileWriter, SubtaskState } from '../../runtime/checkpoint/snapshot-io.js';

const dir = mkdtempSync(join(tmpdir(), 'ebbflow-snapshot-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const blob = (keyGroup: number, value: unknown) => { const bytes = serialize(value); return { operatorId: 3, keyGroup, chunks: [bytes], length: bytes.length }; };
const roundTrip = (s: Parameters<typeof SubtaskState.encode>[0]) => decodeSubtaskState(SubtaskState.encode(s).finish());

describe('state files', () => {
  it('write the moving key groups first, readable before the rest is written, and the whole file after', async () => {
    const w = new StateFileWriter(dir, 'v-0.state', 0, [{ start: 0, end: 9 }]);
    await w.append([blob(4, { moved: 4 }), blob(7, { moved: 7 })]);
    const first = roundTrip(w.written());
    expect(first.keyedStateFile).toBe('v-0.state');
    const early = await readSubtaskStates(dir, [first], 2, new Set([4, 7]));
    expect(early.keyed.get(3)).toEqual(new Map([[4, { moved: 4 }], [7, { moved: 7 }]]));
    expect(early.keyGroups).toBe(2);
    await w.append([blob(1, { kept: 1 }), blob(9, ['x', 9n])]);
    const whole = roundTrip(await w.finish(serialize({ 3: { pos: '1-0' } })));
    const all = await readSubtaskStates(dir, [whole], 2, new Set([1, 4, 9]));
    expect(all.keyed.get(3)).toEqual(new Map([[1, { kept: 1 }], [4, { moved: 4 }], [9, ['x', 9n]]]));
    expect(all.operator.get(3)).toEqual([{ subtaskIndex: 0, parallelism: 2, state: { pos: '1-0' } }]);
    expect(whole.stateSize).toBe(all.bytes + whole.keyGroupIndex.filter((e) => e.keyGroup === 7).reduce((n, e) => n + e.length, 0) + whole.operatorState.length);
  });

  it('name no file when there is no keyed state', async () => {
    const w = new StateFileWriter(dir, 'src-0.state', 0, []);
    await w.append([]);
    const s = roundTrip(await w.finish(serialize({ 1: 'positions' })));
    expect(s.keyedStateFile).toBe('');
    expect((await readSubtaskStates(dir, [s], 1, new Set([0]))).keyGroups).toBe(0);
  });
});
