// The web form's rescale control: PATCH /jobs/:id/rescaling, then the request's progress and outcome in place.
import { api } from './api.js';
import { $, refreshFailed } from './dom.js';

/** Bumped by every rescale request and by switching jobs, so an older request's polling stops writing. */
let rescaleRun = 0;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const jobPath = (jid) => `/jobs/${encodeURIComponent(jid)}`;

/** Shows the rescale progress or outcome in place; kind is 'ok', 'error' or 'info' (null hides it). */
function setRescaleStatus(text, kind = 'info', state = '') {
  const s = $('rescale-status');
  s.hidden = text === null;
  s.textContent = text ?? '';
  s.className = `message ${kind}`;
  s.dataset.kind = kind;
  s.dataset.state = state;
}

/** "k=v, k=v" of a rescale's statistics. */
function formatResult(result) {
  const parts = Object.entries(result).map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`);
  return parts.length ? parts.join(', ') : 'done';
}


/** Another job is shown (or none): an earlier request stops writing, its status is hidden. */
export function resetRescale() {
  rescaleRun++;
  setRescaleStatus(null);
}

/**
 * PATCHes the rescaling request of job `jid`, then polls its status until it completes;
 * `refresh` redraws the job view afterwards.
 */
export async function rescale(jid, refresh) {
  const input = $('rescale-parallelism');
  const button = $('rescale-button');
  const n = Number(input.value);
  if (!jid || button.disabled) return;
  if (input.value.trim() === '' || !Number.isInteger(n) || n < 1) {
    setRescaleStatus('Parallelism must be a whole number of at least 1.', 'error');
    return;
  }
  const run = ++rescaleRun;
  button.disabled = true;
  setRescaleStatus(`Requesting parallelism ${n}…`, 'info', 'REQUESTED');
  try {
    const trigger = (await api('PATCH', `${jobPath(jid)}/rescaling?parallelism=${n}`))['request-id'];
    for (;;) {
      if (run !== rescaleRun) return;
      const s = await api('GET', `${jobPath(jid)}/rescaling/${encodeURIComponent(trigger)}`);
      if (run !== rescaleRun) return;
      if (s.status && s.status.id === 'COMPLETED') {
        const op = s.operation ?? {};
        const failure = op['failure-cause'];
        if (failure) setRescaleStatus(`Rescaling to ${n} failed: ${failure['stack-trace']}`, 'error', 'COMPLETED');
        else setRescaleStatus(`Rescaled to ${n}: ${formatResult(op)}`, 'ok', 'COMPLETED');
        break;
      }
      setRescaleStatus(`Rescaling to ${n}… (request ${trigger})`, 'info', 'IN_PROGRESS');
      await sleep(500);
    }
    await refresh().catch(refreshFailed);
  } catch (err) {
    if (run === rescaleRun) setRescaleStatus(`Rescale failed: ${err.message}`, 'error');
  } finally {
    if (run === rescaleRun) button.disabled = false;
  }
}
