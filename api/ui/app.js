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
  const headers = {};
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
  const cancel = el('button', { type: 'button', 'data-testid': 'cancel-button', className: 'danger' }, 'Cancel');
  cancel.addEventListener('click', () => cancelJob(job.jid, cancel));
  actions.append(cancel);
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

// ---------- polling and start-up ----------

let pollTimer;
let polling = false;
let pollAgain = false;

/** Refreshes jobs, overview and bundles, then again every REFRESH_MS; never two refreshes at once. */
async function poll() {
  if (polling) {
    pollAgain = true;
    return;
  }
  polling = true;
  clearTimeout(pollTimer);
  try {
    await Promise.all([refreshJobs(), refreshOverview(), refreshJars()]);
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
  poll();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
