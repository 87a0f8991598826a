// ebbflow web form: vanilla JS against the dispatcher's REST API (Flink's shapes).
// Server data is only ever put into the page through textContent / value, never as HTML.

const TOKEN_KEY = 'ebbflow.apiToken';
const REFRESH_MS = 2000;
const TERMINAL = new Set(['CANCELED', 'FINISHED', 'FAILED']);

const $ = (id) => document.getElementById(id);

/** Creates an element with optional attributes and text. */
function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'className') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---------- messages ----------

let messageSource = '';

/** Shows one message; kind is 'ok', 'error' or 'info'. `source` lets the poller clear only its own errors. */
function showMessage(text, kind = 'info', source = 'user') {
  const m = $('message');
  m.textContent = text;
  m.dataset.kind = kind;
  m.className = `message ${kind}`;
  m.hidden = false;
  messageSource = source;
}

function clearMessage(source) {
  if (source && source !== messageSource) return;
  const m = $('message');
  m.hidden = true;
  m.textContent = '';
  messageSource = '';
}

// ---------- API ----------

function token() {
  return $('api-token').value.trim();
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Calls the API; resolves to the parsed JSON body or rejects with the server's `errors` text. */
async function api(method, path, body) {
  // Marks the call as the web form's own (the dispatcher refuses state changes from other pages).
  const headers = { 'X-Ebbflow-Request': '1' };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload });
  } catch (err) {
    throw new ApiError(0, `Cannot reach the dispatcher: ${err.message}`);
  }
  const text = await res.text();
  let data;
  try { data = text ? JSON.parse(text) : {}; } catch { data = undefined; }
  if (!res.ok) {
    const errors = data && Array.isArray(data.errors) ? data.errors.map(String) : [];
    const detail = errors.length ? errors.join('; ') : (text.trim().slice(0, 300) || res.statusText);
    throw new ApiError(res.status, `${res.status} ${res.statusText || 'error'}: ${detail}`);
  }
  if (data === undefined) throw new ApiError(res.status, `Unexpected response from ${method} ${path}: not JSON`);
  return data;
}

// ---------- formatting ----------

function formatTime(ms) {
  if (typeof ms !== 'number' || ms <= 0) return '–';
  return new Date(ms).toLocaleString();
}

function formatDuration(ms) {
  if (typeof ms !== 'number' || ms < 0) return '–';
  if (ms < 1000) return `${ms} ms`;
  let s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h) return `${h}h ${m}m ${s}s`;
  if (m) return `${m}m ${s}s`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Splits program arguments on whitespace. Double or single quotes group text (also inside a word,
 * as in --name="a b"); inside double quotes \" and \\ are escapes. Throws on an unclosed quote.
 */
export function splitArgs(s) {
  const out = [];
  let cur = '';
  let inWord = false;
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = '';
      else if (quote === '"' && c === '\\' && (s[i + 1] === '"' || s[i + 1] === '\\')) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`Program arguments: unclosed ${quote} quote`);
  if (inWord) out.push(cur);
  return out;
}

// ---------- overview ----------

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

// ---------- bundles ----------

/** Rows by jar id, kept across refreshes so typed-in arguments survive. */
const jarRows = new Map();

function makeJarRow(jar) {
  const tr = el('tr', { 'data-testid': 'jar-row', 'data-jar-id': jar.id });
  tr.append(el('td', { 'data-testid': 'jar-name' }, jar.name));
  tr.append(el('td', { className: 'id', 'data-testid': 'jar-id' }, jar.id));
  tr.append(el('td', { 'data-testid': 'jar-uploaded' }, formatTime(jar.uploaded)));

  const par = el('input', { type: 'number', min: 1, step: 1, value: 1, 'data-testid': 'parallelism', 'aria-label': 'Parallelism', className: 'par' });
  const args = el('input', { type: 'text', 'data-testid': 'args', 'aria-label': 'Program arguments', placeholder: '--key value "quoted arg"', spellcheck: 'false' });
  const entry = el('input', { type: 'text', 'data-testid': 'entry', 'aria-label': 'Entry export', placeholder: 'default', spellcheck: 'false', className: 'entry' });
  const defaultEntry = jar.entry && jar.entry[0] && jar.entry[0].name;
  if (defaultEntry && defaultEntry !== 'default') entry.title = `Bundle entry: ${defaultEntry}`;
  for (const input of [par, args, entry]) {
    const td = el('td');
    td.append(input);
    tr.append(td);
  }

  const run = el('button', { type: 'button', 'data-testid': 'run-button' }, 'Run');
  const del = el('button', { type: 'button', 'data-testid': 'delete-button', className: 'secondary' }, 'Delete');
  run.addEventListener('click', () => runJar(jar, { par, args, entry, run }));
  del.addEventListener('click', () => deleteJar(jar, del));
  const actions = el('td', { className: 'actions' });
  actions.append(run, del);
  tr.append(actions);
  return tr;
}

