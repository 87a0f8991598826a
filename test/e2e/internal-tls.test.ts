/**
 * `security.ssl.internal.*`: a CA and a certificate made with the `openssl` CLI (an encrypted key,
 * opened with `security.ssl.internal.key-password`) for a fraud-detection job whose RPC and data
 * connections then run over mutual TLS with the HMAC handshake inside: the alerts equal the
 * reference; a plain-TCP client and a client whose certificate another CA signed are refused in the
 * TLS handshake on the JobMaster's port and on a TaskManager's data port (no byte of ebbflow's own
 * handshake reaches them), and the refusals are logged; the key password is on no command line, in
 * no TaskManager's environment and in no REST answer.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endMarkers, generateTransactions, writeTransactions } from '../../examples/fraud-detection/generator.js';
import { expectedAlerts, sortAlerts } from '../../examples/fraud-detection/reference.js';
import { deleteKeys, json, processesMatching, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { fraudArgs, jobProcessPorts, OOO, readAlerts, runJar, taskManagersWithDataPorts, uploadFraud, W, waitForState } from '../helpers/fraud.js';

let d: TestDispatcher;
const prefix = `ebbtest-tls-${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'ebbflow-tls-'));
const keyPassword = `kp-${randomBytes(8).toString('hex')}`;

const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

/** A CA, and a certificate it signs for client and server use; `passphrase` encrypts the key. Returns the keystore PEM path. */
function makePki(name: string, passphrase?: string): { ca: string; keystore: string } {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`, '-days', '2', '-subj', `/CN=${name} internal CA`);
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`, ...(passphrase ? ['-aes-256-cbc', '-pass', `pass:${passphrase}`] : []));
  openssl('req', '-new', '-key', `${name}.key`, ...(passphrase ? ['-passin', `pass:${passphrase}`] : []), '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  writeFileSync(join(dir, `${name}.ext`), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${name}-ca.pem`, '-CAkey', `${name}-ca.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  const keystore = join(dir, `${name}-keystore.pem`);
  writeFileSync(keystore, Buffer.concat([readFileSync(join(dir, `${name}.key`)), readFileSync(join(dir, `${name}.crt`))]), { mode: 0o600 });
  return { ca: join(dir, `${name}-ca.pem`), keystore };
}

beforeAll(async () => {
  // The test makes its own PKI: without the openssl CLI it cannot run, and says so.
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`the openssl CLI is needed to make the test's CA and certificates: ${(err as Error).message}`);
  }
  d = await startTestDispatcher();
});
afterAll(async () => {
  await d?.redis && deleteKeys(d.redis, `${prefix}*`);
  await d?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What a refused client got: the bytes it read (decrypted for TLS), and that its connection ended. */
function probe(open: () => Socket, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    const s = open();
    const timer = setTimeout(() => { s.destroy(); reject(new Error('the server kept a refused client\'s connection open')); }, 15_000);
    s.on('data', (b: Buffer) => got.push(b));
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(got)); });
    s.once('connect', () => s.write(payload));
  });
}

