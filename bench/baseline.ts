/** Runs the baseline (baseline-worker.js) in a child process and returns its measurements. */
import { fork, type ChildProcess } from 'node:child_process';
import type { BaselineConfig, BaselineResult } from './baseline-worker.js';

export type { BaselineConfig, BaselineResult } from './baseline-worker.js';

let running: ChildProcess | undefined;

/** Kills a baseline child still running (cleanup on failure or SIGINT). */
export function killBaseline(): void {
  if (running && running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
}

export function runBaseline(cfg: BaselineConfig, timeoutMs: number): Promise<BaselineResult> {
  const child = fork(new URL('./baseline-worker.js', import.meta.url), [], {
    env: { ...process.env, BENCH_BASELINE: JSON.stringify(cfg) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  running = child;
  return new Promise<BaselineResult>((resolve, reject) => {
    let settled = false;
    const done = (err: Error | undefined, result?: BaselineResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      running = undefined;
      if (err) reject(err); else resolve(result!);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done(new Error(`baseline timed out after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on('message', (m: { ok: boolean; result?: BaselineResult; error?: string }) => {
      if (m.ok) done(undefined, m.result);
      else done(new Error(`baseline failed: ${m.error}`));
    });
    child.on('error', (err) => done(err));
    child.on('close', (code, signal) => done(new Error(`baseline process exited ${signal ?? code} without a result`)));
  });
}
