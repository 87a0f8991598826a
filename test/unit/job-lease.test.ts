/**
 * Job-process leases: the dispatcher's watch (dispatcher/lease-watch.ts) reports a job lost only once
 * its process had the time to take the lease and the lease stayed missing for half a TTL more; the
 * job process's keeper (jobmaster/job-lease.ts) stops when another process holds the lease.
 */
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { LeaseWatch } from '../../dispatcher/lease-watch.js';
import { JobLeaseKeeper } from '../../jobmaster/job-lease.js';
import { holderOf, type LeaseHolder, type RenewOutcome } from '../../metadata/job-lease.js';

const silent = pino({ level: 'silent' });

function watchWith(leaseMs = 10_000) {
  let t = 0;
  const held = new Map<string, LeaseHolder>();
  const lost: Array<{ id: string; at: number }> = [];
  const lastHolders = new Map<string, LeaseHolder | undefined>();
  let failing = false;
  const w = new LeaseWatch({
    holders: async (ids) => {
      if (failing) throw new Error('redis away');
      return new Map(ids.filter((id) => held.has(id)).map((id) => [id, held.get(id)]));
    },
    leaseMs, lost: (id, _missing, last) => { lost.push({ id, at: t }); lastHolders.set(id, last); }, readFailed: () => {}, now: () => t,
  });
  const run = async (untilMs: number) => { for (; t <= untilMs; t += 1000) await w.check(); };
  return { w, held, lost, lastHolders, run, fail: (v: boolean) => { failing = v; }, now: () => t };
}

describe('the lease watch', () => {
  it('reports a job whose lease is missing once its process had a TTL to take it and it stayed missing half a TTL more', async () => {
    const h = watchWith();
    h.w.watch('never');
    h.w.watch('held');
    h.held.set('held', { host: 'a', pid: 1, token: 'a/1/ff' });
    await h.run(9000);
    expect(h.lost).toEqual([]);
    await h.run(30_000);
    // Missing from 0: judged at max(TTL since watched, TTL/2 since missing) = 10 s.
    expect(h.lost).toEqual([{ id: 'never', at: 10_000 }]);
    // A lease that runs out later: lost half a TTL after it went.
    h.held.delete('held');
    const gone = h.now();
    await h.run(gone + 10_000);
    expect(h.lost[1]).toEqual({ id: 'held', at: gone + 5000 });
    // Where it ran is told with the loss (the leader kills only a process on its own host).
    expect(h.lastHolders.get('held')).toMatchObject({ host: 'a', pid: 1 });
    expect(h.lastHolders.get('never')).toBeUndefined();
    // Reported once: the job left the watch.
    await h.run(h.now() + 20_000);
    expect(h.lost).toHaveLength(2);
  });

  it('judges nothing while the leases cannot be read, and gives renews half a TTL after Redis answers again', async () => {
    const h = watchWith();
    h.w.watch('j');
    h.held.set('j', { host: 'a', pid: 1, token: 'a/1/ff' });
    await h.run(20_000);
    h.held.delete('j');
    h.fail(true);
    await h.run(60_000);
    expect(h.lost).toEqual([]);
    h.fail(false);
    const back = h.now();
    await h.run(back + 4000);
    expect(h.lost).toEqual([]);
    // Renewed in time: never lost.
    h.held.set('j', { host: 'a', pid: 1, token: 'a/1/ff' });
    await h.run(back + 30_000);
    expect(h.lost).toEqual([]);
    expect(h.w.holder('j')).toMatchObject({ host: 'a', pid: 1 });
  });

  it('reads a holder from its token', () => {
    expect(holderOf('host-1.example/4242/0a1b')).toEqual({ host: 'host-1.example', pid: 4242, token: 'host-1.example/4242/0a1b' });
    expect(holderOf('garbage')).toBeUndefined();
    expect(holderOf(null)).toBeUndefined();
  });
});

describe('the job process lease keeper', () => {
  function keeper(answers: RenewOutcome[]) {
    const calls: string[] = [];
    let superseded = 0;
    const k = new JobLeaseKeeper({
      acquire: async (_id, token) => { calls.push(`acquire ${token.split('/')[1]}`); },
      renew: async () => { const r = answers.shift() ?? 'renewed'; calls.push(r); if (r === ('throw' as RenewOutcome)) throw new Error('redis away'); return r; },
      release: async () => { calls.push('release'); },
    }, 'job-1', 60_000, () => { superseded++; }, silent);
    return { k, calls, superseded: () => superseded };
  }

  it('takes the lease with a token naming its host and pid, renews it, and gives it up at the end', async () => {
    const h = keeper(['renewed', 'retaken', 'renewed']);
    await h.k.start();
    expect(holderOf(h.k.token)?.pid).toBe(process.pid);
    await h.k.renew();
    await h.k.renew();
    await h.k.release();
    expect(h.calls).toEqual([`acquire ${process.pid}`, 'renewed', 'retaken', 'release']);
    expect(h.superseded()).toBe(0);
  });

  it('stops at once, and renews no more, when another process holds the lease', async () => {
    const h = keeper(['throw' as RenewOutcome, 'superseded', 'renewed']);
    await h.k.start();
    await h.k.renew();
    await h.k.renew();
    expect(h.superseded()).toBe(1);
    await h.k.renew();
    expect(h.calls).toEqual([`acquire ${process.pid}`, 'throw', 'superseded']);
  });
});
