/**
 * Top self-time functions of V8 CPU profiles (`node --cpu-prof` writes `*.cpuprofile`).
 *
 *   node dist/bench/profile-summary.js [--top N] <file.cpuprofile | dir> ...
 *
 * Per file (a directory: every .cpuprofile in it), self time aggregated by function + script + line,
 * as ms and % of the profile's total, and the same aggregated by script (which module the time is in).
 * Idle time ("(idle)") is listed but not counted in the percentages of busy time.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const i = url.indexOf('/dist/');
  if (i >= 0) return url.slice(i + 1);
  const n = url.indexOf('/node_modules/');
  if (n >= 0) return url.slice(n + 1);
  return url.replace(/^file:\/\//, '');
}

function summarise(file: string, top: number): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = new Map<string, number>();
  const byScript = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const cf = byId.get(p.samples[i]!)!;
    const dt = p.timeDeltas[i] ?? 0;
    if (cf.functionName === '(idle)') { idle += dt; continue; }
    total += dt;
    const key = `${cf.functionName || '(anonymous)'}  ${shortUrl(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
    const script = shortUrl(cf.url) === '(native)' ? cf.functionName : shortUrl(cf.url);
    byScript.set(script, (byScript.get(script) ?? 0) + dt);
  }
  const fmt = (us: number) => `${(us / 1000).toFixed(0).padStart(6)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %`;
  const rows = [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => `  ${fmt(us)}  ${k}`);
  const scripts = [...byScript].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => `  ${fmt(us)}  ${k}`);
  return [
    `${basename(file)}: busy ${(total / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms`,
    '  self time by function:', ...rows, '  self time by script:', ...scripts, '',
  ].join('\n');
}

function main(): void {
  const args = process.argv.slice(2);
  let top = 25;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--top') top = Number(args[++i]);
    else if (statSync(args[i]!).isDirectory()) {
      for (const f of readdirSync(args[i]!).sort()) if (f.endsWith('.cpuprofile')) files.push(join(args[i]!, f));
    } else files.push(args[i]!);
  }
  if (files.length === 0) throw new Error('usage: profile-summary [--top N] <file.cpuprofile | dir> ...');
  for (const f of files) process.stdout.write(summarise(f, top));
}

main();
