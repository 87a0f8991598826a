/** The benchmarks' progress lines on stderr (stdout carries the tables). */
export const log = (s: string): void => { process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`); };

/** A catch handler for best-effort clean-up: the run goes on, but the failure is shown with what failed. */
export const logIgnored = (what: string) => (err: unknown): void => log(`${what} failed (ignored): ${err instanceof Error ? err.message : String(err)}`);
