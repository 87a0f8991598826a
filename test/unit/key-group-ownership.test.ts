/**
 * A keyed subtask applies only records of the key groups it owns: a record for another key group
 * (or without one) fails the subtask with KeyGroupNotOwnedError naming it, and never reaches the
 * keyed operator. At a rescale switch the owned key groups change with the configuration.
 */
import { describe, expect, it } from 'vitest';
import { BARRIER, RECORD, type Collector, type StreamElement } from '../../runtime/elements.js';
import { KeyGroupNotOwnedError } from '../../runtime/errors.js';
import { InputProcessor } from '../../runtime/input-processor.js';
import { InputGate } from '../../runtime/network/input-gate.js';

function harness(producers: number, keyGroups: number[] | undefined, maxParallelism = 128) {
  const gate = new InputGate();
  const applied: unknown[] = [];
  const head: Collector = { collect: (v) => { applied.push(v); }, watermark: () => {}, end: () => {} };
  const hooks = { onAligned: (_id: number) => {} };
  const p = new InputProcessor(gate, producers, head, {
    aligned: async (id) => { hooks.onAligned(id); },
    woken: async () => {},
    flush: async () => {},
    stopped: () => false,
  });
  p.setKeyGroups(keyGroups, maxParallelism);
  const outcome = p.run().then(() => undefined, (err: Error) => err);
  const push = (channel: number, ...els: StreamElement[]) => gate.push(channel, els);
  return { gate, p, applied, hooks, outcome, push };
}

const rec = (v: unknown, kg?: number): StreamElement => (kg === undefined ? { t: RECORD, v, ts: 0 } : { t: RECORD, v, ts: 0, kg });

describe('key-group ownership of a keyed subtask', () => {
  it('fails the subtask on a record of a key group it does not own, before applying it', async () => {
    const h = harness(2, [0, 1, 2, 3, 10, 11]);
    await h.push(0, rec('mine', 2), rec('also mine', 11), rec('not mine', 64), rec('after', 3));
    const err = await h.outcome;
    expect(err).toBeInstanceOf(KeyGroupNotOwnedError);
    expect((err as KeyGroupNotOwnedError).code).toBe('EBBFLOW_KEY_GROUP_NOT_OWNED');
    expect((err as Error).message).toBe('a record for key group 64 arrived from producer 0, but this subtask owns key groups 0-3, 10-11: it was not applied');
    expect(h.applied).toEqual(['mine', 'also mine']);
  });

  it('fails on a record without a key group, or with one that is not a key group at all', async () => {
    for (const bad of [rec('no key group'), { t: RECORD, v: 'odd', ts: 0, kg: 1.5 } as StreamElement, { t: RECORD, v: 'big', ts: 0, kg: 1e9 } as StreamElement]) {
      const h = harness(1, [0, 1]);
      await h.push(0, bad);
      expect(await h.outcome).toBeInstanceOf(KeyGroupNotOwnedError);
      expect(h.applied).toEqual([]);
    }
  });

  it('checks nothing for a vertex without keyed state', async () => {
    const h = harness(1, undefined);
    await h.push(0, rec('a'), rec('b', 77), { t: 2 } as StreamElement);
    expect(await h.outcome).toBeUndefined();
    expect(h.applied).toEqual(['a', 'b']);
  });

  it('takes the new key groups at a rescale switch: records after the barrier follow the new table', async () => {
    const h = harness(1, [0, 1]);
    h.hooks.onAligned = () => h.p.setKeyGroups([1, 2], 128); // the switch: gives 0 away, gains 2
    await h.push(0, rec('old 0', 0), { t: BARRIER, id: 7, dir: '/tmp/x' }, rec('new 2', 2), rec('old owner only', 0));
    const err = await h.outcome;
    expect(err).toBeInstanceOf(KeyGroupNotOwnedError);
    expect((err as Error).message).toMatch(/key group 0 .* owns key groups 1-2/);
    expect(h.applied).toEqual(['old 0', 'new 2']);
  });
});
