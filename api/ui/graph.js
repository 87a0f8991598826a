// The job's dataflow graph as hand-written SVG: a box per vertex (name, parallelism), an arrow per
// edge labelled with its exchange (Flink's plan: nodes[].inputs[].ship_strategy). Without `inputs`
// (an older dispatcher) the vertices are chained in their order and the exchanges are unknown.
import { svg } from './dom.js';

const BOX_W = 250;
const BOX_H = 52;
const GAP_X = 90;
const GAP_Y = 26;
const PAD = 12;

/** The graph's edges { from, to, ship } and whether they came from the plan (else inferred). */
export function graphEdges(details) {
  const nodes = (details.plan && Array.isArray(details.plan.nodes)) ? details.plan.nodes : [];
  if (nodes.some((n) => Array.isArray(n.inputs))) {
    const edges = [];
    for (const n of nodes) for (const i of n.inputs ?? []) edges.push({ from: String(i.id), to: String(n.id), ship: String(i.ship_strategy ?? i.exchange ?? '') });
    return { edges, inferred: false };
  }
  const ids = (Array.isArray(details.vertices) ? details.vertices : nodes).map((v) => String(v.id));
  return { edges: ids.slice(1).map((id, i) => ({ from: ids[i], to: id, ship: '' })), inferred: true };
}

/** Column of each vertex: the longest path from a source (vertices on a cycle stay in column 0). */
function layers(ids, edges) {
  const layer = new Map(ids.map((id) => [id, 0]));
  for (let round = 0; round < ids.length; round++) {
    let changed = false;
    for (const e of edges) {
      if (!layer.has(e.from) || !layer.has(e.to)) continue;
      const want = layer.get(e.from) + 1;
      if (want > layer.get(e.to) && want < ids.length) { layer.set(e.to, want); changed = true; }
    }
    if (!changed) break;
  }
  return layer;
}

const short = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The graph of `details` (GET /jobs/:id) as an <svg> element. */
export function renderGraph(details) {
  const vertices = Array.isArray(details.vertices) ? details.vertices : [];
  const ids = vertices.map((v) => String(v.id));
  const { edges, inferred } = graphEdges(details);
  const layer = layers(ids, edges);
  const rows = new Map();
  const pos = new Map();
  for (const id of ids) {
    const l = layer.get(id);
    const r = rows.get(l) ?? 0;
    rows.set(l, r + 1);
    pos.set(id, { x: PAD + l * (BOX_W + GAP_X), y: PAD + r * (BOX_H + GAP_Y) });
  }
  const cols = Math.max(1, ...[...layer.values()].map((l) => l + 1));
  const height = PAD * 2 + Math.max(1, ...rows.values()) * (BOX_H + GAP_Y) - GAP_Y;
  const width = PAD * 2 + cols * (BOX_W + GAP_X) - GAP_X;
  const label = `Dataflow graph: ${vertices.map((v) => `${v.name} (parallelism ${v.parallelism})`).join(', ')}`;
  const root = svg('svg', { class: 'graph', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': label, 'data-testid': 'graph', 'data-inferred': String(inferred) });
  root.append(svg('title', {}, label));
  const defs = svg('defs');
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'graph-arrow' }));
  defs.append(marker);
  root.append(defs);

  for (const e of edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x + BOX_W, y1 = a.y + BOX_H / 2, x2 = b.x, y2 = b.y + BOX_H / 2;
    const mx = (x1 + x2) / 2;
    const g = svg('g', { class: 'graph-edge', 'data-testid': 'graph-edge', 'data-from': e.from, 'data-to': e.to, 'data-ship': e.ship });
    g.append(svg('path', { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2 - 1},${y2}`, 'marker-end': 'url(#arrow)' }));
    if (e.ship) g.append(svg('text', { x: mx, y: (y1 + y2) / 2 - 5, 'text-anchor': 'middle', class: 'graph-ship' }, e.ship));
    root.append(g);
  }
  for (const v of vertices) {
    const p = pos.get(String(v.id));
    const g = svg('g', { class: 'graph-vertex', 'data-testid': 'graph-vertex', 'data-vertex-id': v.id, transform: `translate(${p.x},${p.y})` });
    g.append(svg('title', {}, `${v.name} (${v.id})`));
    g.append(svg('rect', { width: BOX_W, height: BOX_H, rx: 6 }));
    g.append(svg('text', { x: 10, y: 21, class: 'graph-name' }, short(String(v.name), 30)));
    g.append(svg('text', { x: 10, y: 40, class: 'graph-par', 'data-testid': 'graph-parallelism' }, `parallelism ${v.parallelism} / max ${v.maxParallelism}`));
    root.append(g);
  }
  return root;
}
