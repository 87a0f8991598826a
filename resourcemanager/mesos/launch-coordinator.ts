/**
 * Matching offers to pending TaskManager requests (the part of Flink's
 * LaunchCoordinator that Fenzo did). Pure: given the offers at hand and the
 * requests in order, it decides which request goes on which agent, with which
 * port, and which offers are left over.
 *
 * - Hard constraints (agent attribute equals a value, hostname equals or
 *   matches) filter agents; a request fits an agent when cpus, mem, disk and
 *   one port fit in what is left of that agent's offers in this round.
 * - The fitness function ranks the agents that fit: `binpack` (the default)
 *   prefers the agent that ends up fullest (Fenzo's cpuMemBinPacker: the mean
 *   of cpu and memory utilisation after placement), `spread` prefers the agent
 *   running the fewest of this job's TaskManagers, then the emptiest one.
 * - All offers of one agent go into one ACCEPT with every launch placed there;
 *   offers of agents that got nothing are declined.
 */
import { MesosConstraintError } from './errors.js';
import type { Attribute, Offer, Resource } from './types.js';

export interface TaskRequirements {
  cpus: number;
  memMb: number;
  diskMb: number;
}

export type Constraint =
  | { kind: 'attribute'; name: string; value: string }
  | { kind: 'hostname'; value: string };

export type Fitness = 'binpack' | 'spread';

export interface PendingRequest { resourceId: string }

export interface Placement {
  resourceId: string;
  port: number;
}

export interface AgentLaunch {
  agentId: string;
  hostname: string;
  offerIds: string[];
  /** The offers' resources as offered (roles and allocation kept, so what we take is contained in them). */
  offered: Resource[];
  placements: Placement[];
}

export interface MatchResult {
  launches: AgentLaunch[];
  declined: string[];
  /** Why agents that offered something could not take a request (for logs and timeout causes). */
  unfit: string[];
}

interface AgentRound {
  agentId: string;
  hostname: string;
  offers: Offer[];
  attributes: Attribute[];
  cpus: number;
  mem: number;
  disk: number;
  ports: number[];
  totalCpus: number;
  totalMem: number;
  placements: Placement[];
}

const EPS = 1e-9;

function scalar(rs: Resource[], name: string): number {
  return rs.filter((r) => r.name === name && r.type === 'SCALAR').reduce((s, r) => s + (r.scalar?.value ?? 0), 0);
}

function ports(rs: Resource[], limit = 1024): number[] {
  const out: number[] = [];
  for (const r of rs) {
    if (r.name !== 'ports' || r.type !== 'RANGES') continue;
    for (const g of r.ranges?.range ?? []) for (let p = Number(g.begin); p <= Number(g.end) && out.length < limit; p++) out.push(p);
  }
  return out;
}

export function attributeValue(a: Attribute): string {
  if (a.type === 'TEXT') return a.text?.value ?? '';
  if (a.type === 'SCALAR') return String(a.scalar?.value ?? '');
  if (a.type === 'SET') return (a.set?.item ?? []).join(',');
  return (a.ranges?.range ?? []).map((r) => `[${r.begin}-${r.end}]`).join(',');
}

export function meetsConstraints(hostname: string, attributes: Attribute[], constraints: Constraint[]): string | undefined {
  for (const c of constraints) {
    if (c.kind === 'hostname') {
      if (hostname !== c.value) return `hostname ${hostname} is not ${c.value}`;
    } else {
      const a = attributes.find((x) => x.name === c.name);
      if (!a || attributeValue(a) !== c.value) return `attribute ${c.name}=${a ? attributeValue(a) : '(none)'} is not ${c.value}`;
    }
  }
  return undefined;
}

/** Parses Flink's `mesos.constraints.hard.hostattribute` (`key:value,key:value`; `hostname:<h>` pins a host). */
export function parseConstraints(text: string | undefined): Constraint[] {
  if (!text?.trim()) return [];
  return text.split(',').map((part) => {
    const i = part.indexOf(':');
    if (i <= 0 || i === part.length - 1) throw new MesosConstraintError(part);
    const name = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    return name === 'hostname' ? { kind: 'hostname' as const, value } : { kind: 'attribute' as const, name, value };
  });
}

