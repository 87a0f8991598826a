// Small hand-written SVG charts: a sparkline of the last minutes (no library, no inline styles).
import { svg } from './dom.js';

const W = 96;
const H = 22;

/**
 * A sparkline of `values` (numbers; null/NaN are gaps) with an accessible name; `floor` fixes the
 * bottom of the scale (0 for rates), `ceiling` the top (e.g. 1000 ms/s), else the data's range.
 */
export function sparkline(values, label, { floor, ceiling } = {}) {
  const points = values.map((v, i) => [i, typeof v === 'number' && Number.isFinite(v) ? v : null]);
  const known = points.filter(([, v]) => v !== null).map(([, v]) => v);
  const root = svg('svg', { class: 'spark', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': label });
  root.append(svg('title', {}, label));
  if (known.length < 2) return root;
  const lo = floor ?? Math.min(...known);
  const hi = Math.max(ceiling ?? -Infinity, ...known);
  const span = hi - lo || 1;
  const x = (i) => (points.length === 1 ? 0 : (i / (points.length - 1)) * (W - 2) + 1);
  const y = (v) => H - 2 - ((v - lo) / span) * (H - 4);
  let d = '';
  let pen = false;
  for (const [i, v] of points) {
    if (v === null) { pen = false; continue; }
    d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  }
  root.append(svg('path', { d, class: 'spark-line' }));
  return root;
}
