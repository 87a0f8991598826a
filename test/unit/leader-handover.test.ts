/**
 * JobMaster failover, the fencing-id handover (issue 17): real TaskExecutors over loopback sockets
 * with stand-in JobMasters and an in-memory leader record (no process, no Redis). A TaskManager that
 * loses its JobMaster re-registers with the JobMaster of a larger epoch and refuses the old one's
 * id from then on; one whose JobMaster never comes back exits after taskmanager.registration.timeout
 * (no orphan), at once when the job ended; and a JobMaster that finds a larger epoch than its own
 * stops at once without a write or a command.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_FENCED } from '../../jobmaster/job-leadership.js';
import type { ebbflow } from '../../proto/generated/rpc.js';
import { RpcConnection, taskManagerToken, type EnvelopeProps } from '../../rpc/index.js';
import type { LeaderInfo, LeaderRetrieval } from '../../rpc/leader.js';
import { acceptHandshake, newSecret } from '../../runtime/network/handshake.js';
import { TaskExecutor } from '../../taskmanager/task-executor.js';
import { captureLog } from '../helpers/log-capture.js';
import { TestingCluster } from '../helpers/testing-cluster.js';
import { TestingLeadership } from '../helpers/testing-leadership.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c(); });

const LEADER_KEY = 'ebbtest:job:0cafe:leader';

/**
 * A stand-in JobMaster that knows `tm-1`'s worker secret (unless `knows` is false) and answers its
 * registration as JobMaster `jobMasterId` of `epoch`, telling it to wait `registrationTimeoutMs` for a
 * successor. Keeps what it received and its connections.
 */
