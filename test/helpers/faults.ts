/**
 * What the fault and adaptive-scaling tests share: a fraud-detection run with
 * its independent reference, input trickled while the job changes, a watcher
 * that follows a rescale request's progress at ~10 ms, and the end of a job
 * with every process it started gone.
 */
import { expect } from 'vitest';
import { endMarkers, generateTransactions, writeTransactions, type Txn } from '../../examples/fraud-detection/generator.js';
import { expectedAlerts, sortAlerts, type Alert } from '../../examples/fraud-detection/reference.js';
import { json, processesMatching, waitFor, type TestDispatcher } from './dispatcher.js';
import { fraudArgs, jobState, OOO, readAlerts, runJar, W, waitForCheckpoints, waitForState } from './fraud.js';
import { expectSpecResponse } from './openapi.js';
import { jobLogTails, subtaskIdentities } from './rescale.js';

export interface Scenario {
  streams: string[];
  output: string;
  txns: Txn[];
  /** The transactions followed by one end marker per stream (pushes every watermark past the last window). */
  all: Txn[];
  expected: Alert[];
}

/** `count` transactions over four streams named after `prefix`, and the alerts the reference computes for them. */
export function scenario(prefix: string, seed: number, count: number): Scenario {
  const streams = [0, 1, 2, 3].map((i) => `${prefix}-in-${i}`);
  const txns = generateTransactions({ seed, count, streams });
  const lastTs = Math.max(...txns.map((t) => t.ts));
  const all = [...txns, ...endMarkers(streams, lastTs + W + OOO + 1)];
  const expected = expectedAlerts(all, { windowMs: W, thresholdCents: 10_000_00, maxOutOfOrdernessMs: OOO, streams });
  return { streams, output: `${prefix}-alerts`, txns, all, expected };
}

/**
 * Submits the fraud-detection job over the scenario's streams; resolves once every subtask runs at
 * `parallelism` (a short stabilization timeout may start it lower and scale it up in place) and it
 * completed `checkpoints` checkpoints.
 */
export async function startFraudJob(d: TestDispatcher, jar: string, s: Scenario, parallelism: number, config: Record<string, unknown>, checkpoints = 1): Promise<string> {
  const run = await runJar(d, jar, { parallelism, programArgsList: fraudArgs(d.redisUrl, s.streams, s.output), flinkConfiguration: config });
  expect(run.status, JSON.stringify(run.body)).toBe(200);
  const id: string = run.body.jobid;
  await explain(d, id, waitFor(`job ${id} running all ${parallelism} subtasks of every vertex`, async () => {
    if ((await jobState(d, id)).state !== 'RUNNING') return undefined;
    const ids = Object.values(await subtaskIdentities(d, id));
    return ids.every((subtasks) => subtasks.length === parallelism && subtasks.every((x) => x.status === 'RUNNING' && x.pid > 0)) ? true : undefined;
  }));
  if (checkpoints > 0) await explain(d, id, waitForCheckpoints(d, id, checkpoints));
  return id;
}

/**
 * Writes `txns` in small chunks until done or stopped, so input keeps arriving while the job changes.
 * A write error is kept for `finish`/`stop` (a test that fails early closes Redis under it).
 */
export function trickle(redis: TestDispatcher['redis'], txns: Txn[], chunk = 200, everyMs = 20) {
  let i = 0;
  let stopped = false;
  let failure: unknown;
  const done = (async () => {
    while (!stopped && i < txns.length) {
      await writeTransactions(redis, txns.slice(i, i + chunk));
      i += chunk;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })().catch((err: unknown) => { failure = err; });
  const settle = async () => { await done; if (failure) throw failure; };
  return { stop: async () => { stopped = true; await settle(); }, finish: settle };
}

/** Adds the job's log tails to a failed wait. */
export async function explain<T>(d: TestDispatcher, id: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw new Error(`${(err as Error).message}${await jobLogTails(d, id).catch(() => '')}`);
  }
}

export async function patchRescale(d: TestDispatcher, id: string, parallelism: number): Promise<string> {
  const res = await fetch(`${d.url}/jobs/${id}/rescaling?parallelism=${parallelism}`, { method: 'PATCH' });
  const body = await json(res);
  expect(res.status, JSON.stringify(body)).toBe(202);
  return body['request-id'];
}

export async function rescaleStatus(d: TestDispatcher, id: string, trigger: string): Promise<any> {
  return json(await fetch(`${d.url}/jobs/${id}/rescaling/${trigger}`));
}

