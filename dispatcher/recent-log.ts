/**
 * The dispatcher's recent log lines, kept in memory for Flink's JobManager log pages
 * (`GET /jobmanager/logs`, `/jobmanager/log`): the dispatcher logs to its standard output (whoever
 * runs it keeps that), so without this the dashboard had nothing to show. A pino destination that
 * holds the last `maxBytes` of lines (the oldest dropped first); the lines are the masked ones the
 * standard output gets (Redis password, REST token and provider secrets never appear).
 */

/** The name the log is listed and served under. */
export const DISPATCHER_LOG_NAME = 'dispatcher.log';
/** @default 1 MiB */
export const DEFAULT_RECENT_LOG_BYTES = 1 << 20;

export class RecentLog {
  private readonly lines: string[] = [];
  private head = 0;
  private bytes = 0;
  /** When the last line came (epoch ms; 0: none yet). */
  lastWrite = 0;

  constructor(private readonly maxBytes = DEFAULT_RECENT_LOG_BYTES) {}

  /** pino's destination interface: one or more complete lines per call. */
  write(chunk: string): boolean {
    for (const line of chunk.split('\n')) {
      if (line === '') continue;
      // A line longer than the whole budget is kept cut, so the newest line is always there.
      const kept = line.length > this.maxBytes ? `${line.slice(0, this.maxBytes - 20)}… (line cut)` : line;
      this.lines.push(kept);
      this.bytes += Buffer.byteLength(kept) + 1;
    }
    while (this.bytes > this.maxBytes && this.head < this.lines.length - 1) {
      this.bytes -= Buffer.byteLength(this.lines[this.head]!) + 1;
      this.head++;
    }
    // Compact now and then so the dropped lines are freed.
    if (this.head > 1024 && this.head * 2 > this.lines.length) this.lines.splice(0, this.head), (this.head = 0);
    this.lastWrite = Date.now();
    return true;
  }

  /** Bytes held. */
  get size(): number { return this.bytes; }

  /** The lines held, or the last `lines` of them, each ending with a newline. */
  text(lines?: number): string {
    const from = lines === undefined ? this.head : Math.max(this.head, this.lines.length - Math.max(0, lines));
    const kept = this.lines.slice(from);
    return kept.length ? `${kept.join('\n')}\n` : '';
  }
}
