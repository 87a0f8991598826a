/**
 * The leader election (ha/leader-election.ts) and the fence on registry writes, against a real
 * Redis: one leader at a time; a leader that cannot renew steps down on its own clock before its
 * lease can run out, and a standby takes over once it has; the epoch only grows; a renew after a
 * takeover is refused; a write fenced with an old epoch changes nothing.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { LeaderElection } from '../../ha/index.js';
import { CapacityReservations, FencedWriteError, JobRegistry, reservationsKey } from '../../metadata/index.js';
import { deleteKeys, waitFor } from '../helpers/dispatcher.js';

const prefix = `ebbtest-election-${randomBytes(4).toString('hex')}:`;
const log = pino({ level: 'silent' });
let redis: Redis;
const started: Array<{ e: LeaderElection; r: Redis }> = [];

beforeAll(() => { redis = new Redis(inject('redisUrl')); });
afterEach(async () => {
  for (const { e, r } of started.splice(0)) { await e.close().catch(() => undefined); r.disconnect(); }
});
afterAll(async () => { await deleteKeys(redis, `${prefix}*`); redis.disconnect(); });

interface Events { elected: number[]; deposed: Array<{ epoch: number; reason: string; at: number }> }

function election(name: string, o: { leaseMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number } = {}): { e: LeaderElection; r: Redis; ev: Events } {
  const r = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1, commandTimeout: 500 });
  r.on('error', () => undefined);
  const ev: Events = { elected: [], deposed: [] };
  const e = new LeaderElection({
    redis: r, keyPrefix: prefix, id: name, url: `http://${name}`, leaseMs: o.leaseMs ?? 1000, renewDeadlineMs: o.renewDeadlineMs ?? 600, retryPeriodMs: o.retryPeriodMs ?? 100, log,
    onElected: (epoch) => ev.elected.push(epoch), onDeposed: (epoch, reason) => ev.deposed.push({ epoch, reason, at: Date.now() }),
  });
  started.push({ e, r });
  return { e, r, ev };
}

const leaderOf = (...es: LeaderElection[]) => es.filter((e) => e.isLeader());

describe('leader election over Redis', () => {
  it('elects exactly one of three; the standbys know the leader', async () => {
    const all = ['a', 'b', 'c'].map((n) => election(n));
    for (const x of all) x.e.start();
    const [leader] = await waitFor('a leader', () => { const l = leaderOf(...all.map((x) => x.e)); return l.length === 1 ? l : undefined; }, 5000, 10);
    await waitFor('every standby to know it', () => (all.every((x) => x.e.leader()?.id === leader!.id) ? true : undefined), 5000, 10);
    // Held: renewed well within its TTL, for several leases.
    const epoch = leader!.epoch!;
    await new Promise((r) => setTimeout(r, 2500));
    expect(leaderOf(...all.map((x) => x.e))).toEqual([leader]);
    expect(leader!.epoch).toBe(epoch);
  });

  it('a leader that cannot renew steps down on its own clock first; a standby leads after the TTL, with a larger epoch', async () => {
    const a = election('a');
    a.e.start();
    await waitFor('a to lead', () => (a.e.isLeader() ? true : undefined), 5000, 10);
    const epochA = a.e.epoch!;
    const b = election('b');
    b.e.start();
    await waitFor('b to know a leads', () => (b.e.leader()?.id === 'a' ? true : undefined), 5000, 10);
    // a loses Redis (a partition): its renews fail.
    const cut = Date.now();
    a.r.disconnect();
    await waitFor('b to lead', () => (b.e.isLeader() ? true : undefined), 5000, 5);
    const tookOver = Date.now() - cut;
    expect(a.ev.deposed).toHaveLength(1);
    // a stopped before b could lead: within its renew deadline, and b only after the lease's TTL.
    expect(a.ev.deposed[0]!.at).toBeLessThan(cut + tookOver);
    expect(tookOver).toBeGreaterThanOrEqual(1000 - 600);
    expect(tookOver).toBeLessThanOrEqual(1000 + 1000);
    expect(b.e.epoch!).toBeGreaterThan(epochA);
    expect(a.e.isLeader()).toBe(false);
  });

  it('the epoch only grows, election after election', async () => {
    const epochs: number[] = [];
    for (let i = 0; i < 4; i++) {
      const x = election(`n${i}`);
      x.e.start();
      await waitFor(`n${i} to lead`, () => (x.e.isLeader() ? true : undefined), 5000, 5);
      epochs.push(x.e.epoch!);
      await x.e.close(); // gives the lease up: the next one is elected at once
    }
    for (let i = 1; i < epochs.length; i++) expect(epochs[i]).toBeGreaterThan(epochs[i - 1]!);
  });

  it('a paused leader (its lease gone, another elected) has its renew refused and is deposed; its fenced writes change nothing', async () => {
    const a = election('a', { leaseMs: 5000, renewDeadlineMs: 4000, retryPeriodMs: 200 });
    a.e.start();
    await waitFor('a to lead', () => (a.e.isLeader() ? true : undefined), 5000, 5);
    const epochA = String(a.e.epoch);
    // As if a's lease ran out while it was paused, and b was elected meanwhile.
    await redis.del(a.e.key);
    const b = election('b', { leaseMs: 5000, renewDeadlineMs: 4000, retryPeriodMs: 200 });
    b.e.start();
    await waitFor('b to lead', () => (b.e.isLeader() ? true : undefined), 5000, 5);
    await waitFor('a to be deposed by its refused renew', () => (a.ev.deposed.length ? true : undefined), 2000, 5);
    expect(a.ev.deposed[0]!.reason).toMatch(/no longer ours/);
    expect(a.e.isLeader()).toBe(false);

    // The registry's writes, fenced: with a's old epoch refused (nothing written), with b's applied.
    const fencedOut: FencedWriteError[] = [];
    const stale = new JobRegistry(redis, prefix, { key: a.e.key, epoch: () => epochA, onFenced: (err) => fencedOut.push(err) });
    const current = new JobRegistry(redis, prefix, { key: b.e.key, epoch: () => String(b.e.epoch ?? '') });
    const job = { id: 'j1', name: 'j', state: 'INITIALIZING' as const, jarId: 'x', bundlePath: '/x', entryClass: '', programArgs: [], parallelism: 1, maxParallelism: 0, submitTime: 1, startTime: 1, configuration: {}, savepointPath: '' };
    await expect(stale.create(job)).rejects.toBeInstanceOf(FencedWriteError);
    expect(await redis.exists(`${prefix}job:j1`)).toBe(0);
    expect(await current.create(job)).toBe(true);
    await expect(stale.transition('j1', 'FAILED')).rejects.toBeInstanceOf(FencedWriteError);
    await expect(stale.update('j1', { pid: 42 })).rejects.toBeInstanceOf(FencedWriteError);
    await expect(stale.claimLaunch('j1', 'L-stale', 0)).rejects.toBeInstanceOf(FencedWriteError);
    const staleCapacity = new CapacityReservations(redis, prefix, { key: a.e.key, epoch: () => epochA, onFenced: (err) => fencedOut.push(err) });
    await expect(staleCapacity.reserve('j1', { wanted: 1, mode: 'run', perJob: 10, total: 10 })).rejects.toBeInstanceOf(FencedWriteError);
    await expect(staleCapacity.release('j1')).rejects.toBeInstanceOf(FencedWriteError);
    expect(await redis.hexists(reservationsKey(prefix), 'j1')).toBe(0);
    expect(await new CapacityReservations(redis, prefix, { key: b.e.key, epoch: () => String(b.e.epoch ?? '') }).reserve('j1', { wanted: 1, mode: 'run', perJob: 10, total: 10 }))
      .toMatchObject({ kind: 'reserved', reserved: 1 });
    expect(fencedOut).toHaveLength(6);
    // The same epoch number under another leader's id (Redis lost an election's INCR) is refused too.
    const sameNumber = new JobRegistry(redis, prefix, { key: b.e.key, epoch: () => `${b.e.epoch}/a`, onFenced: (err) => fencedOut.push(err) });
    await expect(sameNumber.update('j1', { pid: 43 })).rejects.toBeInstanceOf(FencedWriteError);
    expect(await new JobRegistry(redis, prefix, { key: b.e.key, epoch: () => `${b.e.epoch}/b` }).transition('j1', 'INITIALIZING')).toBeDefined();
    fencedOut.pop();
    expect((await current.get('j1'))!).toMatchObject({ state: 'INITIALIZING', pid: 0 });
    // The launch claim: one start per claim; a process of a replaced claim cannot record itself.
    expect(await current.claimLaunch('j1', 'L1', 0)).toBe(true);
    expect(await current.claimLaunch('j1', 'L2', 0)).toBe(true);
    expect(await current.confirmLaunch('j1', 'L1', 101)).toBe(false);
    expect(await current.confirmLaunch('j1', 'L2', 102)).toBe(true);
    expect(await current.claimLaunch('j1', 'L3', 0)).toBe(false); // a process is recorded now
    expect((await current.get('j1'))!.pid).toBe(102);
    // Without a fence (a single dispatcher, the job process) nothing changes.
    expect(await new JobRegistry(redis, prefix).transition('j1', 'CANCELED')).toBe(true);
  });
});
