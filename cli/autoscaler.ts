/**
 * `ebbflow autoscaler <jobid>`: the job's autoscaler (on, recommend-only, the last evaluation, per
 * vertex the parallelism it computed and why, its last decisions with their outcomes and rescales),
 * or with --json the REST answer as it came. With `--set key=value` / `--reset key` it changes the
 * settings (`job.autoscaler.*` keys) of the running job and waits until the job applied them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from './errors.js';
import type { AutoscalerState, RestClient } from './rest-client.js';

const iso = (ms: number) => new Date(ms).toISOString();
const AUTOSCALER_PREFIX = 'job.autoscaler.';

export interface AutoscalerCommandOptions {
  json?: boolean;
  /** key=value pairs; a key may leave out its `job.autoscaler.` prefix. */
  set: string[];
  reset: string[];
  wait: boolean;
  pollMs?: number;
}

const fullKey = (k: string) => (k.startsWith(AUTOSCALER_PREFIX) ? k : `${AUTOSCALER_PREFIX}${k}`);

/** The PATCH body: values as given (the dispatcher parses them like the run request's configuration), null for a reset. */
export function changeBody(set: readonly string[], reset: readonly string[]): Record<string, string | null> {
  const body: Record<string, string | null> = {};
  for (const kv of set) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new CliError(`--set expects key=value, got ${kv}`);
    body[fullKey(kv.slice(0, i).trim())] = kv.slice(i + 1).trim();
  }
  for (const k of reset) body[fullKey(k.trim())] = null;
  return body;
}

export async function autoscaler(c: RestClient, jobId: string, o: AutoscalerCommandOptions): Promise<number> {
  if (o.set.length || o.reset.length) return change(c, jobId, o);
  const s = await c.autoscaler(jobId);
  if (o.json) { console.log(JSON.stringify(s, null, 2)); return 0; }
  print(jobId, s);
  return 0;
}

async function change(c: RestClient, jobId: string, o: AutoscalerCommandOptions): Promise<number> {
  const body = changeBody(o.set, o.reset);
  const { 'request-id': id } = await c.setAutoscaler(jobId, body);
  if (!o.wait) { console.log(id); return 0; }
  console.log(`changing the autoscaler of job ${jobId}: ${Object.entries(body).map(([k, v]) => `${k}=${v ?? '(the job\'s value)'}`).join(', ')} (request ${id}); waiting for the job to apply it…`);
  for (;;) {
    const s = await c.autoscalerChangeStatus(jobId, id);
    if (s.status.id === 'COMPLETED') {
      const failure = s.operation?.['failure-cause'];
      if (failure) { console.error(`changing the autoscaler of job ${jobId} failed: ${failure['stack-trace']}`); return 1; }
      const options = (s.operation?.options ?? {}) as Record<string, unknown>;
      console.log(`applied; the autoscaler's settings now: ${Object.entries(options).map(([k, v]) => `${k.slice(AUTOSCALER_PREFIX.length)}=${v === null ? '-' : String(v)}`).join(' ')}`);
      return 0;
    }
    await sleep(o.pollMs ?? 300);
  }
}

function print(jobId: string, s: AutoscalerState): void {
  const mode = !s.enabled ? 'off' : s.recommendOnly ? 'on, recommend only (job.autoscaler.scaling.enabled is false)' : 'on';
  console.log(`autoscaler of job ${jobId}: ${mode}`);
  if (s.lastEvaluation) console.log(`last evaluation ${iso(s.lastEvaluation.timestamp)}: ${s.lastEvaluation.code}: ${s.lastEvaluation.reason}`);
  else console.log('no evaluation yet');
  const waits = [
    s.stabilizingUntil ? `stabilizing until ${iso(s.stabilizingUntil)}` : '',
    s.backoffUntil ? `scale-ups backed off until ${iso(s.backoffUntil)}` : '',
    s.pendingDecision !== null ? `decision #${s.pendingDecision} being carried out` : '',
  ].filter(Boolean);
  if (waits.length) console.log(waits.join('; '));
  if (Object.keys(s.overrides).length) console.log(`changed at run time: ${Object.entries(s.overrides).map(([k, v]) => `${k}=${String(v)}`).join(', ')}`);
  if (s.vertices.length) {
    console.log('vertices:');
    for (const v of s.vertices) {
      const limits = v.limits.length ? ` (limited by ${v.limits.join(', ')})` : '';
      console.log(`  ${v.name}: parallelism ${v.parallelism}, recommended ${v.recommended}, ${v.reason}${limits}`);
      console.log(`      ${v.text}`);
    }
  }
  if (!s.decisions.length) { console.log('no decisions yet'); return; }
  console.log('decisions, newest first:');
  for (const d of s.decisions) {
    const changes = d.changes.map((x) => `${x.vertexId} ${x.from} → ${x.to}`).join(', ');
    const rescale = d.requestId ? `, rescale ${d.requestId}` : '';
    const took = d.result ? `, ${d.result.durationMs} ms` : '';
    console.log(`  #${d.id} ${iso(d.timestamp)}  ${d.outcome}  ${changes}${rescale}${took}`);
    for (const x of d.changes) console.log(`      ${x.text}`);
    if (d.error) console.log(`      ${d.error.split('\n')[0]}`);
    for (const i of d.ineffective ?? []) console.log(`      ineffective: ${i.vertexId} ${i.from} → ${i.to} raised its capacity to ${Math.round(i.capacityAfter)}/s, not ${Math.round(i.predicted)}/s (before: ${Math.round(i.capacityBefore)}/s)`);
  }
}
