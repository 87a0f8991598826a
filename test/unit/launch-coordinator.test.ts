/**
 * Offer matching (resourcemanager/mesos/launch-coordinator.ts): bin-packing fills one agent before
 * the next, spreading alternates, hard constraints exclude agents, one port per TaskManager, the
 * resources taken stay contained in the offer (role and allocation kept), and agents that cannot
 * take a TaskManager are named with what they offered.
 */
import { describe, expect, it } from 'vitest';
import { matchOffers, parseConstraints, takeResources } from '../../resourcemanager/mesos/launch-coordinator.js';
import type { Offer } from '../../resourcemanager/mesos/types.js';

const offer = (id: string, agent: string, cpus: number, mem: number, ports: [number, number], attrs: Record<string, string> = {}): Offer => ({
  id: { value: id }, framework_id: { value: 'F' }, agent_id: { value: agent }, hostname: `${agent}.example`,
  resources: [
    { name: 'cpus', type: 'SCALAR', scalar: { value: cpus }, role: '*', allocation_info: { role: 'web' } },
    { name: 'mem', type: 'SCALAR', scalar: { value: mem }, role: '*', allocation_info: { role: 'web' } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: ports[0], end: ports[1] }] }, role: '*', allocation_info: { role: 'web' } },
  ],
  attributes: Object.entries(attrs).map(([name, value]) => ({ name, type: 'TEXT', text: { value } })),
});
const need = { cpus: 1, memMb: 512, diskMb: 0 };
const reqs = (n: number) => Array.from({ length: n }, (_, i) => ({ resourceId: `tm-${i + 1}` }));

describe('launch coordinator', () => {
  it('bin-packs: the fuller agent first, one ACCEPT per agent, the rest declined', () => {
    const offers = [offer('o1', 'a', 4, 4096, [31000, 31010]), offer('o2', 'b', 2, 2048, [32000, 32010]), offer('o3', 'c', 8, 8192, [33000, 33010])];
    const m = matchOffers(offers, reqs(3), need, [], 'binpack');
    // b ends fullest, so it takes two; then only a or c can take one, and a (smaller) ends fuller.
    expect(m.launches.map((l) => [l.agentId, l.offerIds, l.placements.map((p) => p.resourceId)])).toEqual([['a', ['o1'], ['tm-3']], ['b', ['o2'], ['tm-1', 'tm-2']]]);
    expect(m.launches.find((l) => l.agentId === 'b')!.placements.map((p) => p.port)).toEqual([32000, 32001]);
    expect(m.declined).toEqual(['o3']);
    const three = matchOffers([offers[0]!, offers[2]!], reqs(3), need, [], 'binpack');
    expect(three.launches.map((l) => [l.agentId, l.placements.length])).toEqual([['a', 3]]);
    expect(three.declined).toEqual(['o3']);
  });

  it('spreads: one per agent before a second anywhere, counting TaskManagers already running', () => {
    const offers = [offer('o1', 'a', 4, 4096, [31000, 31010]), offer('o2', 'b', 4, 4096, [32000, 32010])];
    const m = matchOffers(offers, reqs(3), need, [], 'spread');
    expect(m.launches.map((l) => [l.agentId, l.placements.length]).sort()).toEqual([['a', 2], ['b', 1]]);
    const busy = matchOffers(offers, reqs(1), need, [], 'spread', new Map([['a', 2]]));
    expect(busy.launches.map((l) => l.agentId)).toEqual(['b']);
  });

  it('honours hard constraints and names the agents that do not fit', () => {
    const offers = [offer('o1', 'a', 4, 4096, [31000, 31010], { az: 'eu-1a' }), offer('o2', 'b', 0.5, 4096, [32000, 32010], { az: 'eu-1b' }), offer('o3', 'c', 4, 4096, [33000, 33010], { az: 'eu-1b' })];
    const m = matchOffers(offers, reqs(1), need, parseConstraints('az:eu-1b'), 'binpack');
    expect(m.launches.map((l) => l.agentId)).toEqual(['c']);
    expect(m.unfit.join('\n')).toMatch(/a\.example \(a\): attribute az=eu-1a is not eu-1b/);
    expect(m.unfit.join('\n')).toMatch(/b\.example \(b\) offers cpus 0.5, mem 4096 MB, disk 0 MB, 11 port\(s\); a TaskManager needs cpus 1/);
    expect(matchOffers(offers, reqs(1), need, parseConstraints('hostname:a.example'), 'binpack').launches.map((l) => l.agentId)).toEqual(['a']);
    expect(() => parseConstraints('az')).toThrow(/key:value/);
    expect(matchOffers([offer('o4', 'd', 4, 4096, [1, 0])], reqs(1), need, [], 'binpack').launches).toEqual([]); // no port, no launch
  });

  it('takes resources from the offer, keeping role and allocation, one port', () => {
    const o = offer('o1', 'a', 4, 4096, [31000, 31010]);
    const taken = takeResources(o.resources!, { cpus: 0.5, memMb: 640, diskMb: 0 }, 31003);
    expect(taken).toEqual([
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 }, role: '*', allocation_info: { role: 'web' } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 640 }, role: '*', allocation_info: { role: 'web' } },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31003, end: 31003 }] }, role: '*', allocation_info: { role: 'web' } },
    ]);
  });
});
