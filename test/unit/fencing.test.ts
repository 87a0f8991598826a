/**
 * Fencing over real RpcConnections on loopback sockets (no child process): a TaskManager drops
 * commands that carry another JobMaster id than the one it registered with, and the JobMaster's
 * endpoint drops reports that carry another registration token than the TaskManager's current one.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import { TaskManagerPool } from '../../jobmaster/task-manager-pool.js';
import { RpcTaskManagerEndpoint } from '../../jobmaster/task-manager-endpoint.js';
import type { ebbflow } from '../../proto/generated/rpc.js';
import { ExecutionState, newJobMasterId, RpcConnection, RpcJobMasterGateway, taskManagerToken, WorkerSecrets, type TaskManagerMessage } from '../../rpc/index.js';
import { acceptHandshake, newSecret, offerHandshake } from '../../runtime/network/handshake.js';
import { TaskExecutor } from '../../taskmanager/task-executor.js';
import { captureLog } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c(); });

/**
 * A TCP endpoint over `pool` that issued a worker secret to `tm-1`; resolves with a dialer that opens
 * a connection proving that secret: its RpcConnection, what it received, whether it closed.
 */
async function tm1Endpoint(pool: TaskManagerPool, logger: Logger) {
  const workerSecrets = new WorkerSecrets();
  const workerSecret = workerSecrets.issue('tm-1');
  const endpoint = new RpcTaskManagerEndpoint('127.0.0.1', '127.0.0.1', logger, { workerSecrets, dataSecret: newSecret() });
  const port = Number((await endpoint.listen(pool)).split(':')[1]);
  cleanup.push(() => { endpoint.close(); pool.close(); });
  return async () => {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((r) => socket.once('connect', r));
    await offerHandshake(socket, 'rpc', { identity: 'tm-1', secret: workerSecret });
    const rpc = new RpcConnection(socket);
    socket.resume();
    cleanup.push(() => rpc.destroy());
    const answers: ebbflow.rpc.Envelope[] = [];
    let closed = false;
    rpc.on('message', (m) => answers.push(m));
    rpc.on('close', () => { closed = true; });
    return { rpc, answers, closed: () => closed, jobMaster: new RpcJobMasterGateway(rpc) };
  };
}

