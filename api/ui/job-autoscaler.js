// The job view's Autoscaler tab (GET /jobs/:id/autoscaler): on or not and why nothing happens now,
// per vertex the parallelism it computed and the reasoning, and its last decisions with outcome and
// the rescale that carried them out (the Rescales tab lists that rescale).
import { $, el, formatDuration, formatTime } from './dom.js';

function td(text, attrs = {}) {
  return el('td', attrs, text === undefined || text === null || text === '' ? '–' : String(text));
}

function mode(s) {
  if (!s.enabled) return 'Off (job.autoscaler.enabled is false).';
  return s.recommendOnly ? 'On, recommending only (job.autoscaler.scaling.enabled is false).' : 'On: it rescales the job in place.';
}

/** `state`: the endpoint's body, or null when this dispatcher has no such endpoint. */
export function renderAutoscaler(state) {
  if (!state) {
    $('as-summary').textContent = 'No autoscaler on this dispatcher.';
    $('as-vertices').replaceChildren();
    $('as-decisions').replaceChildren();
    $('as-empty').hidden = false;
    return;
  }
  const last = state.lastEvaluation;
  const lines = [mode(state), last ? `Last evaluation ${formatTime(last.timestamp)}: ${last.code} — ${last.reason}` : 'No evaluation yet.'];
  const overrides = Object.entries(state.overrides ?? {});
  if (overrides.length) lines.push(`Changed at run time: ${overrides.map(([k, v]) => `${k} = ${v}`).join(', ')}`);
  $('as-summary').textContent = lines.join('\n');

  $('as-vertices').replaceChildren(...(state.vertices ?? []).map((v) => {
    const tr = el('tr', { 'data-testid': 'as-vertex' });
    const why = el('td', { className: 'why' }, v.reason + (v.limits?.length ? ` (limited by ${v.limits.join(', ')})` : ''));
    why.title = v.text ?? '';
    tr.append(td(v.name), td(v.parallelism), td(v.recommended, { 'data-testid': 'as-recommended' }),
      td(v.metrics ? Math.round(v.metrics.busyRatio * 100) + ' %' : null), td(Math.round(v.inputRate)), td(Math.round(v.targetRate)), why);
    return tr;
  }));

  const rows = (state.decisions ?? []).map((d) => {
    const tr = el('tr', { 'data-testid': 'as-decision', 'data-outcome': d.outcome });
    const changes = d.changes.map((c) => `${(state.vertices ?? []).find((v) => v.vertexId === c.vertexId)?.name ?? c.vertexId}: ${c.from}→${c.to}`).join(', ');
    const outcome = el('td', { className: `state state-${d.outcome === 'completed' ? 'completed' : d.outcome === 'pending' ? 'in_progress' : 'failed'}` }, d.outcome);
    if (d.error) outcome.append(el('div', { className: 'cause' }, d.error));
    const change = el('td', { 'data-testid': 'as-change' }, changes);
    change.title = d.changes.map((c) => c.text).join('\n');
    tr.append(td(`#${d.id}`), td(formatTime(d.timestamp)), change, outcome, td(d.result ? formatDuration(d.result.durationMs) : null), td(d.requestId, { className: 'id' }));
    return tr;
  });
  $('as-decisions').replaceChildren(...rows);
  $('as-empty').hidden = rows.length > 0;
}
