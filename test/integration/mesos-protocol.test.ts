/**
 * The scheduler client against the test master, over real HTTP in both encodings: the master's
 * request checks in the reference order, the stream's first records, offers → ACCEPT → a real
 * process fetched and run by a simulated agent, acknowledged updates, KILL, re-subscription with
 * the same framework id after a dropped stream, 307 redirects to the leader, and reconciliation.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSON_TYPE, PROTOBUF_TYPE, type ContentType } from '../../resourcemanager/mesos/codec.js';
import { RecordIODecoder } from '../../resourcemanager/mesos/recordio.js';
import { SchedulerClient } from '../../resourcemanager/mesos/scheduler-client.js';
import type { Event, Offer, TaskStatus } from '../../resourcemanager/mesos/types.js';
import { TestMesosMaster } from '../mesos-master/master.js';
import { waitFor } from '../helpers/dispatcher.js';

const until = <T>(what: string, probe: () => T, ms: number) => waitFor(what, () => probe() || undefined, ms) as Promise<NonNullable<T>>;

const log = pino({ level: 'silent' });
let dir: string;
let master: TestMesosMaster;
let files: Server;
let filesUrl: string;

function raw(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: Record<string, unknown>; first: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${master.url}${path}`, { method: opts.method ?? 'POST', headers: opts.headers }, (res) => {
      const d = new RecordIODecoder();
      let text = '';
      const recs: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        if (res.statusCode === 200 && res.headers['mesos-stream-id']) {
          recs.push(...d.push(c));
          if (recs.length >= 2) { text = recs.slice(0, 2).map((r) => r.toString()).join('|'); res.destroy(); resolve({ status: 200, headers: res.headers, first: text }); }
        } else text += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, first: text }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ebbflow-mesos-proto-'));
  master = new TestMesosMaster({ sandboxRoot: join(dir, 'agents'), allocationIntervalMs: 100, heartbeatIntervalSeconds: 1, updateRetryMs: 500, agents: [{}, {}] });
  await master.start();
  mkdirSync(join(dir, 'art/pkg'), { recursive: true });
  writeFileSync(join(dir, 'art/pkg/hello.txt'), 'hello from the sandbox\n');
  await tar.c({ gzip: true, file: join(dir, 'art/pkg.tgz'), cwd: join(dir, 'art') }, ['pkg']);
  files = createServer((req, res) => {
    if (req.url === '/pkg.tgz') { res.writeHead(200); res.end(require_('node:fs').readFileSync(join(dir, 'art/pkg.tgz'))); return; }
    res.writeHead(404); res.end();
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  filesUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}`;
});
afterAll(async () => {
  await master?.stop();
  files?.close();
  rmSync(dir, { recursive: true, force: true });
});

import { createRequire } from 'node:module';
const require_ = createRequire(import.meta.url);

describe('test master request checks', () => {
  it('answers in the reference order with the reference codes', async () => {
    expect((await raw('/api/v1/scheduler', { method: 'GET' })).status).toBe(405);
    expect((await raw('/api/v1/scheduler', { body: '{}' })).status).toBe(400); // no Content-Type
    expect((await raw('/api/v1/scheduler', { headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: '{}' })).status).toBe(415);
    expect((await raw('/api/v1/scheduler', { headers: { 'Content-Type': JSON_TYPE }, body: '{"type":' })).status).toBe(400);
    const noType = await raw('/api/v1/scheduler', { headers: { 'Content-Type': JSON_TYPE }, body: '{}' });
    expect(noType).toMatchObject({ status: 400 });
    expect(noType.first).toContain("Expecting 'type' to be present");
    expect((await raw('/api/v1/scheduler', { headers: { 'Content-Type': JSON_TYPE }, body: '{"type":"TEARDOWN"}' })).first).toContain("Expecting 'framework_id'");
    expect((await raw('/api/v1/scheduler', { headers: { 'Content-Type': JSON_TYPE }, body: '{"type":"TEARDOWN","framework_id":{"value":"nope"}}' })).first).toBe('Framework cannot be found');
    const sub = '{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"","name":"t"}}}';
    expect((await raw('/api/v1/scheduler', { headers: { 'Content-Type': JSON_TYPE, 'Mesos-Stream-Id': 'x' }, body: sub })).status).toBe(400);
    expect((await raw('/api/v1/scheduler', { headers: { 'Content-Type': JSON_TYPE, Accept: 'text/html' }, body: sub })).status).toBe(406);
    const ok = await raw('/api/v1/scheduler', { headers: { 'Content-Type': JSON_TYPE }, body: sub });
    expect(ok.status).toBe(200);
    expect(String(ok.headers['mesos-stream-id'])).toMatch(/^[0-9a-f-]{36}$/);
    expect(ok.first).toMatch(/^\{"type":"SUBSCRIBED".*\|\{"type":"HEARTBEAT"\}$/);
    master.violations.length = 0;
    master.races.length = 0;
  });
});

describe.each([JSON_TYPE, PROTOBUF_TYPE] as ContentType[])('scheduler client over %s', (ct) => {
  it('launches a fetched task, acknowledges its updates, kills it, survives a dropped stream and reconciles', async () => {
    const events: Event[] = [];
    const client = new SchedulerClient({
      masters: [master.url], contentType: ct, logger: log, backoffInitialMs: 50, backoffMaxMs: 200, heartbeatMisses: 3,
      frameworkInfo: { user: '', name: `proto-${ct}`, failover_timeout: 30, checkpoint: true, capabilities: [{ type: 'PARTITION_AWARE' }, { type: 'TASK_KILLING_STATE' }] },
    });
    const subscribed: boolean[] = [];
    client.on('subscribed', (_id, again) => subscribed.push(again));
    client.on('event', (e) => {
      events.push(e);
      if (e.type === 'UPDATE' && e.update.status.uuid) void client.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: e.update.status.agent_id!, task_id: e.update.status.task_id, uuid: e.update.status.uuid } });
    });
    client.start();
    try {
      const offer = await until('an offer', () => events.flatMap((e) => (e.type === 'OFFERS' ? e.offers.offers ?? [] : []))[0] as Offer | undefined, 10_000);
      const statuses = (id: string) => events.flatMap((e) => (e.type === 'UPDATE' && e.update.status.task_id.value === id ? [e.update.status] : [])) as TaskStatus[];
      const launch = (id: string, cmd: string, o: Offer) => client.call({ type: 'ACCEPT', accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [{
        name: id, task_id: { value: id }, agent_id: o.agent_id,
        resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }],
        command: { value: cmd, uris: [{ value: `${filesUrl}/pkg.tgz`, extract: true }] },
      }] } }], filters: { refuse_seconds: 0 } } });
      await launch(`done-${ct.length}`, 'cat pkg/hello.txt && test -f pkg.tgz', offer);
      await until('the fetched task to finish', () => statuses(`done-${ct.length}`).some((s) => s.state === 'TASK_FINISHED'), 15_000);
      expect(statuses(`done-${ct.length}`).map((s) => s.state)).toEqual(['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
      expect(statuses(`done-${ct.length}`).every((s) => s.uuid && Buffer.from(s.uuid, 'base64').length === 16)).toBe(true);

      const offer2 = await until('a second offer', () => events.flatMap((e) => (e.type === 'OFFERS' ? e.offers.offers ?? [] : [])).find((o) => o.id.value !== offer.id.value), 10_000);
      const sleeper = `sleep-${ct.length}`;
      await launch(sleeper, 'exec sleep 60', offer2);
      await until('the sleeper to run', () => statuses(sleeper).some((s) => s.state === 'TASK_RUNNING'), 15_000);

      // The stream drops: same framework id, a new stream, the task still runs; reconciliation reports it.
      const fid = client.frameworkId;
      master.dropSubscription(fid);
      await until('re-subscription', () => subscribed.length === 2, 10_000);
      expect(subscribed).toEqual([false, true]);
      expect(client.frameworkId).toBe(fid);
      const m = events.length;
      await client.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: sleeper } }, { task_id: { value: 'never-launched' } }] } });
      await until('reconciliation answers', () => events.slice(m).filter((e) => e.type === 'UPDATE').length >= 2, 5000);
      const answers = events.slice(m).flatMap((e) => (e.type === 'UPDATE' ? [e.update.status] : []));
      expect(answers.find((s) => s.task_id.value === sleeper)).toMatchObject({ state: 'TASK_RUNNING', reason: 'REASON_RECONCILIATION', source: 'SOURCE_MASTER' });
      expect(answers.find((s) => s.task_id.value === 'never-launched')).toMatchObject({ state: 'TASK_UNKNOWN' });
      expect(answers.every((s) => s.uuid === undefined)).toBe(true);

      await client.call({ type: 'KILL', kill: { task_id: { value: sleeper } } });
      await until('the kill', () => statuses(sleeper).some((s) => s.state === 'TASK_KILLED'), 10_000);
      expect(statuses(sleeper).map((s) => s.state)).toContain('TASK_KILLING');
      await until('no live task', () => master.liveTasks().length === 0, 5000);
      await client.call({ type: 'TEARDOWN' });
      expect(master.violations).toEqual([]);
    } finally {
      client.stop();
    }
  });
});

describe('subscription lifecycle', () => {
  it('reconnects when heartbeats stop, with the same framework id', async () => {
    const client = new SchedulerClient({ masters: [master.url], contentType: PROTOBUF_TYPE, logger: log, heartbeatMisses: 2, backoffInitialMs: 50, frameworkInfo: { user: '', name: 'silent', failover_timeout: 30 } });
    const subs: string[] = [];
    client.on('subscribed', (id) => subs.push(id));
    client.start();
    try {
      await until('subscription', () => subs.length === 1, 5000);
      const started = Date.now();
      expect(master.silence(subs[0])).toBe(true);
      await until('re-subscription after missed heartbeats', () => subs.length === 2, 10_000);
      // 2 missed intervals of 1 s, not earlier
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
      expect(subs[1]).toBe(subs[0]);
      await client.call({ type: 'TEARDOWN' });
    } finally {
      client.stop();
    }
  });

  it('removes a framework whose failover timeout passed; its id is refused for good', async () => {
    const a = new SchedulerClient({ masters: [master.url], contentType: JSON_TYPE, logger: log, frameworkInfo: { user: '', name: 'short-lived', failover_timeout: 0.2 } });
    const id = await new Promise<string>((resolve) => { a.once('subscribed', resolve); a.start(); });
    a.stop();
    await until('the failover timeout to remove the framework', () => !master.framework(id), 5000);
    const b = new SchedulerClient({ masters: [master.url], contentType: JSON_TYPE, logger: log, frameworkId: id, backoffInitialMs: 50, frameworkInfo: { user: '', name: 'short-lived' } });
    const removed = new Promise<string>((resolve) => b.once('removed', resolve));
    const fresh = new Promise<string>((resolve) => b.once('subscribed', resolve));
    b.start();
    try {
      expect(await removed).toBe('Framework has been removed');
      const newId = await fresh;
      expect(newId).not.toBe(id);
      await b.call({ type: 'TEARDOWN' });
    } finally {
      b.stop();
    }
  });
});

describe('allocation', () => {
  it('offers at once on SUBSCRIBE and REVIVE, and a disconnect drops the refuse filters', async () => {
    // An allocation interval no test waits for: every offer here comes from (re)activation or REVIVE.
    const m = new TestMesosMaster({ sandboxRoot: join(dir, 'alloc'), allocationIntervalMs: 600_000, heartbeatIntervalSeconds: 1, agents: [{}] });
    await m.start();
    const client = new SchedulerClient({ masters: [m.url], contentType: PROTOBUF_TYPE, logger: log, backoffInitialMs: 50, backoffMaxMs: 200, frameworkInfo: { user: '', name: 'alloc', failover_timeout: 30 } });
    const offers: Offer[] = [];
    const subs: string[] = [];
    client.on('subscribed', (id) => subs.push(id));
    client.on('event', (e) => { if (e.type === 'OFFERS') offers.push(...(e.offers.offers ?? [])); });
    const declineAll = () => client.call({ type: 'DECLINE', decline: { offer_ids: offers.splice(0).map((o) => o.id), filters: { refuse_seconds: 3600 } } });
    client.start();
    try {
      await until('an offer right after SUBSCRIBED', () => offers.length === 1, 5000);
      await declineAll();
      await client.call({ type: 'REVIVE' });
      await until('an offer right after REVIVE', () => offers.length === 1, 5000);
      await declineAll();
      expect(m.framework()!.filters).toHaveLength(1);
      m.dropSubscription();
      await until('re-subscription', () => subs.length === 2, 5000);
      await until('an offer right after the re-subscription, the filter gone with the disconnect', () => offers.length === 1, 5000);
      await client.call({ type: 'TEARDOWN' });
      expect(m.violations).toEqual([]);
    } finally {
      client.stop();
      await m.stop();
    }
  });
});

describe('redirects', () => {
  it('follows a 307 from a non-leading master to the leader', async () => {
    const follower = new TestMesosMaster({ sandboxRoot: join(dir, 'follower'), agents: [] , leader: new URL(master.url).host });
    await follower.start();
    const client = new SchedulerClient({ masters: [follower.url], contentType: PROTOBUF_TYPE, logger: log, frameworkInfo: { user: '', name: 'redirected' } });
    try {
      const id = await new Promise<string>((resolve) => { client.on('subscribed', (fid) => resolve(fid)); client.start(); });
      expect(id.startsWith(master.masterId)).toBe(true);
      expect(follower.counters.redirects).toBe(1);
      expect(new URL(client.leaderUrl).host).toBe(new URL(master.url).host);
      await client.call({ type: 'SUPPRESS' });
      expect(master.counters.suppresses).toBeGreaterThan(0);
    } finally {
      client.stop();
      await follower.stop();
    }
  });
});
