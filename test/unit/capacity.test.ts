/**
 * CapacityService's arithmetic and answers, on an in-memory reservation store with the Lua
 * script's rules (the script itself is tested against Redis in test/integration/capacity-reservations.test.ts):
 * TaskManagers are ⌈parallelism ÷ slots⌉; a lower bound past the per-job limit or past what the
 * other jobs leave is a 400 naming the vertex, the bound and the limit; upper bounds beyond the
 * reservation are lowered to it; a run whose record is not created gives its reservation back.
 */
import { describe, expect, it } from 'vitest';
import { CapacityExceeded, CapacityService } from '../../dispatcher/index.js';
import type { CapacityReservations, JobRecord, ReserveOutcome, ReserveRequest, VertexInfo } from '../../metadata/index.js';

class MemoryReservations {
  readonly held = new Map<string, number>();
  async reserve(jobId: string, r: ReserveRequest): Promise<ReserveOutcome> {
    const own = this.held.get(jobId) ?? 0;
    if (r.mode === 'run' && own > 0) return { kind: 'kept', reserved: own };
    const others = [...this.held.values()].reduce((a, b) => a + b, 0) - own;
    const grant = Math.min(r.wanted, r.perJob, r.total - others);
    if (grant < (r.least ?? r.wanted)) return { kind: 'refused', own, others };
    this.held.set(jobId, grant);
    return { kind: 'reserved', reserved: grant, others };
  }
  async release(jobId: string): Promise<void> { this.held.delete(jobId); }
}

const vertex = (id: string, parallelism: number, maxParallelism = 128): VertexInfo => ({
  id, name: `v-${id}`, parallelism, maxParallelism, status: 'RUNNING', 'start-time': 0, 'end-time': -1, duration: 0, tasks: {},
});
const job = (id: string, vertices: VertexInfo[]): JobRecord => ({ id, vertices, resourceRequirements: {}, parallelism: vertices[0]!.parallelism } as JobRecord);
const bounds = (lowerBound: number, upperBound: number) => ({ parallelism: { lowerBound, upperBound } });

function service(limits = { slotsPerTaskManager: 2, maxTaskManagersPerJob: 4, maxTaskManagers: 6 }) {
  const store = new MemoryReservations();
  return { store, capacity: new CapacityService(store as unknown as CapacityReservations, limits) };
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(CapacityExceeded);
  expect((err as CapacityExceeded).status).toBe(400);
  return (err as Error).message;
}

describe('CapacityService', () => {
  it('reserves ⌈parallelism ÷ slots⌉ per run and refuses past the dispatcher-wide limit', async () => {
    const { store, capacity } = service();
    expect(await capacity.reserveForRun('a', 7, async () => true)).toBe(true);
    expect(store.held.get('a')).toBe(4);
    let created = false;
    expect(await refusal(capacity.reserveForRun('b', 5, async () => (created = true)))).toMatch(/have 4 TaskManagers and this one needs 3; together at most 6 \(EBBFLOW_MAX_TASKMANAGERS\)/);
    expect(created).toBe(false);
  });

  it('gives a run\'s reservation back when its record is not created or creating it fails', async () => {
    const { store, capacity } = service();
    expect(await capacity.reserveForRun('a', 2, async () => false)).toBe(false);
    await expect(capacity.reserveForRun('b', 2, async () => { throw new Error('redis went away'); })).rejects.toThrow(/redis went away/);
    expect(store.held.size).toBe(0);
  });

  it('replaces a rescaled job\'s reservation up and down, within what the others leave', async () => {
    const { store, capacity } = service();
    await capacity.reserveForRun('a', 2, async () => true);
    await capacity.reserveForRun('b', 4, async () => true);
    const a = job('a', [vertex('s', 2)]);
    expect(await refusal(capacity.reserveForRescale(a, 9))).toMatch(/parallelism 9 needs 5 TaskManagers and the dispatcher's other jobs have 2; together at most 6 .* at most 4 \(parallelism 8\)/);
    await capacity.reserveForRescale(a, 8);
    expect(store.held.get('a')).toBe(4);
    await capacity.reserveForRescale(a, 1);
    expect(store.held.get('a')).toBe(1);
  });

  it('refuses a lower bound past the per-job limit or what the other jobs leave, naming the vertex, its bound and the limit', async () => {
    const { store, capacity } = service();
    await capacity.reserveForRun('other', 6, async () => true); // 3 TaskManagers
    const a = job('a', [vertex('src', 2, 2), vertex('sink', 2)]);
    await capacity.reserveForRun('a', 2, async () => true);
    expect(await refusal(capacity.reserveForRequirements(a, { sink: bounds(9, 128) })))
      .toMatch(/vertex sink \(v-sink\): lowerBound 9 needs 5 TaskManagers \(2 slot\(s\) each\); a job may have at most 4 \(EBBFLOW_MAX_TASKMANAGERS_PER_JOB\), so lowerBound 8 at most/);
    expect(await refusal(capacity.reserveForRequirements(a, { sink: bounds(7, 8) })))
      .toMatch(/lowerBound 7 needs 4 TaskManagers .*; the dispatcher's other jobs have 3 of at most 6 \(EBBFLOW_MAX_TASKMANAGERS\), which leaves 3 \(lowerBound 6 at most\)/);
    expect(store.held.get('a')).toBe(1);
  });

  it('reserves as much of the upper bounds as fits and lowers the upper bounds beyond it', async () => {
    const { store, capacity } = service();
    await capacity.reserveForRun('other', 6, async () => true);
    const a = job('a', [vertex('src', 2, 2), vertex('sink', 2)]);
    await capacity.reserveForRun('a', 2, async () => true);
    expect(await capacity.reserveForRequirements(a, { sink: bounds(3, 100) })).toEqual({ sink: bounds(3, 6) });
    expect(store.held.get('a')).toBe(3);
    // Within the limits the body is recorded as given; the source's cap (2) needs no more than the others do.
    expect(await capacity.reserveForRequirements(a, { sink: bounds(1, 4), src: bounds(1, 2) })).toEqual({ sink: bounds(1, 4), src: bounds(1, 2) });
    expect(store.held.get('a')).toBe(2);
  });
});