describe('internal channels over mutual TLS', () => {
  it('runs a job end to end over TLS, and refuses plain-TCP and wrong-CA clients', async () => {
    const good = makePki('ebbflow', keyPassword);
    const rogue = makePki('rogue');
    const jar = await uploadFraud(d);
    const streams = [0, 1].map((i) => `${prefix}-in-${i}`);
    const output = `${prefix}-alerts`;
    const txns = generateTransactions({ seed: 21, count: 4000, streams });
    const all = [...txns, ...endMarkers(streams, Math.max(...txns.map((t) => t.ts)) + W + OOO + 1)];
    const expected = expectedAlerts(all, { windowMs: W, thresholdCents: 10_000_00, maxOutOfOrdernessMs: OOO, streams });
    await writeTransactions(d.redis, all);
    const run = await runJar(d, jar, {
      parallelism: 2, programArgsList: fraudArgs(d.redisUrl, streams, output),
      flinkConfiguration: {
        'security.ssl.internal.enabled': true, 'security.ssl.internal.keystore': good.keystore,
        'security.ssl.internal.truststore': good.ca, 'security.ssl.internal.key-password': keyPassword,
      },
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const id: string = run.body.jobid;
    await waitForState(d, id, 'RUNNING');
    const tms = await taskManagersWithDataPorts(d, id, 2);
    await waitFor(`${expected.length} alerts`, async () => ((await d.redis.xlen(output)) >= expected.length ? true : undefined), 60_000);
    expect(sortAlerts(await readAlerts(d.redis, output))).toEqual(expected);

    const rpcPort = (await jobProcessPorts(id))[0]!;
    const tm1 = Buffer.from(`${id.slice(0, 8)}-taskmanager-00001`);
    const registration = Buffer.from([0x0a, tm1.length + 2, 0x0a, tm1.length, ...tm1]);
    const rogueTls = (port: number) => () => tlsConnect({
      host: '127.0.0.1', port, key: readFileSync(rogue.keystore), cert: readFileSync(rogue.keystore), ca: readFileSync(good.ca), checkServerIdentity: () => undefined,
    });
    for (const port of [rpcPort, tms[0].dataPort, tms[1].dataPort]) {
      const plain = await probe(() => netConnect({ host: '127.0.0.1', port }), registration);
      expect(plain.includes('EBH1'), `port ${port} sent its handshake challenge to a plain-TCP client`).toBe(false);
      const wrongCa = await probe(rogueTls(port), registration);
      expect(wrongCa.length, `port ${port} sent application data to a client of another CA`).toBe(0);
    }

    const logDir = join(d.dataDir, 'logs', id);
    const lines = (file: string) => readFileSync(join(logDir, file), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    await waitFor('the JobMaster to log both refusals', () => (lines('jobmaster.log').filter((l) => l.msg === 'closed an RPC connection that failed the TLS handshake').length === 2 ? true : undefined), 10_000);
    const tmRefusals = await waitFor('the TaskManagers to log their four refusals', () => {
      const found = [1, 2].map((n) => `${id.slice(0, 8)}-taskmanager-0000${n}.log`).flatMap(lines).filter((l) => l.msg === 'closed a data connection that failed the handshake');
      return found.length >= 4 ? found : undefined;
    }, 10_000);
    expect(tmRefusals).toHaveLength(4);
    expect(tmRefusals.map((l) => [l.err, l.remote])).toEqual(tmRefusals.map(() => [expect.stringMatching(/TLS handshake failed/), expect.stringMatching(/^127\.0\.0\.1:\d+$/)]));

    // The key password: on no command line, in no TaskManager's environment, in no REST answer or log.
    for (const p of await processesMatching(`ebbflow-taskmanager ${id}`)) {
      expect(readFileSync(`/proc/${p.pid}/cmdline`, 'utf8')).not.toContain(keyPassword);
      expect(readFileSync(`/proc/${p.pid}/environ`, 'utf8')).not.toContain(keyPassword);
    }
    for (const path of [`/jobs/${id}`, `/jobs/${id}/config`]) expect(await (await fetch(`${d.url}${path}`)).text()).not.toContain(keyPassword);
    for (const file of ['jobmaster.log', ...[1, 2].map((n) => `${id.slice(0, 8)}-taskmanager-0000${n}.log`)]) expect(readFileSync(join(logDir, file), 'utf8')).not.toContain(keyPassword);

    const job = await json(await fetch(`${d.url}/jobs/${id}`));
    expect(job.timestamps.RESTARTING ?? 0).toBe(0);
    expect((await fetch(`${d.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
    await waitForState(d, id, 'CANCELED');
    await waitFor('TaskManagers gone', async () => ((await processesMatching(`ebbflow-taskmanager ${id}`)).length === 0 ? true : undefined), 10_000);
  });
});
