/**
 * `ebbflow dispatcher` (dist/cli/main.js) refuses bad option values at startup, before it touches
 * Redis: the message names the flag or the environment variable the value came from and what it
 * must be, and the exit status is 1. Its flags are the table's (with the resource providers'), with their help texts.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DISPATCHER_OPTION_TABLE } from '../../dispatcher/index.js';

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;

/** Runs the CLI (Redis at a closed port: nothing may get that far) and resolves its exit code and stderr. */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EBBFLOW_')));
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...clean, EBBFLOW_REDIS_URL: 'redis://127.0.0.1:1', ...env } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c) => { stderr += c; });
    child.stdout.on('data', (c) => { stdout += c; });
    child.on('exit', (code) => resolve({ code, stderr, stdout }));
  });
}

describe('ebbflow dispatcher options', () => {
  it('names the flag or env var of a bad value and exits 1', async () => {
    const cases: Array<[string[], Record<string, string>, string]> = [
      [['--port', '70000'], {}, 'ebbflow dispatcher: --port must be an integer from 0 to 65535, got "70000"'],
      [[], { EBBFLOW_PORT: 'http' }, 'ebbflow dispatcher: EBBFLOW_PORT must be an integer from 0 to 65535, got "http"'],
      [['--port', '0'], { EBBFLOW_TASKMANAGER_SLOTS: 'NaN' }, 'ebbflow dispatcher: EBBFLOW_TASKMANAGER_SLOTS must be an integer from 1 to 1024, got "NaN"'],
      [['--port', '0', '--mesos-content-type', 'xml'], {}, 'ebbflow dispatcher: --mesos-content-type must be protobuf or json, got "xml"'],
      [['--port', '0', '--resource-manager', 'yarn'], {}, 'must name a resource provider: local or mesos, got "yarn"'],
      [['--port', '0', '-D', 'heartbeat.timout=1s'], {}, 'unknown configuration key "heartbeat.timout"; did you mean "heartbeat.timeout"?'],
    ];
    const results = await Promise.all(cases.map(([args, env]) => cli(['dispatcher', ...args], env)));
    results.forEach((r, i) => {
      expect(r.stderr, cases[i]![2]).toContain(cases[i]![2]);
      expect(r.code).toBe(1);
    });
  });

  it('offers every flag the table declares, with its help text', async () => {
    const { stdout, code } = await cli(['dispatcher', '--help']);
    expect(code).toBe(0);
    const help = stdout.replace(/\s+/g, ' ');
    for (const d of Object.values(DISPATCHER_OPTION_TABLE)) {
      if (!d.cli || d.cli.global) continue;
      expect(help).toContain(`${d.cli.flags} ${d.cli.help}`);
    }
    expect(help).toContain('--port <port> port (env EBBFLOW_PORT) (default: "8081")');
  });
});
