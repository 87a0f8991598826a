// The web form's job view: a job's vertices with their parallelism bounds, its TaskManagers, and
// the rescale control's current limits.
import { api } from './api.js';
import { $, el, formatDuration, showMessage, TERMINAL } from './dom.js';
import { highlightJob } from './job-list.js';
import { resetRescale } from './rescale.js';

/** The job shown in the job view, or null. */
let selectedJob = null;
let viewAsked = 0;
let viewShown = 0;

const jobPath = (jid, rest = '') => `/jobs/${encodeURIComponent(jid)}${rest}`;

/** The job shown in the job view, or null. */
export const shownJob = () => selectedJob;

export function openJobView(jid) {
  selectedJob = jid;
  resetRescale();
  $('job-view').hidden = false;
  $('jv-id').textContent = jid;
  $('rescale-parallelism').value = '';
  $('rescale-button').disabled = false;
  highlightJob(jid);
  refreshJobView().catch((err) => showMessage(`Job details: ${err.message}`, 'error'));
  $('job-view').scrollIntoView({ block: 'nearest' });
}

export function closeJobView() {
  selectedJob = null;
  resetRescale();
  $('job-view').hidden = true;
  highlightJob(null);
}

function renderVertices(vertices, requirements) {
  const rows = vertices.map((v) => {
    const bounds = requirements[v.id] && requirements[v.id].parallelism;
    const tr = el('tr', { 'data-testid': 'vertex-row', 'data-vertex-id': v.id });
    tr.append(
      el('td', { 'data-testid': 'vertex-name' }, v.name),
      el('td', { className: 'id' }, v.id),
      el('td', { 'data-testid': 'vertex-parallelism' }, String(v.parallelism)),
      el('td', { 'data-testid': 'vertex-bounds' }, bounds ? `${bounds.lowerBound}..${bounds.upperBound}` : '–'),
      el('td', {}, String(v.maxParallelism)),
      el('td', { className: `state state-${String(v.status).toLowerCase()}` }, v.status),
    );
    return tr;
  });
  $('jv-vertices').replaceChildren(...rows);
}

function renderTaskManagers(tms) {
  const rows = tms.map((t) => {
    const tr = el('tr', { 'data-testid': 'taskmanager-row', 'data-taskmanager-id': t.id });
    tr.append(
      el('td', { 'data-testid': 'taskmanager-id' }, t.id),
      el('td', {}, String(t.pid)),
      el('td', {}, `${t.freeSlots} / ${t.slotsNumber}`),
      el('td', {}, `${formatDuration(Math.max(0, Date.now() - t.timeSinceLastHeartbeat))} ago`),
    );
    return tr;
  });
  $('jv-taskmanagers').replaceChildren(...rows);
  $('jv-taskmanagers-empty').hidden = tms.length > 0;
}

function renderJobView(details, requirements, tms) {
  const state = String(details.state ?? '');
  $('jv-name').textContent = details.name ?? '';
  $('jv-state').textContent = state;
  $('jv-state').className = `state state-${state.toLowerCase()}`;
  const max = Number(details.maxParallelism) || 0;
  $('jv-max').textContent = max > 0 ? String(max) : '–';
  const vertices = Array.isArray(details.vertices) ? details.vertices : [];
  renderVertices(vertices, requirements);
  renderTaskManagers(tms);

  const ended = TERMINAL.has(state);
  $('rescale-control').hidden = ended;
  $('rescale-ended').hidden = !ended;
  const input = $('rescale-parallelism');
  if (max > 0) input.max = String(max);
  $('rescale-limit').textContent = max > 0 ? `1 to ${max}` : '';
  const current = vertices.length ? Math.max(...vertices.map((v) => v.parallelism)) : details.parallelism;
  if (input.value === '' && current) input.value = String(current); // never overwrite what the user typed
}

export async function refreshJobView() {
  const jid = selectedJob;
  if (!jid) return;
  const seq = ++viewAsked;
  const [details, requirements, tms] = await Promise.all([
    api('GET', jobPath(jid)), api('GET', jobPath(jid, '/resource-requirements')), api('GET', '/taskmanagers'),
  ]);
  if (jid !== selectedJob || seq < viewShown) return; // another job was opened, or a newer answer is shown
  viewShown = seq;
  const mine = (Array.isArray(tms.taskmanagers) ? tms.taskmanagers : []).filter((t) => t.jobId === jid);
  mine.sort((a, b) => String(a.id).localeCompare(String(b.id)));
  renderJobView(details, requirements, mine);
}
