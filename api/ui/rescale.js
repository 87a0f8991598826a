// The web form's rescale controls: every vertex at once (PATCH /jobs/:id/rescaling) or per vertex
// (PUT /jobs/:id/resource-requirements upper bounds), checked against the bounds first, then the
// request's progress and outcome in place (GET /jobs/:id/rescaling/:trigger).
import { api } from './api.js';
import { $, refreshFailed, setStatus } from './dom.js';

/** Bumped by every rescale request and by switching jobs, so an older request's polling stops writing. */
let rescaleRun = 0;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const jobPath = (jid) => `/jobs/${encodeURIComponent(jid)}`;
const setRescaleStatus = (text, kind = 'info', state = '') => setStatus('rescale-status', text, kind, state);
const BUTTONS = ['rescale-button', 'vertex-rescale-button'];

/** "k=v, k=v" of a rescale's statistics. */
function formatResult(result) {
  const parts = Object.entries(result).map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`);
  return parts.length ? parts.join(', ') : 'done';
}

/** Another job is shown (or none): an earlier request stops writing, its status is hidden. */
export function resetRescale() {
  rescaleRun++;
  setRescaleStatus(null);
  for (const id of BUTTONS) $(id).disabled = false;
}

/**
 * The job-wide control's hint: its range (1 to the job's max parallelism, its key groups) and the
 * vertices that stay lower (a vertex never runs more subtasks than its own max parallelism).
 */
export function rescaleHint(max, vertices) {
  if (!(max > 0)) return '';
  const capped = vertices.filter((v) => v.maxParallelism < max).map((v) => `${v.name} at most ${v.maxParallelism}`);
  return `1 to ${max}${capped.length ? `; ${capped.join(', ')}` : ''}`;
}

/** Sends a rescale with both buttons disabled, then follows it to its outcome; `label` names it. */
async function send(jid, label, request, refresh) {
  const run = ++rescaleRun;
  for (const id of BUTTONS) $(id).disabled = true;
  setRescaleStatus(`Requesting ${label}…`, 'info', 'REQUESTED');
  try {
    const trigger = (await request())['request-id'];
    for (;;) {
      if (run !== rescaleRun) return;
      const s = await api('GET', `${jobPath(jid)}/rescaling/${encodeURIComponent(trigger)}`);
      if (run !== rescaleRun) return;
      if (s.status && s.status.id === 'COMPLETED') {
        const op = s.operation ?? {};
        const failure = op['failure-cause'];
        if (failure) setRescaleStatus(`Rescaling to ${label} failed: ${failure['stack-trace']}`, 'error', 'COMPLETED');
        else setRescaleStatus(`Rescaled to ${label}: ${formatResult(op)}`, 'ok', 'COMPLETED');
        break;
      }
      const phase = s.progress && s.progress.phase ? `: ${s.progress.phase}` : '';
      setRescaleStatus(`Rescaling to ${label}${phase}… (request ${trigger})`, 'info', 'IN_PROGRESS');
      await sleep(500);
    }
    await refresh().catch(refreshFailed);
  } catch (err) {
    if (run === rescaleRun) setRescaleStatus(`Rescale failed: ${err.message}`, 'error');
  } finally {
    if (run === rescaleRun) for (const id of BUTTONS) $(id).disabled = false;
  }
}

/** Job-wide: checks 1 ≤ n ≤ `max` (the job's max parallelism) before PATCHing the rescaling request. */
export async function rescale(jid, max, refresh) {
  const input = $('rescale-parallelism');
  const n = Number(input.value);
  if (!jid || $('rescale-button').disabled) return;
  if (input.value.trim() === '' || !Number.isInteger(n) || n < 1) {
    setRescaleStatus('Parallelism must be a whole number of at least 1.', 'error', 'REFUSED');
    return;
  }
  if (max > 0 && n > max) {
    setRescaleStatus(`Parallelism ${n} is above the job's max parallelism ${max} (its number of key groups, fixed for the job's life); not sent.`, 'error', 'REFUSED');
    return;
  }
  await send(jid, String(n), () => api('PATCH', `${jobPath(jid)}/rescaling?parallelism=${n}`), refresh);
}

/**
 * Per vertex: `targets` [{ vertex, value }] from the vertex rows, each checked against the vertex's
 * max parallelism; then one PUT of their upper bounds (lower bounds kept unless above the new value).
 */
export async function rescaleVertices(jid, targets, requirements, refresh) {
  if (!jid || $('vertex-rescale-button').disabled) return;
  if (!targets.length) {
    setRescaleStatus('Type a new parallelism for at least one vertex.', 'error', 'REFUSED');
    return;
  }
  const problems = [];
  const body = {};
  for (const { vertex, value } of targets) {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) problems.push(`${vertex.name}: parallelism must be a whole number of at least 1`);
    else if (n > vertex.maxParallelism) problems.push(`${vertex.name}: ${n} is above its max parallelism ${vertex.maxParallelism}`);
    else {
      const lower = requirements[vertex.id]?.parallelism?.lowerBound ?? 1;
      body[vertex.id] = { parallelism: { lowerBound: Math.min(lower, n), upperBound: n } };
    }
  }
  if (problems.length) {
    setRescaleStatus(`Not sent: ${problems.join('; ')}.`, 'error', 'REFUSED');
    return;
  }
  const label = targets.map(({ vertex, value }) => `${vertex.name} ${Number(value)}`).join(', ');
  await send(jid, label, () => api('PUT', `${jobPath(jid)}/resource-requirements`, body), refresh);
}