describe('fencing', () => {
  it('a TaskManager drops commands carrying another JobMaster id, and its reports carry its registration token', async () => {
    // A stand-in JobMaster: accepts one connection and answers the registration as JobMaster "jm-current".
    const received: ebbflow.rpc.Envelope[] = [];
    let jm: RpcConnection | undefined;
    const workerSecret = newSecret();
    const server: Server = createServer((socket: Socket) => void acceptHandshake(socket, 'rpc', (id) => (id === 'tm-1' ? workerSecret : undefined)).then(() => {
      jm = new RpcConnection(socket);
      socket.resume();
      jm.on('message', (m) => {
        received.push(m);
        if (m.msg === 'register') {
          jm!.send({ registered: { accepted: true, jobMasterId: 'jm-current', registrationId: 'reg-1', heartbeatIntervalMs: 60_000, dataSecret: newSecret() }, fencingToken: 'jm-current' });
        }
      });
    }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => server.close(r)));
    const log = captureLog();
    const tm = new TaskExecutor({
      jobId: 'job-1', resourceId: 'tm-1', jobMasterHost: '127.0.0.1', jobMasterPort: (server.address() as AddressInfo).port,
      slots: 1, dataHost: '127.0.0.1', jobMasterTimeoutMs: 60_000, workerSecret, logger: log.logger,
    });
    await tm.start();
    cleanup.push(() => tm.stop(0));
    await waitFor('the registration answer to arrive', () => log.matching('registered with the JobMaster').length > 0);

    // A command of an earlier JobMaster first, then the same command from the current one. The TaskManager
    // declines a trigger for a subtask it does not run: the decline shows which of them it acted on.
    jm!.send({ triggerCheckpoint: { executionId: 'from-stale-jm', checkpointId: 7 }, fencingToken: 'jm-earlier' });
    jm!.send({ triggerCheckpoint: { executionId: 'from-current-jm', checkpointId: 7 } , fencingToken: 'jm-current' });
    const decline = await waitFor('a decline', () => received.find((m) => m.msg === 'declineCheckpoint'));
    expect(decline.declineCheckpoint!.executionId).toBe('from-current-jm');
    expect(decline.fencingToken).toBe(taskManagerToken('tm-1', 'reg-1'));
    expect(received.filter((m) => m.msg === 'declineCheckpoint').map((m) => m.declineCheckpoint!.executionId)).toEqual(['from-current-jm']);
    const dropped = log.matching('stale fencing token');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ token: 'jm-earlier', expected: 'jm-current', msg: expect.any(String) });
  });

  it('the JobMaster drops reports carrying another registration token than the TaskManager\'s current one', async () => {
    const log = captureLog();
    const delivered: TaskManagerMessage[] = [];
    const pool = new TaskManagerPool(
      { jobMasterId: newJobMasterId(), heartbeatIntervalMs: 60_000, heartbeatTimeoutMs: 60_000, logger: log.logger },
      { accept: () => true, registered: () => {}, heartbeat: () => {}, message: (_tm, m) => { delivered.push(m); }, lost: () => {} },
    );
    const dial = await tm1Endpoint(pool, log.logger);
    const { rpc, answers, jobMaster } = await dial();
    expect(jobMaster.registerTaskManager({ resourceId: 'tm-1', jobId: 'job-1', slots: 1, pid: 1, dataHost: '127.0.0.1', dataPort: 1 })).toBe('sent');
    const answer = await waitFor('the registration answer', () => answers.find((m) => m.msg === 'registered'));
    expect(answer.registered!.accepted).toBe(true);
    expect(answer.fencingToken).toBe(pool.jobMasterId);
    expect(answer.registered!.jobMasterId).toBe(pool.jobMasterId);
    const registrationId = answer.registered!.registrationId!;
    expect(registrationId).not.toBe('');

    // A report of an earlier registration of the same TaskManager, one without a token, then a current one.
    rpc.send({ taskStatus: { executionId: 'stale-registration', state: ExecutionState.RUNNING }, fencingToken: taskManagerToken('tm-1', 'an-earlier-registration') });
    rpc.send({ taskStatus: { executionId: 'no-token', state: ExecutionState.RUNNING } });
    jobMaster.fence(taskManagerToken('tm-1', registrationId));
    jobMaster.updateTaskExecutionState({ executionId: 'current', state: ExecutionState.RUNNING });
    await waitFor('the current report', () => delivered.length > 0);
    expect(delivered.map((m) => m.msg === 'taskStatus' && m.taskStatus.executionId)).toEqual(['current']);
    expect(log.matching('stale fencing token').map((l) => l.token)).toEqual([taskManagerToken('tm-1', 'an-earlier-registration'), '']);
  });

  it('the JobMaster\'s endpoint refuses a second registration of a connected TaskManager and closes that connection; the first stays', async () => {
    const log = captureLog();
    const delivered: Array<[string, TaskManagerMessage]> = [];
    const pool = new TaskManagerPool(
      { jobMasterId: newJobMasterId(), heartbeatIntervalMs: 60_000, heartbeatTimeoutMs: 60_000, logger: log.logger },
      { accept: () => true, registered: () => {}, heartbeat: () => {}, message: (tm, m) => { delivered.push([tm.registrationId, m]); }, lost: () => {} },
    );
    // The impostor holds tm-1's worker secret too (a confused or stale TaskManager passes the handshake): the pool's own check refuses it.
    const dial = await tm1Endpoint(pool, log.logger);
    const registration = { resourceId: 'tm-1', jobId: 'job-1', slots: 1, pid: 1, dataHost: '127.0.0.1', dataPort: 1 };
    const real = await dial();
    real.jobMaster.registerTaskManager(registration);
    const realAnswer = await waitFor('the registration answer', () => real.answers.find((m) => m.msg === 'registered'));
    expect(realAnswer.registered!.accepted).toBe(true);
    const registered = pool.tms.get('tm-1')!;

    const impostor = await dial();
    impostor.jobMaster.registerTaskManager({ ...registration, pid: 666 });
    const refusal = await waitFor('the impostor\'s answer', () => impostor.answers.find((m) => m.msg === 'registered'));
    expect(refusal.registered).toMatchObject({ accepted: false, reason: 'TaskManager tm-1 is already registered with this JobMaster' });
    await waitFor('the impostor\'s connection to close', () => impostor.closed());
    expect(log.matching('refused a second registration')).toEqual([expect.objectContaining({ resourceId: 'tm-1', pid: 666, registeredPid: 1 })]);
    // A second registration on the registered connection itself changes nothing either.
    real.jobMaster.registerTaskManager({ ...registration, pid: 777 });
    await waitFor('the repeated registration to be ignored', () => log.matching('ignored a second registration').length === 1);

    // The registered TaskManager is untouched: same record, its commands and reports still flow.
    expect(pool.tms.get('tm-1')).toBe(registered);
    expect(real.closed()).toBe(false);
    expect(pool.gateway('tm-1').cancel('x')).toBe('sent');
    await waitFor('the command to reach the registered TaskManager', () => real.answers.some((m) => m.msg === 'cancel'));
    real.jobMaster.fence(taskManagerToken('tm-1', realAnswer.registered!.registrationId!));
    real.jobMaster.updateTaskExecutionState({ executionId: 'e', state: ExecutionState.RUNNING });
    await waitFor('the registered TaskManager\'s report', () => delivered.length === 1);
    expect(delivered[0]![0]).toBe(registered.registrationId);
  });
});
