/** Runs the built `ebbflow` command (dist/cli/main.js) against a test dispatcher. */
import { spawn } from 'node:child_process';
import type { TestDispatcher } from './dispatcher.js';

export const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;

export interface CliRun { code: number | null; stdout: string; stderr: string }

export function runCli(d: TestDispatcher, ...args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--url', d.url, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => { stdout += b; });
    child.stderr.on('data', (b) => { stderr += b; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** An endless job (a Redis stream source, rebalanced into a sink that drops everything) as a bundle's source text. */
export function endlessJobSource(redisUrl: string, stream: string): string {
  return `export default function (env) {
    env.fromRedisStreams({ url: ${JSON.stringify(redisUrl)}, streams: [${JSON.stringify(stream)}] }).rebalance('Spread').sinkTo(env.fileSink('/dev/null'));
  }`;
}
