// ebbflow web console: vanilla JS against the dispatcher's REST API (Flink's shapes), as ES modules:
// dom.js, api.js, tabs.js, charts.js (helpers), upload.js (bundles, run form), job-list.js (jobs),
// job-detail.js (one job's console: job-actions.js, job-overview.js with graph.js, job-history.js,
// job-taskmanagers.js, rescale.js). This module starts the page and polls.
import { api } from './api.js';
import { $, clearMessage, refreshFailed } from './dom.js';
import { openJobView, refreshJobView, setupJobView } from './job-detail.js';
import { onOpenJob, refreshJobs } from './job-list.js';
import { refreshJars, upload } from './upload.js';

const TOKEN_KEY = 'ebbflow.apiToken';
const REFRESH_MS = 2000;

async function refreshOverview() {
  const o = await api('GET', '/overview');
  const set = (id, v) => { $(id).textContent = v === undefined || v === null ? '–' : String(v); };
  set('ov-taskmanagers', o.taskmanagers);
  set('ov-slots', `${o['slots-available'] ?? '–'} / ${o['slots-total'] ?? '–'}`);
  set('ov-running', o['jobs-running']);
  set('ov-finished', o['jobs-finished']);
  set('ov-cancelled', o['jobs-cancelled']);
  set('ov-failed', o['jobs-failed']);
  set('ov-version', o['flink-version']);
}

let pollTimer;
let polling = false;
let pollAgain = false;

/** Refreshes jobs, overview, bundles and the job view, then again every REFRESH_MS; never two refreshes at once. */
async function poll() {
  if (polling) {
    pollAgain = true;
    return;
  }
  polling = true;
  clearTimeout(pollTimer);
  try {
    await Promise.all([refreshJobs(), refreshOverview(), refreshJars(), refreshJobView()]);
    clearMessage('poll');
  } catch (err) {
    refreshFailed(err);
  } finally {
    polling = false;
    if (pollAgain) {
      pollAgain = false;
      poll();
    } else {
      pollTimer = setTimeout(poll, REFRESH_MS);
    }
  }
}

function start() {
  const tokenInput = $('api-token');
  tokenInput.value = localStorage.getItem(TOKEN_KEY) ?? '';
  tokenInput.addEventListener('change', () => {
    const t = tokenInput.value.trim();
    if (t) localStorage.setItem(TOKEN_KEY, t);
    else localStorage.removeItem(TOKEN_KEY);
    clearMessage('poll');
    poll();
  });
  $('upload-form').addEventListener('submit', upload);
  setupJobView();
  onOpenJob(openJobView);
  poll();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
