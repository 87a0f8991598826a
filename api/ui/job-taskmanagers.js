// The job view's TaskManagers tab: the job's TaskManagers (GET /taskmanagers, ebbflow's jobId) with
// the subtasks each runs (GET /jobs/:id/vertices/:vid), their log tails (GET /taskmanagers/:tm/log)
// and the job process's log (GET /jobs/:id/jobmanager/log), fetched when asked for.
import { api, apiText } from './api.js';
import { $, el, formatDuration, placeInOrder } from './dom.js';

const LOG_LINES = 200;
/** Per TaskManager id: { tr, cells, logRow, log, button }. */
const tmRows = new Map();

export function resetTaskManagers() {
  for (const r of tmRows.values()) { r.tr.remove(); r.logRow.remove(); }
  tmRows.clear();
  $('jm-log').hidden = true;
  $('jm-log').textContent = '';
}

/** Subtasks per TaskManager id: "Vertex #i (STATE)" from every vertex's details; {} when unreadable. */
export async function subtasksByTaskManager(jid, vertices) {
  const out = {};
  const details = await Promise.all(vertices.map((v) => api('GET', `/jobs/${encodeURIComponent(jid)}/vertices/${encodeURIComponent(v.id)}`)));
  for (const d of details) {
    for (const s of d.subtasks ?? []) (out[s['taskmanager-id']] ??= []).push({ name: d.name, subtask: s.subtask, status: s.status });
  }
  return out;
}

/** Shows `text` of a log endpoint in `pre` (null: the endpoint is missing). */
async function showLog(pre, path, button) {
  button.disabled = true;
  pre.hidden = false;
  pre.textContent = 'Loading…';
  try {
    const text = await apiText(path);
    pre.dataset.state = text === null ? 'missing' : 'shown';
    pre.textContent = text === null ? 'No log tail from this dispatcher yet.' : (text || '(empty)');
    pre.scrollTop = pre.scrollHeight;
  } catch (err) {
    pre.dataset.state = 'error';
    pre.textContent = `Could not read the log: ${err.message}`;
  } finally {
    button.disabled = false;
  }
}

export function showJobManagerLog(jid) {
  return showLog($('jm-log'), `/jobs/${encodeURIComponent(jid)}/jobmanager/log?lines=${LOG_LINES}`, $('jm-log-button'));
}

/**
 * Despite its name, Flink's `timeSinceLastHeartbeat` is when the last heartbeat arrived (ms since the
 * epoch); older ebbflow dispatchers sent the age. Anything past 2001 is taken as a timestamp.
 */
function heartbeatAge(v) {
  return typeof v === 'number' && v > 1e12 ? Math.max(0, Date.now() - v) : v;
}

function makeRow(t) {
  const tr = el('tr', { 'data-testid': 'taskmanager-row', 'data-taskmanager-id': t.id });
  const cells = { pid: el('td'), slots: el('td'), heartbeat: el('td'), subtasks: el('td', { 'data-testid': 'taskmanager-subtasks' }) };
  const button = el('button', { type: 'button', className: 'secondary', 'data-testid': 'tm-log-button', 'aria-label': `Log tail of ${t.id}` }, 'Log tail');
  const actions = el('td', { className: 'actions' });
  actions.append(button);
  tr.append(el('td', { 'data-testid': 'taskmanager-id' }, t.id), cells.pid, cells.slots, cells.heartbeat, cells.subtasks, actions);
  const log = el('pre', { className: 'log', 'data-testid': 'tm-log', tabindex: 0 });
  const logCell = el('td', { colspan: 6 });
  logCell.append(log);
  const logRow = el('tr', { className: 'log-row' });
  logRow.append(logCell);
  logRow.hidden = true;
  button.addEventListener('click', () => {
    logRow.hidden = false;
    showLog(log, `/taskmanagers/${encodeURIComponent(t.id)}/log?lines=${LOG_LINES}`, button);
  });
  return { tr, cells, logRow };
}

/** `tms`: the job's TaskManagers; `subtasks`: subtasksByTaskManager's answer (or null: not read this time). */
export function renderTaskManagers(tms, subtasks) {
  const seen = new Set();
  const order = [];
  for (const t of tms) {
    seen.add(t.id);
    let r = tmRows.get(t.id);
    if (!r) { r = makeRow(t); tmRows.set(t.id, r); }
    r.cells.pid.textContent = String(t.pid);
    r.cells.slots.textContent = `${t.freeSlots} / ${t.slotsNumber}`;
    r.cells.heartbeat.textContent = `${formatDuration(heartbeatAge(t.timeSinceLastHeartbeat))} ago`;
    if (subtasks) {
      const list = (subtasks[t.id] ?? []).map((s) => el('li', { 'data-testid': 'taskmanager-subtask' }, `${s.name} #${s.subtask} (${s.status})`));
      const ul = el('ul', { className: 'subtasks' });
      ul.append(...list);
      r.cells.subtasks.replaceChildren(list.length ? ul : '–');
    }
    order.push(r.tr, r.logRow);
  }
  placeInOrder($('jv-taskmanagers'), order);
  for (const [id, r] of tmRows) if (!seen.has(id)) { r.tr.remove(); r.logRow.remove(); tmRows.delete(id); }
  $('jv-taskmanagers-empty').hidden = tms.length > 0;
}
