import { describe, it, expect } from 'vitest';
import { formatCents, parseArgs, parseCents, parseTimestamp } from '../../examples/fraud-detection/job.js';
import {
  expectedAlerts, finalWatermark, possiblyLateRecords, referenceCents, referenceFormat, type Alert, type Txn,
} from '../../examples/fraud-detection/reference.js';
import { endMarkers, generateTransactions, mulberry32 } from '../../examples/fraud-detection/generator.js';
import { formatAlert } from '../../examples/fraud-detection/alert-monitor.js';

const REQUIRED = ['--input', 'tx-0', '--output', 'alerts'];

describe('parseCents / formatCents', () => {
  it('parses exact cents without floats', () => {
    expect(parseCents('12.30')).toBe(1230);
    expect(parseCents('12')).toBe(1200);
    expect(parseCents('12.3')).toBe(1230);
    expect(parseCents('0.05')).toBe(5);
    expect(parseCents('0.01')).toBe(1);
    expect(parseCents('0')).toBe(0);
    expect(parseCents('007.10')).toBe(710);
    expect(parseCents('10000.01')).toBe(1_000_001);
    // 0.29 * 100 === 28.999999999999996 in floating point
    expect(parseCents('0.29')).toBe(29);
    expect(parseCents('1.15')).toBe(115);
    expect(parseCents('90071992547409.91')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('rejects invalid amounts', () => {
    for (const bad of ['', '-1', '-0.01', '+1', '1.234', '12.', '.5', '1e3', ' 1', '1 ', 'abc', '1,00', '1.2.3', '0x10', 'NaN', 'Infinity', '90071992547409.92']) {
      expect(parseCents(bad), bad).toBeNull();
    }
    expect(parseCents(undefined as unknown as string)).toBeNull();
  });

  it('formats with two decimal places', () => {
    expect(formatCents(1_000_001)).toBe('10000.01');
    expect(formatCents(5)).toBe('0.05');
    expect(formatCents(0)).toBe('0.00');
    expect(formatCents(1230)).toBe('12.30');
    expect(formatCents(100)).toBe('1.00');
    expect(formatCents(-5)).toBe('-0.05');
    expect(formatCents(Number.MAX_SAFE_INTEGER)).toBe('90071992547409.91');
    expect(() => formatCents(1.5)).toThrow();
    expect(() => formatCents(NaN)).toThrow();
  });

  it('round-trips and agrees with the independent reference implementation', () => {
    const rng = mulberry32(7);
    for (let i = 0; i < 2000; i++) {
      const cents = Math.floor(rng() * 10_000_000_000);
      const s = formatCents(cents);
      expect(parseCents(s)).toBe(cents);
      expect(referenceCents(s)).toBe(BigInt(cents));
      expect(referenceFormat(BigInt(cents))).toBe(s);
    }
    for (const s of ['', '-1', '1.234', '12.', '.5', '1e3', 'abc', '12', '12.3', '0.05']) {
      const a = parseCents(s);
      const b = referenceCents(s);
      expect(a === null ? null : BigInt(a), s).toBe(b);
    }
  });

  it('parses timestamps as non-negative integer strings', () => {
    expect(parseTimestamp('1700000000000')).toBe(1_700_000_000_000);
    expect(parseTimestamp('0')).toBe(0);
    for (const bad of [undefined, '', '-1', '1.5', '1e3', ' 1', 'abc']) expect(parseTimestamp(bad), String(bad)).toBeNull();
  });
});

describe('parseArgs', () => {
  it('applies defaults', () => {
    expect(parseArgs(REQUIRED)).toEqual({
      redis: 'redis://127.0.0.1:6379',
      inputs: ['tx-0'],
      output: 'alerts',
      windowMs: 10000,
      thresholdCents: 1_000_000,
      maxOutOfOrdernessMs: 5000,
    });
  });

  it('parses every flag, comma lists and --flag=value', () => {
    expect(
      parseArgs([
        '--redis', 'redis://h:6380/2', '--input', 'a, b,c', '--output=out', '--window-ms', '60000',
        '--threshold', '2500.5', '--max-out-of-orderness-ms=0',
      ]),
    ).toEqual({ redis: 'redis://h:6380/2', inputs: ['a', 'b', 'c'], output: 'out', windowMs: 60000, thresholdCents: 250050, maxOutOfOrdernessMs: 0 });
  });

  it('throws a usage error on missing or invalid arguments', () => {
    expect(() => parseArgs([])).toThrow(/--input is required[\s\S]*usage:/);
    expect(() => parseArgs(['--input', 'a'])).toThrow(/--output is required/);
    expect(() => parseArgs(['--output', 'o'])).toThrow(/--input is required/);
    expect(() => parseArgs(['--input', ',', '--output', 'o'])).toThrow(/at least one stream/);
    expect(() => parseArgs([...REQUIRED, '--window-ms', '0'])).toThrow(/--window-ms/);
    expect(() => parseArgs([...REQUIRED, '--window-ms', 'ten'])).toThrow(/--window-ms/);
    expect(() => parseArgs([...REQUIRED, '--window-ms', '1.5'])).toThrow(/--window-ms/);
    expect(() => parseArgs([...REQUIRED, '--max-out-of-orderness-ms', '-1'])).toThrow(/--max-out-of-orderness-ms/);
    expect(() => parseArgs([...REQUIRED, '--threshold', 'lots'])).toThrow(/--threshold/);
    expect(() => parseArgs([...REQUIRED, '--threshold', '-5'])).toThrow(/--threshold/);
    expect(() => parseArgs([...REQUIRED, '--threshold'])).toThrow(/--threshold needs a value/);
    expect(() => parseArgs(['--input', '--output', 'o'])).toThrow(/--input needs a value/);
    expect(() => parseArgs([...REQUIRED, '--bogus', '1'])).toThrow(/unknown argument "--bogus"/);
  });
});

describe('reference computation', () => {
  const opts = { windowMs: 10000, thresholdCents: 1_000_000, maxOutOfOrdernessMs: 5000, streams: ['s1', 's2'] };
  const t = (stream: string, from: string, to: string, amount: string, ts: number): Txn => ({ stream, from, to, amount, ts });
  // Per-stream order as written. Final watermark = min(s1: 25000-5000, s2: 27000-5000) = 20000.
  const tiny: Txn[] = [
    t('s1', 'A', 'B', '6000.00', 1000),
    t('s2', 'A', 'B', '4000', 2000), // A->B [0,10000) = 10000.00 exactly: no alert
    t('s1', 'A', 'C', '9999.99', 3000),
    t('s2', 'A', 'C', '0.02', 9999), // A->C [0,10000) = 10000.01: alert
    t('s1', 'C', 'D', '5000', 4000),
    t('s1', 'C', 'D', '5000.5', 5000), // C->D [0,10000) = 10000.50: alert
    t('s2', 'A', 'B', 'abc', 15000), // dropped (but its ts counts for the watermark)
    t('s2', 'A', 'B', '-5000.00', 15000), // dropped
    t('s2', 'A', 'B', '12000.001', 16000), // dropped: three decimals
    t('s1', 'A', 'C', '20000', 12000), // A->C [10000,20000) = 20000.00: alert (end 20000 <= wm 20000)
    t('s1', 'X', 'Y', '50000.00', 21000), // X->Y [20000,30000): end 30000 > wm 20000: not fired
    t('s1', 'D', 'E', '1.00', 25000),
    t('s2', 'X', 'Z', '1.00', 27000),
  ];

  it('computes hand-checked alerts', () => {
    expect(finalWatermark(tiny, opts.streams, opts.maxOutOfOrdernessMs)).toBe(20000);
    const expected: Alert[] = [
      { from: 'A', to: 'C', windowStart: 0, windowEnd: 10000, total: '10000.01', count: 2 },
      { from: 'C', to: 'D', windowStart: 0, windowEnd: 10000, total: '10000.50', count: 2 },
      { from: 'A', to: 'C', windowStart: 10000, windowEnd: 20000, total: '20000.00', count: 1 },
    ];
    expect(expectedAlerts(tiny, opts)).toEqual(expected);
  });

  it('fires nothing while a listed stream has no entries', () => {
    expect(finalWatermark(tiny, ['s1', 's2', 's3'], 5000)).toBe(-Infinity);
    expect(expectedAlerts(tiny, { ...opts, streams: ['s1', 's2', 's3'] })).toEqual([]);
  });

  it('fires the last windows once end markers pass them', () => {
    const all = [...tiny, ...endMarkers(opts.streams, 27000 + opts.windowMs + opts.maxOutOfOrdernessMs)];
    const alerts = expectedAlerts(all, opts);
    expect(alerts.map((a) => `${a.windowStart} ${a.from}->${a.to} ${a.total}`)).toEqual([
      '0 A->C 10000.01', '0 C->D 10000.50', '10000 A->C 20000.00', '20000 X->Y 50000.00',
    ]);
  });

  it('respects a custom threshold (strictly greater)', () => {
    const alerts = expectedAlerts(tiny, { ...opts, thresholdCents: 1_000_050 });
    expect(alerts.map((a) => `${a.from}->${a.to}@${a.windowStart}`)).toEqual(['A->C@10000']);
  });

  it('refuses input that could contain late data', () => {
    const late = [t('s1', 'A', 'B', '1.00', 30000), t('s1', 'A', 'B', '1.00', 9000), t('s2', 'A', 'B', '1.00', 30000)];
    expect(possiblyLateRecords(late, opts)).toHaveLength(1);
    expect(() => expectedAlerts(late, opts)).toThrow(/late/);
  });
});

describe('generator', () => {
  const streams = ['tx-0', 'tx-1', 'tx-2', 'tx-3'];

  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateTransactions({ seed: 42, count: 3000, streams });
    const b = generateTransactions({ seed: 42, count: 3000, streams });
    const c = generateTransactions({ seed: 43, count: 3000, streams });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).toHaveLength(3000);
  });

  it('produces valid transactions with bounded disorder per stream', () => {
    const maxDisorderMs = 2000;
    const txns = generateTransactions({ seed: 1, count: 5000, streams, maxDisorderMs });
    const maxSeen = new Map<string, number>();
    for (const x of txns) {
      expect(streams).toContain(x.stream);
      expect(parseCents(x.amount)).not.toBeNull();
      expect(parseCents(x.amount)!).toBeGreaterThan(0);
      expect(Number.isSafeInteger(x.ts)).toBe(true);
      expect(x.from).not.toBe(x.to);
      const m = maxSeen.get(x.stream) ?? -Infinity;
      expect(x.ts).toBeGreaterThanOrEqual(m - maxDisorderMs);
      maxSeen.set(x.stream, Math.max(m, x.ts));
    }
    expect(new Set(txns.map((x) => x.stream)).size).toBe(4);
    const small = txns.filter((x) => parseCents(x.amount)! <= 50_000).length;
    expect(small / txns.length).toBeGreaterThan(0.9);
  });

  it('produces alerts under the reference semantics (count 5000 over 4 streams)', () => {
    const opts = { windowMs: 10000, thresholdCents: 1_000_000, maxOutOfOrdernessMs: 5000, streams };
    for (const seed of [42, 1, 2, 3]) {
      const txns = generateTransactions({ seed, count: 5000, streams });
      const alerts = expectedAlerts(txns, opts);
      expect(alerts.length, `seed ${seed}`).toBeGreaterThan(0);
      // With end markers every window holding data fires, so there can only be more alerts.
      const maxTs = Math.max(...txns.map((x) => x.ts));
      const withMarkers = expectedAlerts([...txns, ...endMarkers(streams, maxTs + opts.windowMs + opts.maxOutOfOrdernessMs)], opts);
      expect(withMarkers.length).toBeGreaterThanOrEqual(alerts.length);
      expect(withMarkers.some((a) => a.from === 'marker')).toBe(false);
    }
  });
});

describe('alert monitor', () => {
  it('formats one alert per line', () => {
    expect(
      formatAlert({ from: 'acct-7', to: 'acct-12', windowStart: '1795586400000', windowEnd: '1795586410000', total: '12345.67', count: '9' }),
    ).toBe('ALERT acct-7 -> acct-12  window 2026-11-25T06:00:00.000Z..+10s  total $12345.67 in 9 transfers');
  });
});
