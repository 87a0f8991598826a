/**
 * What a standby does with a write when told to redirect (307 with `Location` on the leader), what
 * it does while no leader is known, and GET /cluster/leader without HA: two dispatchers in this
 * process against one Redis prefix and one storage directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { expectSpecResponse } from '../helpers/openapi.js';

const storage = mkdtempSync(join(tmpdir(), 'ebbflow-ha-fwd-'));
const ha = { haType: 'redis' as const, haStorageDir: storage, haLeaseDurationMs: 1500, haRenewDeadlineMs: 1000, haRetryPeriodMs: 100, haWriteForwarding: 'redirect' as const };
let single: TestDispatcher;
let a: TestDispatcher;
let b: TestDispatcher;

beforeAll(async () => {
  single = await startTestDispatcher();
  a = await startTestDispatcher(ha);
  // Same prefix as a: the same cluster.
  b = await startTestDispatcher({ ...ha, keyPrefix: a.keyPrefix });
});
afterAll(async () => {
  await single?.close();
  // One of the two was closed by the test already (a second close finds its Redis client gone).
  await b?.close().catch(() => undefined);
  await a?.close().catch(() => undefined);

  rmSync(storage, { recursive: true, force: true });
});

describe('GET /cluster/leader and writes at a standby', () => {
  it('without HA, the one dispatcher leads and serves writes itself', async () => {
    const view = await json(await fetch(`${single.url}/cluster/leader`));
    await expectSpecResponse('get', '/cluster/leader', 200, view);
    expect(view).toMatchObject({ highAvailability: 'none', self: { leader: true, url: single.url }, leader: { url: single.url, epoch: 0 }, writes: 'local', fencedWrites: 0 });
  });

  it('with redirect, a standby answers a write with 307 and Location on the leader, and serves reads itself', async () => {
    const [leader, standby] = await waitFor('one of the two to lead', async () => {
      const [va, vb] = await Promise.all([a, b].map(async (d) => json(await fetch(`${d.url}/cluster/leader`))));
      if (va.self.leader === vb.self.leader || !va.leader || !vb.leader) return undefined;
      return va.self.leader ? [a, b] : [b, a];
    }, 10_000, 20);
    const view = await json(await fetch(`${standby!.url}/cluster/leader`));
    await expectSpecResponse('get', '/cluster/leader', 200, view);
    expect(view).toMatchObject({ highAvailability: 'redis', self: { leader: false }, leader: { url: leader!.url }, writes: 'redirect' });
    const res = await fetch(`${standby!.url}/v1/jobs/${'a'.repeat(32)}?mode=cancel`, { method: 'PATCH', redirect: 'manual' });
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe(`${leader!.url}/v1/jobs/${'a'.repeat(32)}?mode=cancel`);
    // Followed, the leader answers (no such job).
    expect((await fetch(res.headers.get('location')!, { method: 'PATCH' })).status).toBe(404);
    expect((await fetch(`${standby!.url}/jobs`)).status).toBe(200);
    // The leader gone (closed: it gives its lease up), the other one leads at once.
    await leader!.close();
    await waitFor('the standby to lead', async () => ((await json(await fetch(`${standby!.url}/cluster/leader`))).self.leader ? true : undefined), 5000, 20);
    expect((await fetch(`${standby!.url}/jobs/${'a'.repeat(32)}?mode=cancel`, { method: 'PATCH', redirect: 'manual' })).status).toBe(404);
  });
});
