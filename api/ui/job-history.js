// The job view's history tabs: checkpoints (GET /jobs/:id/checkpoints, Flink's CheckpointingStatistics),
// exceptions (GET /jobs/:id/exceptions) and rescales (GET /jobs/:id/rescales/history, Flink 2.3's
// JobRescalesHistory: an array of rescale details; ebbflow's moved key groups and bytes when present).
import { sparkline } from './charts.js';
import { $, el, formatBytes, formatDuration, formatTime } from './dom.js';

function td(text, attrs = {}) {
  return el('td', attrs, text === undefined || text === null ? '–' : String(text));
}

export function renderCheckpoints(stats) {
  const counts = stats.counts ?? {};
  const dl = ['completed', 'failed', 'in_progress', 'restored', 'total'].map((k) => {
    const d = el('div');
    d.append(el('dt', {}, k.replace('_', ' ')), el('dd', { 'data-testid': `cp-count-${k}` }, String(counts[k] ?? 0)));
    return d;
  });
  $('cp-counts').replaceChildren(...dl);
  const restored = stats.latest && stats.latest.restored;
  $('cp-restored').hidden = !restored;
  if (restored) $('cp-restored').textContent = `Restored from ${restored.is_savepoint ? 'savepoint' : 'checkpoint'} ${restored.id} at ${formatTime(restored.restore_timestamp)}: ${restored.external_path ?? ''}`;
  const history = Array.isArray(stats.history) ? stats.history : [];
  const body = history.map((c) => {
    const failed = c.status === 'FAILED';
    const tr = el('tr', { 'data-testid': 'cp-row', 'data-status': c.status, className: failed ? 'failure' : '' });
    tr.append(td(c.id), el('td', { className: `state state-${String(c.status).toLowerCase()}` }, String(c.status)),
      td(c.checkpoint_type ?? (c.is_savepoint ? 'SAVEPOINT' : 'CHECKPOINT')), td(formatTime(c.trigger_timestamp)),
      td(formatDuration(c.end_to_end_duration)), td(formatBytes(c.state_size)), td(`${c.num_acknowledged_subtasks ?? '–'} / ${c.num_subtasks ?? '–'}`),
      td(failed ? (c.failure_message ?? 'failed') : (c.external_path ?? ''), { className: failed ? 'cause' : 'id', 'data-testid': 'cp-detail' }));
    return tr;
  });
  $('cp-history').replaceChildren(...body);
  $('cp-empty').hidden = history.length > 0;
  // Oldest first for the charts (Flink lists the newest first).
  const done = history.filter((c) => c.status === 'COMPLETED').slice().reverse();
  const chart = (label, values) => {
    const f = el('figure', { className: 'chart' });
    f.append(sparkline(values, label, { floor: 0 }), el('figcaption', {}, label));
    return f;
  };
  $('cp-charts').replaceChildren(...(done.length > 1 ? [
    chart(`Duration of the last ${done.length} completed checkpoints`, done.map((c) => c.end_to_end_duration)),
    chart(`State size of the last ${done.length} completed checkpoints`, done.map((c) => c.state_size)),
  ] : []));
}

export function renderExceptions(ex) {
  $('ex-root').textContent = ex['root-exception'] ? `${formatTime(ex.timestamp)}\n${ex['root-exception']}` : 'None.';
  const entries = ex.exceptionHistory && Array.isArray(ex.exceptionHistory.entries) ? ex.exceptionHistory.entries : [];
  const items = entries.map((e) => {
    const li = el('li', { 'data-testid': 'ex-entry' });
    const where = [e.taskName, e.location].filter(Boolean).join(' @ ');
    const details = el('details');
    details.append(el('summary', {}, `${formatTime(e.timestamp)} ${e.exceptionName}${where ? ` (${where})` : ''}`), el('pre', { className: 'trace' }, e.stacktrace ?? ''));
    li.append(details);
    return li;
  });
  $('ex-history').replaceChildren(...items);
  $('ex-empty').hidden = entries.length > 0 || Boolean(ex['root-exception']);
}

/** A moved count: a number or ebbflow's { moved, minimum, total }. */
function moved(m, fmt = String) {
  if (typeof m === 'number') return fmt(m);
  if (m && typeof m.moved === 'number') return `${fmt(m.moved)} of ${fmt(m.total)}`;
  return '–';
}

/** ebbflow's statistics of a rescale (its RescaleResult under `statistics`; also read beside Flink's fields). */
function stat(entry, key) {
  for (const o of [entry, entry.statistics, entry.result, entry.ebbflow]) if (o && typeof o === 'object' && o[key] !== undefined) return o[key];
  return undefined;
}

/** "Source 2→1, Sink 2→1" from the entry's vertices. */
function parallelismChange(entry) {
  const vs = entry.vertices && typeof entry.vertices === 'object' ? Object.values(entry.vertices) : [];
  return vs.map((v) => `${v.jobVertexName ?? v.jobVertexId}: ${v.preRescaleParallelism ?? '?'}→${v.postRescaleParallelism ?? '?'}`).join(', ') || '–';
}

/** `history`: the endpoint's body (an array; tolerated wrapped in { history }), or null when there is none. */
export function renderRescales(history) {
  const list = Array.isArray(history) ? [...history] : (history && Array.isArray(history.history) ? [...history.history] : []);
  list.sort((a, b) => (b.startTimestampInMillis ?? 0) - (a.startTimestampInMillis ?? 0)); // newest first
  const rows = list.map((r) => {
    const state = String(r.terminalState ?? 'IN_PROGRESS');
    const tr = el('tr', { 'data-testid': 'rs-row', 'data-state': state });
    const start = r.startTimestampInMillis;
    const end = r.endTimestampInMillis;
    const duration = stat(r, 'durationMs') ?? r.durationInMillis ?? (end > 0 && start > 0 ? end - start : undefined);
    const statusCell = el('td', { className: `state state-${state.toLowerCase()}` }, state);
    if (r.terminatedReason) statusCell.title = r.terminatedReason;
    // ebbflow's failureCause beside Flink's fields: why a rescale failed, shown under its state.
    if (r.failureCause) statusCell.append(el('div', { className: 'cause', 'data-testid': 'rs-cause' }, String(r.failureCause)));
    tr.append(td(formatTime(start)), td(r.triggerCause), td(parallelismChange(r), { 'data-testid': 'rs-parallelism' }),
      td(moved(stat(r, 'keyGroups'))), td(moved(stat(r, 'stateBytes'), formatBytes)), td(formatDuration(duration)), statusCell);
    return tr;
  });
  $('rs-history').replaceChildren(...rows);
  $('rs-empty').textContent = history === null ? 'No rescale history from this dispatcher yet.' : 'No rescales yet.';
  $('rs-empty').hidden = rows.length > 0;
}
