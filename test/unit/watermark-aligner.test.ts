/** The JobMaster's side of watermark alignment: the group's bound from its current members' reports. */
import { describe, expect, it } from 'vitest';
import { WatermarkAligner } from '../../jobmaster/watermark-aligner.js';

function aligner(current: Set<string>) {
  const sent: Array<[string, number]> = [];
  const a = new WatermarkAligner((id) => current.has(id), (g, b) => sent.push([g, b]));
  return { a, sent };
}

describe('WatermarkAligner', () => {
  it('announces the lowest watermark plus the drift, only when it changes', () => {
    const { a, sent } = aligner(new Set(['x', 'y']));
    a.report({ executionId: 'x', group: 'g', watermark: 5000, maxDriftMs: 1000 });
    a.report({ executionId: 'y', group: 'g', watermark: 2000, maxDriftMs: 1000 });
    a.report({ executionId: 'x', group: 'g', watermark: 6000, maxDriftMs: 1000 }); // y is still the lowest: no change
    a.report({ executionId: 'y', group: 'g', watermark: 2500, maxDriftMs: 1000 });
    expect(sent).toEqual([['g', 6000], ['g', 3000], ['g', 3500]]);
    expect(a.bounds()).toEqual({ g: 3500 });
  });

  it('holds the group back for a member without a watermark, and not for an idle one', () => {
    const { a, sent } = aligner(new Set(['x', 'y']));
    a.report({ executionId: 'x', group: 'g', watermark: 5000, maxDriftMs: 100 });
    a.report({ executionId: 'y', group: 'g', watermark: -Infinity, maxDriftMs: 100 });
    a.report({ executionId: 'y', group: 'g', watermark: Infinity, maxDriftMs: 100 });
    expect(sent).toEqual([['g', 5100], ['g', -Infinity], ['g', 5100]]);
    expect(a.bounds()).toEqual({ g: 5100 });
  });

  it('forgets members that are no longer current and announces again to a new one', () => {
    const current = new Set(['x', 'y']);
    const { a, sent } = aligner(current);
    a.report({ executionId: 'x', group: 'g', watermark: 1000, maxDriftMs: 0 });
    a.report({ executionId: 'y', group: 'g', watermark: 9000, maxDriftMs: 0 });
    current.delete('x'); // a rescale replaced x by z
    current.add('z');
    a.report({ executionId: 'y', group: 'g', watermark: 9000, maxDriftMs: 0 });
    expect(sent.at(-1)).toEqual(['g', 9000]);
    a.report({ executionId: 'z', group: 'g', watermark: 9000, maxDriftMs: 0 }); // same bound, but z has not heard it
    // Each member's first report re-announces (y's and z's), even with the bound unchanged.
    expect(sent).toEqual([['g', 1000], ['g', 1000], ['g', 9000], ['g', 9000]]);
  });

  it('keeps groups apart and ignores malformed reports', () => {
    const { a, sent } = aligner(new Set(['x', 'y']));
    a.report({ executionId: 'x', group: 'g', watermark: 100, maxDriftMs: 10 });
    a.report({ executionId: 'y', group: 'h', watermark: 900, maxDriftMs: 10 });
    a.report({ executionId: 'y', group: '', watermark: 1, maxDriftMs: 10 });
    a.report({ executionId: 'y', group: 'g', watermark: Number.NaN, maxDriftMs: 10 });
    expect(sent).toEqual([['g', 110], ['h', 910]]);
  });
});