let jarsAsked = 0;
let jarsShown = 0;

async function refreshJars() {
  const seq = ++jarsAsked;
  const data = await api('GET', '/jars');
  if (seq < jarsShown) return; // a newer answer is already on the page
  jarsShown = seq;
  const files = Array.isArray(data.files) ? [...data.files] : [];
  files.sort((a, b) => (b.uploaded ?? 0) - (a.uploaded ?? 0));
  const body = $('jars-body');
  const seen = new Set();
  for (const jar of files) {
    seen.add(jar.id);
    let row = jarRows.get(jar.id);
    if (!row) {
      row = makeJarRow(jar);
      jarRows.set(jar.id, row);
    }
    body.append(row); // re-appending keeps the order newest first
  }
  for (const [id, row] of jarRows) {
    if (!seen.has(id)) {
      row.remove();
      jarRows.delete(id);
    }
  }
  $('jars-empty').hidden = files.length > 0;
}

async function runJar(jar, { par, args, entry, run }) {
  const parallelism = Number(par.value);
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    showMessage('Parallelism must be a whole number of at least 1.', 'error');
    return;
  }
  let programArgsList;
  try {
    programArgsList = splitArgs(args.value);
  } catch (err) {
    showMessage(err.message, 'error');
    return;
  }
  const body = { parallelism, programArgsList };
  if (entry.value.trim()) body.entryClass = entry.value.trim();
  run.disabled = true;
  run.textContent = 'Starting…';
  showMessage(`Starting ${jar.name}…`, 'info');
  try {
    const res = await api('POST', `/jars/${encodeURIComponent(jar.id)}/run`, body);
    showMessage(`Started job ${res.jobid} from ${jar.name}.`, 'ok');
    await refreshJobs().catch(() => {});
  } catch (err) {
    showMessage(`Run failed: ${err.message}`, 'error');
  } finally {
    run.disabled = false;
    run.textContent = 'Run';
  }
}

async function deleteJar(jar, button) {
  if (!window.confirm(`Delete bundle ${jar.name}?`)) return;
  button.disabled = true;
  try {
    await api('DELETE', `/jars/${encodeURIComponent(jar.id)}`);
    showMessage(`Deleted ${jar.name}.`, 'ok');
  } catch (err) {
    showMessage(`Delete failed: ${err.message}`, 'error');
  } finally {
    button.disabled = false;
  }
  await refreshJars().catch((err) => showMessage(err.message, 'error'));
}

async function upload(event) {
  event.preventDefault();
  const input = $('upload-file');
  const file = input.files && input.files[0];
  if (!file) {
    showMessage('Choose a bundle file first (.js, .mjs, .zip, .jar, .tgz).', 'error');
    return;
  }
  const form = new FormData();
  form.append('jarfile', file, file.name);
  const button = $('upload-button');
  button.disabled = true;
  try {
    const res = await api('POST', '/jars/upload', form);
    showMessage(`Uploaded ${file.name} as ${res.filename}.`, 'ok');
    input.value = '';
  } catch (err) {
    showMessage(`Upload failed: ${err.message}`, 'error');
  } finally {
    button.disabled = false;
  }
  await refreshJars().catch((err) => showMessage(err.message, 'error'));
}

// ---------- jobs ----------

/** Per job id: { row, stateCell, startCell, durationCell, cancel, causeRow }. */
const jobRows = new Map();
/** Failure causes fetched from GET /jobs/:id (one request per failed job). */
const failureCauses = new Map();

