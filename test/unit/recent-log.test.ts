/** The dispatcher's recent log lines: the newest kept within the byte budget, served whole or the last lines. */
import { describe, expect, it } from 'vitest';
import { RecentLog } from '../../dispatcher/recent-log.js';

describe('RecentLog', () => {
  it('keeps the newest lines within its budget, dropping the oldest first', () => {
    const log = new RecentLog(30);
    log.write('{"n":1}\n');
    log.write('{"n":2}\n{"n":3}\n');
    expect(log.text()).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
    log.write('{"n":4}\n');
    expect(log.text()).toBe('{"n":2}\n{"n":3}\n{"n":4}\n'); // 4 lines of 8 bytes are over 30
    expect(log.size).toBe(24);
    expect(log.text(2)).toBe('{"n":3}\n{"n":4}\n');
    expect(log.text(0)).toBe('');
    expect(log.text(99)).toBe(log.text());
    expect(log.lastWrite).toBeGreaterThan(0);
  });

  it('keeps a line longer than the budget, cut, and nothing older', () => {
    const log = new RecentLog(40);
    log.write('short\n');
    log.write(`${'x'.repeat(100)}\n`);
    const text = log.text();
    expect(text.startsWith('x')).toBe(true);
    expect(text).toContain('(line cut)');
  });

  it('stays bounded over many lines', () => {
    const log = new RecentLog(10_000);
    for (let i = 0; i < 50_000; i++) log.write(`{"i":${i}}\n`);
    expect(log.size).toBeLessThanOrEqual(10_000);
    expect(log.text(1)).toBe('{"i":49999}\n');
  });
});
