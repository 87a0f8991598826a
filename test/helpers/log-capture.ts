/**
 * A pino logger whose lines are kept in memory, for tests that assert what a
 * component logged (e.g. that a dropped message was logged).
 */
import { pino, type Logger } from 'pino';

export interface CapturedLog {
  logger: Logger;
  lines: Array<Record<string, unknown> & { msg?: string; level: number }>;
  /** Lines whose message contains `text`. */
  matching(text: string): Array<Record<string, unknown>>;
}

/** A debug-level logger that records every line. */
export function captureLog(): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => { lines.push(JSON.parse(s)); } });
  return { logger, lines, matching: (text) => lines.filter((l) => typeof l.msg === 'string' && l.msg.includes(text)) };
}
