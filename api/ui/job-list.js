// The web form's job list: one row per job with its state, failure cause and cancel button.
import { api } from './api.js';
import { $, el, formatDuration, formatTime, placeInOrder, refreshFailed, showMessage, TERMINAL } from './dom.js';

/** The job whose row is highlighted (the one in the job view), or null. */
let highlighted = null;
/** What the Details button does (set by the page, which owns the job view). */
let openJob = () => {};

/** Sets what the Details button of a row does with its job id. */
export function onOpenJob(open) {
  openJob = open;
}

/** Highlights the row of `jid` (null: none). */
export function highlightJob(jid) {
  highlighted = jid;
  for (const [id, r] of jobRows) r.row.classList.toggle('selected', id === jid);
}

/** Per job id: { row, stateCell, startCell, durationCell, cancel, causeRow }. */
const jobRows = new Map();
/** Failure causes fetched from GET /jobs/:id (one request per failed job). */
const failureCauses = new Map();
/** Jobs whose failure cause could not be read: asked again on the next refresh. */
const causeRetries = new Set();

function makeJobRow(job) {
  const row = el('tr', { 'data-testid': 'job-row', 'data-job-id': job.jid });
  const stateCell = el('td', { 'data-testid': 'job-state' });
  const startCell = el('td', { 'data-testid': 'job-start' });
  const durationCell = el('td', { 'data-testid': 'job-duration' });
  const actions = el('td', { className: 'actions' });
  const details = el('button', { type: 'button', 'data-testid': 'details-button', className: 'secondary' }, 'Details');
  details.addEventListener('click', () => openJob(job.jid));
  const cancel = el('button', { type: 'button', 'data-testid': 'cancel-button', className: 'danger' }, 'Cancel');
  cancel.addEventListener('click', () => cancelJob(job.jid, cancel));
  actions.append(details, cancel);
  row.append(el('td', { className: 'id', 'data-testid': 'job-id' }, job.jid), el('td', { 'data-testid': 'job-name' }, job.name ?? ''),
    stateCell, startCell, durationCell, actions);
  const causeRow = el('tr', { className: 'failure', 'data-testid': 'failure-row', 'data-job-id': job.jid });
  const causeCell = el('td', { colspan: 6 });
  const causeText = el('pre', { 'data-testid': 'failure-cause' });
  causeCell.append(causeText);
  causeRow.append(causeCell);
  causeRow.hidden = true;
  return { row, stateCell, startCell, durationCell, cancel, causeRow, causeText };
}

function updateJobRow(r, job) {
  const state = String(job.state ?? '');
  r.stateCell.textContent = state;
  r.stateCell.className = `state state-${state.toLowerCase()}`;
  r.row.dataset.state = state;
  r.row.classList.toggle('selected', job.jid === highlighted);
  r.startCell.textContent = formatTime(job['start-time']);
  r.durationCell.textContent = formatDuration(job.duration);
  const terminal = TERMINAL.has(state);
  r.cancel.hidden = terminal;
  if (state === 'CANCELLING') {
    r.cancel.disabled = true;
    r.cancel.textContent = 'Cancelling…';
  }
  const cause = failureCauses.get(job.jid);
  r.causeRow.hidden = !(state === 'FAILED' && cause);
  if (state === 'FAILED' && cause) r.causeText.textContent = cause;
}

async function fetchFailureCause(jid) {
  failureCauses.set(jid, ''); // in flight: do not ask again
  causeRetries.delete(jid);
  try {
    const details = await api('GET', `/jobs/${encodeURIComponent(jid)}`);
    failureCauses.set(jid, details['failure-cause'] ? String(details['failure-cause']) : '(no failure cause recorded)');
  } catch (err) {
    // Shown in the job's row, and asked again on the next refresh.
    failureCauses.set(jid, `(could not read the failure cause: ${err.message}; retrying)`);
    causeRetries.add(jid);
  }
}

let jobsAsked = 0;
let jobsShown = 0;

export async function refreshJobs() {
  const seq = ++jobsAsked;
  const data = await api('GET', '/jobs/overview');
  const jobs = Array.isArray(data.jobs) ? [...data.jobs] : [];
  jobs.sort((a, b) => (b['start-time'] ?? 0) - (a['start-time'] ?? 0));
  const missingCauses = jobs.filter((j) => j.state === 'FAILED' && (!failureCauses.has(j.jid) || causeRetries.has(j.jid)));
  await Promise.all(missingCauses.map((j) => fetchFailureCause(j.jid)));
  if (seq < jobsShown) return; // a newer answer is already on the page
  jobsShown = seq;
  const body = $('jobs-body');
  const seen = new Set();
  const order = [];
  for (const job of jobs) {
    seen.add(job.jid);
    let r = jobRows.get(job.jid);
    if (!r) {
      r = makeJobRow(job);
      jobRows.set(job.jid, r);
    }
    updateJobRow(r, job);
    order.push(r.row, r.causeRow);
  }
  placeInOrder(body, order);
  for (const [id, r] of jobRows) {
    if (!seen.has(id)) {
      r.row.remove();
      r.causeRow.remove();
      jobRows.delete(id);
    }
  }
  $('jobs-empty').hidden = jobs.length > 0;
}

async function cancelJob(jid, button) {
  button.disabled = true;
  try {
    await api('PATCH', `/jobs/${encodeURIComponent(jid)}?mode=cancel`);
    showMessage(`Cancellation of job ${jid} requested.`, 'ok');
  } catch (err) {
    showMessage(`Cancel failed: ${err.message}`, 'error');
    button.disabled = false;
  }
  await refreshJobs().catch(refreshFailed);
}