export function matchOffers(offers: Offer[], requests: PendingRequest[], need: TaskRequirements, constraints: Constraint[], fitness: Fitness, runningPerAgent: Map<string, number> = new Map()): MatchResult {
  const agents = new Map<string, AgentRound>();
  for (const o of offers) {
    const rs = o.resources ?? [];
    let a = agents.get(o.agent_id.value);
    if (!a) {
      a = { agentId: o.agent_id.value, hostname: o.hostname, offers: [], attributes: o.attributes ?? [], cpus: 0, mem: 0, disk: 0, ports: [], totalCpus: 0, totalMem: 0, placements: [] };
      agents.set(a.agentId, a);
    }
    a.offers.push(o);
    a.cpus += scalar(rs, 'cpus');
    a.mem += scalar(rs, 'mem');
    a.disk += scalar(rs, 'disk');
    a.ports.push(...ports(rs));
  }
  for (const a of agents.values()) { a.totalCpus = a.cpus; a.totalMem = a.mem; }
  const unfit: string[] = [];
  const eligible = [...agents.values()].filter((a) => {
    const why = meetsConstraints(a.hostname, a.attributes, constraints);
    if (why) unfit.push(`agent ${a.hostname} (${a.agentId}): ${why}`);
    return !why;
  });
  const fits = (a: AgentRound) => a.cpus + EPS >= need.cpus && a.mem + EPS >= need.memMb && a.disk + EPS >= need.diskMb && a.ports.length > 0;
  for (const a of eligible) {
    if (!fits(a)) unfit.push(`agent ${a.hostname} (${a.agentId}) offers cpus ${round(a.cpus)}, mem ${round(a.mem)} MB, disk ${round(a.disk)} MB, ${a.ports.length} port(s); a TaskManager needs cpus ${need.cpus}, mem ${need.memMb} MB, disk ${need.diskMb} MB, 1 port`);
  }
  const score = (a: AgentRound): number => {
    if (fitness === 'spread') return -((runningPerAgent.get(a.agentId) ?? 0) + a.placements.length) * 1e6 + a.cpus / Math.max(a.totalCpus, EPS) + a.mem / Math.max(a.totalMem, EPS);
    const cpuUse = 1 - (a.cpus - need.cpus) / Math.max(a.totalCpus, EPS);
    const memUse = 1 - (a.mem - need.memMb) / Math.max(a.totalMem, EPS);
    return (cpuUse + memUse) / 2;
  };
  for (const req of requests) {
    const candidates = eligible.filter(fits);
    if (!candidates.length) break;
    candidates.sort((x, y) => score(y) - score(x) || x.agentId.localeCompare(y.agentId));
    const a = candidates[0];
    a.cpus -= need.cpus;
    a.mem -= need.memMb;
    a.disk -= need.diskMb;
    a.placements.push({ resourceId: req.resourceId, port: a.ports.shift()! });
  }
  const launches: AgentLaunch[] = [];
  const declined: string[] = [];
  for (const a of agents.values()) {
    if (a.placements.length) launches.push({ agentId: a.agentId, hostname: a.hostname, offerIds: a.offers.map((o) => o.id.value), offered: a.offers.flatMap((o) => o.resources ?? []), placements: a.placements });
    else declined.push(...a.offers.map((o) => o.id.value));
  }
  return { launches, declined, unfit };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The resources one TaskManager takes out of an agent's offered resources: its cpus, mem and disk
 * and its port, each copied from an offered resource (same role and allocation) so that the master's
 * containment check passes.
 */
export function takeResources(offered: Resource[], need: TaskRequirements, port: number): Resource[] {
  const out: Resource[] = [];
  const scalarFrom = (name: string, amount: number) => {
    let left = amount;
    for (const r of offered) {
      if (left <= EPS || r.name !== name || r.type !== 'SCALAR') continue;
      const take = Math.min(left, r.scalar?.value ?? 0);
      if (take <= EPS) continue;
      out.push(copy(r, { scalar: { value: round(take) } }));
      left -= take;
    }
  };
  scalarFrom('cpus', need.cpus);
  scalarFrom('mem', need.memMb);
  if (need.diskMb > 0) scalarFrom('disk', need.diskMb);
  const pr = offered.find((r) => r.name === 'ports' && r.type === 'RANGES' && (r.ranges?.range ?? []).some((g) => Number(g.begin) <= port && port <= Number(g.end)));
  if (pr) out.push(copy(pr, { ranges: { range: [{ begin: port, end: port }] } }));
  return out;
}

function copy(r: Resource, value: Partial<Resource>): Resource {
  const { scalar: _s, ranges: _r, set: _t, ...rest } = r;
  return { ...rest, ...value };
}