function makeJobRow(job) {
  const row = el('tr', { 'data-testid': 'job-row', 'data-job-id': job.jid });
  const stateCell = el('td', { 'data-testid': 'job-state' });
  const startCell = el('td', { 'data-testid': 'job-start' });
  const durationCell = el('td', { 'data-testid': 'job-duration' });
  const actions = el('td', { className: 'actions' });
  const details = el('button', { type: 'button', 'data-testid': 'details-button', className: 'secondary' }, 'Details');
  details.addEventListener('click', () => openJobView(job.jid));
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
  r.row.classList.toggle('selected', job.jid === selectedJob);
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
  try {
    const details = await api('GET', `/jobs/${encodeURIComponent(jid)}`);
    failureCauses.set(jid, details['failure-cause'] ? String(details['failure-cause']) : '(no failure cause recorded)');
  } catch (err) {
    failureCauses.delete(jid); // retry on the next refresh
    throw err;
  }
}

let jobsAsked = 0;
let jobsShown = 0;

async function refreshJobs() {
  const seq = ++jobsAsked;
  const data = await api('GET', '/jobs/overview');
  const jobs = Array.isArray(data.jobs) ? [...data.jobs] : [];
  jobs.sort((a, b) => (b['start-time'] ?? 0) - (a['start-time'] ?? 0));
  const missingCauses = jobs.filter((j) => j.state === 'FAILED' && !failureCauses.has(j.jid));
  await Promise.all(missingCauses.map((j) => fetchFailureCause(j.jid).catch(() => {})));
  if (seq < jobsShown) return; // a newer answer is already on the page
  jobsShown = seq;
  const body = $('jobs-body');
  const seen = new Set();
  for (const job of jobs) {
    seen.add(job.jid);
    let r = jobRows.get(job.jid);
    if (!r) {
      r = makeJobRow(job);
      jobRows.set(job.jid, r);
    }
    updateJobRow(r, job);
    body.append(r.row, r.causeRow);
  }
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
  await refreshJobs().catch(() => {});
}

// ---------- job view: vertices, rescaling, TaskManagers ----------

/** The job shown in the job view, or null. */
let selectedJob = null;
let viewAsked = 0;
let viewShown = 0;
/** Bumped by every rescale request and by switching jobs, so an older request's polling stops writing. */
let rescaleRun = 0;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const jobPath = (jid, rest = '') => `/jobs/${encodeURIComponent(jid)}${rest}`;

function openJobView(jid) {
  selectedJob = jid;
  rescaleRun++;
  $('job-view').hidden = false;
  $('jv-id').textContent = jid;
  $('rescale-parallelism').value = '';
  $('rescale-button').disabled = false;
  setRescaleStatus(null);
  for (const [id, r] of jobRows) r.row.classList.toggle('selected', id === jid);
  refreshJobView().catch((err) => showMessage(`Job details: ${err.message}`, 'error'));
  $('job-view').scrollIntoView({ block: 'nearest' });
}

function closeJobView() {
  selectedJob = null;
  rescaleRun++;
  $('job-view').hidden = true;
  for (const r of jobRows.values()) r.row.classList.remove('selected');
}

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
      el('td', {}, `${formatDuration(t.timeSinceLastHeartbeat)} ago`),
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

async function refreshJobView() {
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

/** PATCHes the rescaling request, then polls its status until it completes. */
async function rescale() {
  const jid = selectedJob;
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
    const trigger = (await api('PATCH', jobPath(jid, `/rescaling?parallelism=${n}`)))['request-id'];
    for (;;) {
      if (run !== rescaleRun) return;
      const s = await api('GET', jobPath(jid, `/rescaling/${encodeURIComponent(trigger)}`));
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
    await refreshJobView().catch(() => {});
  } catch (err) {
    if (run === rescaleRun) setRescaleStatus(`Rescale failed: ${err.message}`, 'error');
  } finally {
    if (run === rescaleRun) button.disabled = false;
  }
}

// ---------- polling and start-up ----------

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
    showMessage(`Refresh failed: ${err.message}`, 'error', 'poll');
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
  $('jv-close').addEventListener('click', closeJobView);
  $('rescale-button').addEventListener('click', () => rescale());
  $('rescale-parallelism').addEventListener('keydown', (e) => { if (e.key === 'Enter') rescale(); });
  poll();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
