// The job view's overview tab: the dataflow graph, and per vertex its parallelism, bounds and live
// metrics (records/s in and out, busy, back-pressured, input watermark, source backlog) with
// sparklines of GET /jobs/:id/metrics/history, and the per-vertex "new parallelism" fields.
import { sparkline } from './charts.js';
import { $, el, formatNumber, placeInOrder, TERMINAL } from './dom.js';
import { graphEdges, renderGraph } from './graph.js';

/** Per vertex id: { tr, cells, input }; kept across refreshes so typed-in values survive. */
const rows = new Map();
let graphKey = '';

/** Forgets the rows (another job is shown). */
export function resetOverview() {
  rows.clear();
  graphKey = '';
  $('jv-vertices').replaceChildren();
  $('jv-graph').replaceChildren();
}

/** The typed-in per-vertex parallelism: [{ vertex, value }] for non-empty fields. */
export function vertexTargets() {
  const out = [];
  for (const r of rows.values()) if (r.input.value.trim() !== '') out.push({ vertex: r.vertex, value: r.input.value.trim(), input: r.input });
  return out;
}

/** Flink's "no watermark yet" is Long.MIN_VALUE; anything that far back means none. */
function formatWatermark(w) {
  if (typeof w !== 'number' || !Number.isFinite(w) || w < -1e15) return 'none';
  return new Date(w).toISOString().slice(11, 23); // the time of day (UTC); the date is in the cell's title
}

const METRICS = [
  { key: 'numRecordsInPerSecond', label: 'records/s in', floor: 0, fmt: formatNumber },
  { key: 'numRecordsOutPerSecond', label: 'records/s out', floor: 0, fmt: formatNumber },
  { key: 'busyTimeMsPerSecond', label: 'busy ms/s', floor: 0, ceiling: 1000, fmt: (v) => formatNumber(typeof v === 'number' ? Math.round(v) : v) },
  { key: 'backPressuredTimeMsPerSecond', label: 'back-pressured ms/s', floor: 0, ceiling: 1000, fmt: (v) => formatNumber(typeof v === 'number' ? Math.round(v) : v) },
  { key: 'currentInputWatermark', label: 'input watermark', fmt: formatWatermark, clean: (v) => (typeof v === 'number' && v > -1e15 ? v : null) },
  { key: 'pendingRecords', label: 'source backlog', floor: 0, fmt: formatNumber },
];

function makeRow(v) {
  const tr = el('tr', { 'data-testid': 'vertex-row', 'data-vertex-id': v.id });
  const nameCell = el('td');
  nameCell.append(el('span', { 'data-testid': 'vertex-name' }, v.name), el('br'), el('span', { className: 'id small' }, v.id));
  const cells = {
    parallelism: el('td', { 'data-testid': 'vertex-parallelism' }),
    bounds: el('td', { 'data-testid': 'vertex-bounds' }),
    max: el('td', { 'data-testid': 'vertex-max' }),
    status: el('td'),
  };
  const metricCells = METRICS.map((m) => el('td', { className: 'metric', 'data-testid': `metric-${m.key}`, 'data-metric': m.key }));
  const input = el('input', { type: 'number', min: 1, step: 1, className: 'par', 'data-testid': 'vertex-target', 'aria-label': `New parallelism of ${v.name}` });
  const inputCell = el('td');
  inputCell.append(input);
  tr.append(nameCell, cells.parallelism, cells.bounds, cells.max, cells.status, ...metricCells, inputCell);
  return { tr, cells, metricCells, input, vertex: v };
}

/**
 * Draws the graph and the vertex rows of `details` with `requirements` (GET resource-requirements)
 * and `history` (GET metrics/history, null when there is none).
 */
export function renderOverview(details, requirements, history) {
  const vertices = Array.isArray(details.vertices) ? details.vertices : [];
  const { edges, inferred } = graphEdges(details);
  const key = JSON.stringify([vertices.map((v) => [v.id, v.name, v.parallelism, v.maxParallelism]), edges]);
  if (key !== graphKey) {
    graphKey = key;
    $('jv-graph').replaceChildren(renderGraph(details));
    $('jv-graph-note').hidden = !inferred || vertices.length < 2;
  }
  const series = history && history.vertices && typeof history.vertices === 'object' ? history.vertices : {};
  const hasMetrics = Array.isArray(history?.timestamps) && history.timestamps.length > 0 && Object.keys(series).length > 0;
  $('metrics-empty').hidden = hasMetrics;
  const seen = new Set();
  const order = [];
  for (const v of vertices) {
    seen.add(v.id);
    let r = rows.get(v.id);
    if (!r) { r = makeRow(v); rows.set(v.id, r); }
    r.vertex = v;
    const bounds = requirements[v.id] && requirements[v.id].parallelism;
    r.cells.parallelism.textContent = String(v.parallelism);
    r.cells.bounds.textContent = bounds ? `${bounds.lowerBound}..${bounds.upperBound}` : '–';
    r.cells.max.textContent = String(v.maxParallelism);
    r.cells.status.textContent = String(v.status);
    r.cells.status.className = `state state-${String(v.status).toLowerCase()}`;
    r.input.max = String(v.maxParallelism);
    r.input.disabled = TERMINAL.has(details.state); // an ended job cannot be rescaled
    r.input.placeholder = `1–${v.maxParallelism}`;
    const s = series[v.id] ?? {};
    METRICS.forEach((m, i) => {
      const cell = r.metricCells[i];
      const raw = Array.isArray(s[m.key]) ? s[m.key] : [];
      const values = m.clean ? raw.map(m.clean) : raw;
      if (!raw.length) { cell.replaceChildren('–'); return; }
      // A point without the value is null (a watermark before the first one, a backlog off a source).
      const last = raw[raw.length - 1];
      const title = m.key === 'currentInputWatermark' && formatWatermark(last) !== 'none' ? new Date(last).toISOString() : undefined;
      const shown = el('span', { className: 'metric-value', 'data-testid': 'metric-value', title }, m.fmt(last));
      if (values.every((x) => typeof x !== 'number')) cell.replaceChildren(shown);
      else cell.replaceChildren(shown, sparkline(values, `${v.name}: ${m.label}, last ${raw.length} points`, m));
    });
    order.push(r.tr);
  }
  placeInOrder($('jv-vertices'), order);
  for (const [id, r] of rows) if (!seen.has(id)) { r.tr.remove(); rows.delete(id); }
}
