// The job view (operator console): summary, actions (savepoint, stop, cancel), and tabs: overview
// (graph, vertices with live metrics, rescale), checkpoints, exceptions, TaskManagers, rescales, autoscaler.
// Only the selected tab's data is fetched on each refresh.
import { api, optionalApi } from './api.js';
import { $, showMessage, TERMINAL } from './dom.js';
import { cancelShownJob, resetActions, stopWithSavepoint, triggerSavepoint, updateActions, useSavepoint } from './job-actions.js';
import { renderAutoscaler } from './job-autoscaler.js';
import { renderCheckpoints, renderExceptions, renderRescales } from './job-history.js';
import { highlightJob } from './job-list.js';
import { renderOverview, resetOverview, vertexTargets } from './job-overview.js';
import { renderTaskManagers, resetTaskManagers, showJobManagerLog, subtasksByTaskManager } from './job-taskmanagers.js';
import { rescale, rescaleHint, rescaleVertices, resetRescale } from './rescale.js';
import { selectedTab, setupTabs } from './tabs.js';

/** The job shown in the job view, or null. */
let selectedJob = null;
/** The last answers shown (the rescale controls check against them). */
let shown = { details: null, requirements: {} };
let viewAsked = 0;
let viewShown = 0;
let selectTab = () => {};

const jobPath = (jid, rest = '') => `/jobs/${encodeURIComponent(jid)}${rest}`;

/** The job shown in the job view, or null. */
export const shownJob = () => selectedJob;

export function openJobView(jid) {
  if (jid !== selectedJob) {
    resetRescale();
    resetActions();
    resetOverview();
    resetTaskManagers();
    shown = { details: null, requirements: {} };
    $('rescale-parallelism').value = '';
    selectedJob = null; // so selecting the tab does not refresh the previous job
    selectTab('overview');
  }
  selectedJob = jid;
  $('job-view').hidden = false;
  $('jv-id').textContent = jid;
  highlightJob(jid);
  refreshJobView().catch((err) => showMessage(`Job details: ${err.message}`, 'error'));
  $('job-view').scrollIntoView({ block: 'nearest' });
}

export function closeJobView() {
  selectedJob = null;
  resetRescale();
  resetActions();
  $('job-view').hidden = true;
  highlightJob(null);
}

function renderSummary(details) {
  const state = String(details.state ?? '');
  $('jv-name').textContent = details.name ?? '';
  $('jv-state').textContent = state;
  $('jv-state').className = `state state-${state.toLowerCase()}`;
  const max = Number(details.maxParallelism) || 0;
  $('jv-max').textContent = max > 0 ? String(max) : '–';
  $('jv-savepoint').textContent = details.savepointPath ? String(details.savepointPath) : '–';
  const ended = TERMINAL.has(state);
  updateActions(ended, details.isStoppable);
  $('rescale-control').hidden = ended;
  $('vertex-rescale-button').parentElement.hidden = ended;
  $('rescale-ended').hidden = !ended;
  const vertices = Array.isArray(details.vertices) ? details.vertices : [];
  const input = $('rescale-parallelism');
  if (max > 0) input.max = String(max);
  $('rescale-limit').textContent = rescaleHint(max, vertices);
  const current = vertices.length ? Math.max(...vertices.map((v) => v.parallelism)) : details.parallelism;
  if (input.value === '' && current) input.value = String(current); // never overwrite what the user typed
}

/** Fetches and draws the selected tab's data. */
async function refreshTab(jid, tab, details, tms) {
  const vertices = Array.isArray(details.vertices) ? details.vertices : [];
  if (tab === 'overview') {
    const history = await optionalApi(jobPath(jid, '/metrics/history'));
    if (jid === selectedJob) renderOverview(details, shown.requirements, history);
  } else if (tab === 'checkpoints') {
    const stats = await optionalApi(jobPath(jid, '/checkpoints'));
    if (jid === selectedJob) renderCheckpoints(stats ?? {});
  } else if (tab === 'exceptions') {
    const ex = await api('GET', jobPath(jid, '/exceptions'));
    if (jid === selectedJob) renderExceptions(ex);
  } else if (tab === 'taskmanagers') {
    const subtasks = TERMINAL.has(details.state) ? {} : await subtasksByTaskManager(jid, vertices);
    if (jid === selectedJob) renderTaskManagers(tms, subtasks);
  } else if (tab === 'rescales') {
    const history = await optionalApi(jobPath(jid, '/rescales/history'));
    if (jid === selectedJob) renderRescales(history);
  } else if (tab === 'autoscaler') {
    const state = await optionalApi(jobPath(jid, '/autoscaler'));
    if (jid === selectedJob) renderAutoscaler(state);
  }
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
  shown = { details, requirements };
  const mine = (Array.isArray(tms.taskmanagers) ? tms.taskmanagers : []).filter((t) => t.jobId === jid);
  mine.sort((a, b) => String(a.id).localeCompare(String(b.id)));
  renderSummary(details);
  if (selectedTab('jv-tabs') !== 'taskmanagers') renderTaskManagers(mine, null);
  await refreshTab(jid, selectedTab('jv-tabs'), details, mine);
}

/** Wires the job view's buttons and tabs. */
export function setupJobView() {
  const refresh = () => refreshJobView();
  const withJob = (f) => () => { if (selectedJob) f(selectedJob); };
  $('jv-close').addEventListener('click', closeJobView);
  $('savepoint-button').addEventListener('click', withJob((jid) => triggerSavepoint(jid, refresh)));
  $('stop-button').addEventListener('click', withJob((jid) => stopWithSavepoint(jid, refresh)));
  $('jv-cancel-button').addEventListener('click', withJob((jid) => cancelShownJob(jid, refresh)));
  $('use-savepoint').addEventListener('click', () => { if (shown.details) useSavepoint(shown.details.jarId); });
  $('jm-log-button').addEventListener('click', withJob((jid) => showJobManagerLog(jid)));
  const rescaleAll = withJob((jid) => rescale(jid, Number(shown.details?.maxParallelism) || 0, refresh));
  $('rescale-button').addEventListener('click', rescaleAll);
  $('rescale-parallelism').addEventListener('keydown', (e) => { if (e.key === 'Enter') rescaleAll(); });
  const rescaleEach = withJob((jid) => rescaleVertices(jid, vertexTargets(), shown.requirements, refresh));
  $('vertex-rescale-button').addEventListener('click', rescaleEach);
  // Enter in a vertex's "new parallelism" field applies the per-vertex values, like the button.
  $('jv-vertices').addEventListener('keydown', (e) => { if (e.key === 'Enter' && e.target.matches('[data-testid=vertex-target]')) rescaleEach(); });
  selectTab = setupTabs('jv-tabs', () => {
    if (selectedJob) refreshJobView().catch((err) => showMessage(`Job details: ${err.message}`, 'error'));
  });
}
