/**
 * Resource arithmetic of the test master: scalars (cpus, mem, disk) and
 * ranges (ports), unreserved role only. Containment is what Mesos checks when
 * a task is launched from an offer: same name and type, quantity not above
 * what is left (scalars at Mesos' 3-decimal fixed point), ranges a subset.
 */
import type { Resource } from '../../resourcemanager/mesos/types.js';

export interface Res {
  scalars: Record<string, number>;
  ranges: Record<string, [number, number][]>;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

export function emptyRes(): Res { return { scalars: {}, ranges: {} }; }

/** Mesos resources → Res; returns undefined when one is not in the unreserved role or is of a kind the master does not simulate. */
export function fromMesos(list: Resource[] | undefined): Res | undefined {
  const r = emptyRes();
  for (const x of list ?? []) {
    if ((x.role !== undefined && x.role !== '*') || x.reservation || x.reservations?.length || x.disk || x.revocable || x.shared) return undefined;
    if (x.type === 'SCALAR') {
      if (!x.scalar || x.scalar.value < 0) return undefined;
      r.scalars[x.name] = round((r.scalars[x.name] ?? 0) + x.scalar.value);
    } else if (x.type === 'RANGES') {
      const ranges = (x.ranges?.range ?? []).map((g) => [Number(g.begin), Number(g.end)] as [number, number]);
      if (ranges.some(([b, e]) => b > e)) return undefined;
      r.ranges[x.name] = normalize([...(r.ranges[x.name] ?? []), ...ranges]);
    } else return undefined;
  }
  return r;
}

export function toMesos(r: Res): Resource[] {
  const out: Resource[] = [];
  for (const [name, value] of Object.entries(r.scalars)) if (value > 0) out.push({ name, type: 'SCALAR', scalar: { value }, role: '*' });
  for (const [name, ranges] of Object.entries(r.ranges)) if (ranges.length) out.push({ name, type: 'RANGES', ranges: { range: ranges.map(([begin, end]) => ({ begin, end })) }, role: '*' });
  return out;
}

function normalize(ranges: [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [b, e] of sorted) {
    const last = out[out.length - 1];
    if (last && b <= last[1] + 1) last[1] = Math.max(last[1], e);
    else out.push([b, e]);
  }
  return out;
}

function rangeContains(outer: [number, number][], inner: [number, number][]): boolean {
  return inner.every(([b, e]) => outer.some(([ob, oe]) => ob <= b && e <= oe));
}

/** Is `b` contained in `a`? */
export function contains(a: Res, b: Res): boolean {
  for (const [name, v] of Object.entries(b.scalars)) if (round(v) > round(a.scalars[name] ?? 0)) return false;
  for (const [name, r] of Object.entries(b.ranges)) if (!rangeContains(a.ranges[name] ?? [], r)) return false;
  return true;
}

export function subtract(a: Res, b: Res): Res {
  const out = emptyRes();
  for (const [name, v] of Object.entries(a.scalars)) out.scalars[name] = round(v - (b.scalars[name] ?? 0));
  for (const [name, ranges] of Object.entries(a.ranges)) {
    let left = ranges;
    for (const [rb, re] of b.ranges[name] ?? []) {
      left = left.flatMap(([lb, le]): [number, number][] => {
        if (re < lb || rb > le) return [[lb, le]];
        const parts: [number, number][] = [];
        if (lb < rb) parts.push([lb, rb - 1]);
        if (re < le) parts.push([re + 1, le]);
        return parts;
      });
    }
    out.ranges[name] = left;
  }
  return out;
}

export function add(a: Res, b: Res): Res {
  const out: Res = { scalars: { ...a.scalars }, ranges: { ...a.ranges } };
  for (const [name, v] of Object.entries(b.scalars)) out.scalars[name] = round((out.scalars[name] ?? 0) + v);
  for (const [name, r] of Object.entries(b.ranges)) out.ranges[name] = normalize([...(out.ranges[name] ?? []), ...r]);
  return out;
}

/** Nothing worth offering: no cpus or no memory left. */
export function isEmpty(r: Res): boolean {
  return (r.scalars.cpus ?? 0) <= 0 || (r.scalars.mem ?? 0) <= 0;
}

export function describe(r: Res): string {
  return [...Object.entries(r.scalars).map(([k, v]) => `${k}:${v}`), ...Object.entries(r.ranges).map(([k, v]) => `${k}:[${v.map(([b, e]) => `${b}-${e}`).join(',')}]`)].join('; ');
}
