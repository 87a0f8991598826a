/** A pino logger that keeps every entry in memory, so tests can assert what was logged. */
import { pino, type Logger } from 'pino';

export interface LogEntry { level: number; msg: string; [field: string]: unknown }

export interface CapturedLog {
  logger: Logger;
  entries: LogEntry[];
  /** Messages at `level` or above (pino levels: 40 warn, 50 error). */
  atLeast(level: number): LogEntry[];
}

export function captureLog(): CapturedLog {
  const entries: LogEntry[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => { entries.push(JSON.parse(line) as LogEntry); } });
  return { logger, entries, atLeast: (level) => entries.filter((e) => e.level >= level) };
}