/** Polls the request until COMPLETED and returns the body (success or failure), checked against openapi.yaml. */
export async function completed(d: TestDispatcher, id: string, trigger: string, timeoutMs = 30_000): Promise<any> {
  const body = await explain(d, id, waitFor(`rescale ${trigger} of ${id} to complete`, async () => {
    const s = await rescaleStatus(d, id, trigger);
    return s.status.id === 'COMPLETED' ? s : undefined;
  }, timeoutMs, 20));
  await expectSpecResponse('get', '/jobs/{jobid}/rescaling/{triggerid}', 200, body);
  return body;
}

export interface Observed { phase: string | null; at: number }

/**
 * Follows a rescale request every ~10 ms and records each phase it reports. `until` resolves with
 * the first phase matching `re` (or rejects once the request completed without showing one).
 */
export function watchProgress(d: TestDispatcher, id: string, trigger: string) {
  const seen: Observed[] = [];
  let last: any;
  let stopped = false;
  const waiters = new Set<() => void>();
  // Bounded, so a test that fails before `stop` does not leave it polling a closed dispatcher.
  const deadline = Date.now() + 120_000;
  const loop = (async () => {
    while (!stopped && Date.now() < deadline) {
      try {
        last = await rescaleStatus(d, id, trigger);
        const phase: string | null = last.progress?.phase ?? null;
        if (seen.at(-1)?.phase !== phase) seen.push({ phase, at: Date.now() });
      } catch { /* the dispatcher is busy; poll again */ }
      for (const w of waiters) w();
      if (last?.status?.id === 'COMPLETED') return;
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    seen,
    /** Resolves with the phase once the request reports one matching `re`. */
    until(re: RegExp, timeoutMs = 30_000): Promise<string> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`no phase matching ${re} within ${timeoutMs} ms; seen: ${JSON.stringify(seen)}`)); }, timeoutMs);
        const check = () => {
          const phase: string | undefined = last?.progress?.phase;
          if (phase && re.test(phase)) { clearTimeout(timer); waiters.delete(check); resolve(phase); }
          else if (last?.status?.id === 'COMPLETED') { clearTimeout(timer); waiters.delete(check); reject(new Error(`the request completed before a phase matching ${re}; seen: ${JSON.stringify(seen)}; ${JSON.stringify(last)}`)); }
        };
        waiters.add(check);
      });
    },
    stop: async () => { stopped = true; await loop; },
  };
}

/** Vertex parallelism of the job as GET /jobs/:id shows it. */
export async function parallelisms(d: TestDispatcher, id: string): Promise<number[]> {
  const job = await json(await fetch(`${d.url}/jobs/${id}`));
  return (job.vertices as Array<{ parallelism: number }>).map((v) => v.parallelism);
}

/** pids of the job's TaskManager processes. */
export async function taskManagerPids(id: string): Promise<number[]> {
  return (await processesMatching(`ebbflow-taskmanager ${id}`)).map((p) => p.pid).sort((a, b) => a - b);
}

/** Writes the rest of the input, waits for every expected alert, lets three more checkpoints complete, and compares. */
export async function expectReferenceAlerts(d: TestDispatcher, id: string, s: Scenario): Promise<void> {
  await writeTransactions(d.redis, s.all.slice(s.txns.length));
  await explain(d, id, waitFor(`${s.expected.length} alerts`, async () => ((await d.redis.xlen(s.output)) >= s.expected.length ? true : undefined), 60_000))
    .catch(async (err: Error) => { throw new Error(`${await d.redis.xlen(s.output)} alerts arrived; ${err.message}`); });
  // Duplicates, if any, would be published by the next checkpoints.
  const stats = await json(await fetch(`${d.url}/jobs/${id}/checkpoints`));
  await explain(d, id, waitForCheckpoints(d, id, stats.counts.completed + 3));
  const got = await readAlerts(d.redis, s.output);
  expect(got.length).toBe(s.expected.length);
  expect(sortAlerts(got)).toEqual(s.expected);
}

export async function exceptionEntries(d: TestDispatcher, id: string): Promise<Array<{ stacktrace: string; taskName: string | null }>> {
  const ex = await json(await fetch(`${d.url}/jobs/${id}/exceptions`));
  await expectSpecResponse('get', '/jobs/{jobid}/exceptions', 200, ex);
  return ex.exceptionHistory.entries;
}

/** Cancels the job; once CANCELED, neither its TaskManagers nor its job process may be left. */
export async function cancelJob(d: TestDispatcher, id: string): Promise<void> {
  expect((await fetch(`${d.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
  await explain(d, id, waitForState(d, id, 'CANCELED'));
  expect(await processesMatching(`ebbflow-taskmanager ${id}`)).toEqual([]);
  await waitFor(`the job process of ${id} to exit`, async () => ((await processesMatching(`ebbflow-jobmaster ${id}`)).length === 0 ? true : undefined), 5000);
}