async function standInJobMaster(workerSecret: Buffer, o: { jobMasterId: string; epoch: number; registrationTimeoutMs: number; knows?: boolean }) {
  const received: ebbflow.rpc.Envelope[] = [];
  const connections: RpcConnection[] = [];
  const server: Server = createServer((socket: Socket) => void acceptHandshake(socket, 'rpc', (id) => (id === 'tm-1' && o.knows !== false ? workerSecret : undefined)).then(() => {
    const rpc = new RpcConnection(socket);
    connections.push(rpc);
    socket.resume();
    rpc.on('message', (m) => {
      received.push(m);
      if (m.msg !== 'register') return;
      rpc.send({
        registered: {
          accepted: true, jobMasterId: o.jobMasterId, registrationId: `reg-${o.epoch}`, heartbeatIntervalMs: 60_000, dataSecret: newSecret(),
          leaderEpoch: o.epoch, leaderRedisUrl: 'redis://unused', leaderKey: LEADER_KEY, registrationTimeoutMs: o.registrationTimeoutMs,
        },
        fencingToken: o.jobMasterId,
      });
    });
  }, () => socket.destroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => { for (const c of connections) c.destroy(); return new Promise((r) => server.close(r)); });
  const port = (server.address() as AddressInfo).port;
  return {
    port, address: `127.0.0.1:${port}`, received, connections,
    /** Sends `m` on the latest connection. */
    send: (m: EnvelopeProps) => connections.at(-1)!.send(m),
    /** The job process dies: every connection closes. */
    die: () => { for (const c of connections) c.destroy(); server.close(); },
  };
}

/** The job's leader record as the TaskManager reads it; `reads` counts its looks. */
class FakeLeaderRecord implements LeaderRetrieval {
  record: LeaderInfo | undefined;
  reads = 0;
  locations: string[] = [];
  async current(): Promise<LeaderInfo | undefined> { this.reads++; return this.record; }
  close(): void {}
}

function taskExecutor(port: number, workerSecret: Buffer, leader: FakeLeaderRecord) {
  const log = captureLog();
  const te = new TaskExecutor({
    jobId: 'job-1', resourceId: 'tm-1', jobMasterHost: '127.0.0.1', jobMasterPort: port, slots: 2, dataHost: '127.0.0.1',
    jobMasterTimeoutMs: 60_000, workerSecret, logger: log.logger, leaderPollMs: 10,
    leaderRetrieval: (where) => { leader.locations.push(`${where.redisUrl} ${where.key}`); return leader; },
  });
  cleanup.push(() => te.stop(0));
  return { te, log };
}

describe('JobMaster failover: the TaskManager side', () => {
  it('re-registers with the JobMaster of a larger epoch (same resource id, slots, secret) and refuses the old JobMaster id from then on', async () => {
    const workerSecret = newSecret();
    const jm1 = await standInJobMaster(workerSecret, { jobMasterId: 'jm-1', epoch: 1, registrationTimeoutMs: 10_000 });
    const leader = new FakeLeaderRecord();
    leader.record = { epoch: 1, address: jm1.address, jobMasterId: 'jm-1', ended: false };
    const { te, log } = taskExecutor(jm1.port, workerSecret, leader);
    await te.start();
    await waitFor('the first registration', () => log.matching('registered with the JobMaster').length === 1);
    expect(te.outlivesJobMaster).toBe(true);
    const first = jm1.received.find((m) => m.msg === 'register')!.register!;

    // The job process dies. Until a larger epoch is published, the TaskManager waits (it does not exit).
    jm1.die();
    await waitFor('the loss to be noticed', () => log.matching('lost the JobMaster').length === 1);
    await waitFor('a few looks at the leader record', () => leader.reads >= 3);
    expect(leader.locations).toEqual([`redis://unused ${LEADER_KEY}`]);
    let exited: number | undefined;
    void te.done.then((c) => { exited = c; });

    const jm2 = await standInJobMaster(workerSecret, { jobMasterId: 'jm-2', epoch: 2, registrationTimeoutMs: 10_000 });
    leader.record = { epoch: 2, address: jm2.address, jobMasterId: 'jm-2', ended: false };
    const again = await waitFor('the registration with the new JobMaster', () => jm2.received.find((m) => m.msg === 'register'));
    expect(again.register).toEqual(first);
    expect(again.register).toMatchObject({ resourceId: 'tm-1', slots: 2, pid: process.pid });
    await waitFor('the new registration to be answered', () => log.matching('registered with the new JobMaster').length === 1);
    expect(te.reRegistrations).toBe(1);
    expect(exited).toBeUndefined();

    // A command with the old JobMaster's id is dropped; the new one's is obeyed (a trigger for a subtask
    // it does not run is declined: the decline shows which it acted on, under the new registration's token).
    jm2.send({ triggerCheckpoint: { executionId: 'from-old-jm', checkpointId: 3 }, fencingToken: 'jm-1' });
    jm2.send({ triggerCheckpoint: { executionId: 'from-new-jm', checkpointId: 3 }, fencingToken: 'jm-2' });
    const decline = await waitFor('a decline', () => jm2.received.find((m) => m.msg === 'declineCheckpoint'));
    expect(decline.declineCheckpoint!.executionId).toBe('from-new-jm');
    expect(decline.fencingToken).toBe(taskManagerToken('tm-1', 'reg-2'));
    expect(jm2.received.filter((m) => m.msg === 'declineCheckpoint')).toHaveLength(1);
    expect(log.matching('stale fencing token').at(-1)).toMatchObject({ token: 'jm-1', expected: 'jm-2' });
  });

  it('exits after taskmanager.registration.timeout when no new JobMaster comes (no orphan)', async () => {
    const workerSecret = newSecret();
    const jm1 = await standInJobMaster(workerSecret, { jobMasterId: 'jm-1', epoch: 1, registrationTimeoutMs: 400 });
    const leader = new FakeLeaderRecord();
    leader.record = { epoch: 1, address: jm1.address, jobMasterId: 'jm-1', ended: false };
    const { te, log } = taskExecutor(jm1.port, workerSecret, leader);
    await te.start();
    await waitFor('the registration', () => log.matching('registered with the JobMaster').length === 1);
    const lostAt = Date.now();
    jm1.die();
    const code = await Promise.race([te.done, new Promise<string>((r) => setTimeout(() => r('still running'), 5000))]);
    expect(code).toBe(1);
    expect(Date.now() - lostAt).toBeGreaterThanOrEqual(400);
    expect(leader.reads).toBeGreaterThan(3);
    expect(log.matching('no new JobMaster of the job within taskmanager.registration.timeout')).toHaveLength(1);
  });

  it('exits at once when the job ended (the dispatcher marked its leader record)', async () => {
    const workerSecret = newSecret();
    const jm1 = await standInJobMaster(workerSecret, { jobMasterId: 'jm-1', epoch: 1, registrationTimeoutMs: 60_000 });
    const leader = new FakeLeaderRecord();
    leader.record = { epoch: 1, address: jm1.address, jobMasterId: 'jm-1', ended: false };
    const { te, log } = taskExecutor(jm1.port, workerSecret, leader);
    await te.start();
    await waitFor('the registration', () => log.matching('registered with the JobMaster').length === 1);
    jm1.die();
    await waitFor('the loss to be noticed', () => log.matching('lost the JobMaster').length === 1);
    leader.record = { ...leader.record, ended: true };
    const code = await Promise.race([te.done, new Promise<string>((r) => setTimeout(() => r('still running'), 3000))]);
    expect(code).toBe(0);
    expect(log.matching('the job ended; exiting')).toHaveLength(1);
  });

  it('exits when the new JobMaster does not know it (its worker secret was not kept)', async () => {
    const workerSecret = newSecret();
    const jm1 = await standInJobMaster(workerSecret, { jobMasterId: 'jm-1', epoch: 1, registrationTimeoutMs: 60_000 });
    const leader = new FakeLeaderRecord();
    leader.record = { epoch: 1, address: jm1.address, jobMasterId: 'jm-1', ended: false };
    const { te, log } = taskExecutor(jm1.port, workerSecret, leader);
    await te.start();
    await waitFor('the registration', () => log.matching('registered with the JobMaster').length === 1);
    jm1.die();
    const jm2 = await standInJobMaster(workerSecret, { jobMasterId: 'jm-2', epoch: 2, registrationTimeoutMs: 60_000, knows: false });
    leader.record = { epoch: 2, address: jm2.address, jobMasterId: 'jm-2', ended: false };
    const code = await Promise.race([te.done, new Promise<string>((r) => setTimeout(() => r('still running'), 3000))]);
    expect(code).toBe(1);
    expect(log.matching('does not accept this TaskManager')).toHaveLength(1);
    expect(jm2.received).toEqual([]);
  });

  it('without a leader record in its registration answer, exits with its JobMaster as before', async () => {
    const workerSecret = newSecret();
    const jm1 = await standInJobMaster(workerSecret, { jobMasterId: 'jm-1', epoch: 1, registrationTimeoutMs: 0 });
    const leader = new FakeLeaderRecord();
    const { te, log } = taskExecutor(jm1.port, workerSecret, leader);
    await te.start();
    await waitFor('the registration', () => log.matching('registered with the JobMaster').length === 1);
    expect(te.outlivesJobMaster).toBe(false);
    jm1.die();
    const code = await Promise.race([te.done, new Promise<string>((r) => setTimeout(() => r('still running'), 3000))]);
    expect(code).toBe(1);
    expect(leader.reads).toBe(0);
  });
});

describe('JobMaster failover: the JobMaster side', () => {
  it('claims a new epoch, tells registering TaskManagers where to look, and stops at once (no write, no command) when a newer JobMaster claims the job', async () => {
    const leadership = new TestingLeadership();
    const c = await TestingCluster.start({ leadership, configuration: { 'taskmanager.registration.timeout': '7 s' } });
    cleanup.push(() => (c.log.matching('a newer JobMaster leads this job').length ? c.ended() : c.stop()));
    expect(leadership.record).toMatchObject({ epoch: 1, address: 'testing-endpoint:1' });
    const answers = [...c.endpoint.taskManagers.values()].map((tm) => tm.answer);
    expect(answers.length).toBeGreaterThan(0);
    // The testing driver can adopt workers, so TaskManagers are told to wait 7 s for a successor.
    for (const a of answers) expect(a).toMatchObject({ accepted: true, leaderEpoch: 1, leaderKey: leadership.location.key, leaderRedisUrl: leadership.location.redisUrl, registrationTimeoutMs: 7000 });
    const statesBefore = [...c.registry.states];
    const taskManagerRecords = c.registry.taskManagers.size;

    // A newer job process claims the job.
    const notified = () => [...c.endpoint.taskManagers.values()].reduce((n, tm) => n + tm.gateway.sent('notifyCheckpointComplete').length, 0);
    await waitFor('a checkpoint to complete', () => notified() > 0);
    await leadership.claim('newer:2', 'jm-newer');
    const notifiedAtClaim = notified();
    const code = await Promise.race([c.exit, new Promise<string>((r) => setTimeout(() => r('still running'), 5000))]);
    expect(code).toBe(EXIT_FENCED);
    // Its next checkpoint asked first and found the newer epoch: it completed none after the claim (one
    // already writing its metadata at that moment may still have), so it published no output.
    expect(notified() - notifiedAtClaim).toBeLessThanOrEqual(1);
    expect(c.log.matching('checkpoint').some((l) => JSON.stringify(l).includes('a newer JobMaster leads the job'))).toBe(true);
    expect(c.log.matching('a newer JobMaster leads this job')).toHaveLength(1);
    // No CANCELLING/CANCELED/FAILED, and the TaskManager records stay (the newer JobMaster rewrites them).
    expect(c.registry.states).toEqual(statesBefore);
    expect(c.registry.taskManagers.size).toBe(taskManagerRecords);
    expect(c.driver.terminated).toBe(false);
    expect(c.driver.released).toEqual([]);
    for (const tm of c.endpoint.taskManagers.values()) {
      expect(tm.gateway.sent('release')).toEqual([]);
      expect(tm.gateway.sent('cancel')).toEqual([]);
      expect(tm.gateway.gone).toBe(true); // its connection dropped: it looks for the newer JobMaster
    }
  });
});
