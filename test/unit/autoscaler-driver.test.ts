/**
 * The autoscaler in the job process, without processes: the graph it hands the decision (order,
 * upstream, bounds the user set and not the scheduler's defaults, stream counts, key groups, forward
 * groups), how a rescale's outcome maps back (completed with its hold time, unsatisfiable for a
 * resource wait timeout or no reservable TaskManager), and the driver's loop over metrics snapshots:
 * stabilise, confirm, one requirements request through the scaler with trigger `autoscaler`, a log
 * line with from → to and the reason, the published state in openapi.yaml's shape, runtime changes.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/index.js';
import { AutoscalerDriver, autoscalerRequirements, autoscalerVertices, failureOf, outcomeOf } from '../../jobmaster/autoscaler-driver.js';
import type { ScaleOutcome, ScaleRequest } from '../../jobmaster/elastic-scaler.js';
import { CapacityRefused } from '../../jobmaster/errors.js';
import { JobRuntime } from '../../jobmaster/job-runtime.js';
import { defaultRequirements, planScale, uniformParallelism, vertexLimits } from '../../jobmaster/job-scale.js';
import { compileJobSpec } from '../../jobmaster/job-spec.js';
import type { AutoscalerInfo, JobMetricsSnapshot, SubtaskMetricsSnapshot } from '../../metadata/index.js';
import { ResourceWaitTimeoutError } from '../../resourcemanager/index.js';
import { GraphBuilder } from '../../runtime/graph-builder.js';
import { buildJobGraph } from '../../runtime/job-graph.js';
import { captureLog } from '../helpers/log-capture.js';
import { expectSpecResponse } from '../helpers/openapi.js';
import { testingJobRuntime } from '../helpers/testing-job-runtime.js';

const FAST = {
  'job.autoscaler.enabled': true, 'job.autoscaler.stabilization.interval': '1 s', 'job.autoscaler.scale-up.confirmation': '2 s',
  'job.autoscaler.metrics.window': '4 s', 'job.autoscaler.scale-down.interval': '4 s',
};

describe('the graph the autoscaler decides on', () => {
  it('lists the vertices in topological order with their upstream, parallelism, stream count and key groups', () => {
    const rt = testingJobRuntime(2, 4);
    const [src, win] = rt.plan.graph.vertices.map((v) => v.id);
    expect(autoscalerVertices(rt)).toEqual([
      { id: src, upstream: [], parallelism: 2, maxParallelism: 128, streams: 4 },
      { id: win, upstream: [src], parallelism: 2, maxParallelism: 128, keyGroups: 128 },
    ]);
  });

  it('bounds a vertex only by what a requirements request set, never by the scheduler\'s default upper bound (the parallelism now)', () => {
    const rt = testingJobRuntime(2, 4);
    const [src, win] = rt.plan.graph.vertices.map((v) => v.id);
    // The scheduler's defaults: upper bound = 2 for both. Not a bound for the autoscaler.
    expect(rt.requirements[src!]!.parallelism.upperBound).toBe(2);
    expect(autoscalerVertices(rt)[0]).not.toHaveProperty('upperBound');
    rt.userBounds[win!] = { parallelism: { lowerBound: 2, upperBound: 6 } };
    expect(autoscalerVertices(rt)[1]).toMatchObject({ lowerBound: 2, upperBound: 6 });
    expect(autoscalerVertices(rt)[0]).not.toHaveProperty('upperBound');
  });

  it('ties vertices joined by forward edges into one group, and marks a collection source fixed', () => {
    const env = new GraphBuilder(2);
    env.fromElements([1, 2, 3]).rebalance().map((x) => x, 'A').forward().map((x) => x, 'B').keyBy((x) => String(x)).window(env.windows.tumbling(1000)).reduce((a) => a).sinkTo(env.fileSink('/dev/null'));
    const plan = { graph: buildJobGraph(env.transformations, { name: 'groups', parallelism: 2, maxParallelism: 64 }), transformations: env.transformations };
    const limits = vertexLimits(plan);
    const scale = planScale(plan.graph, limits, uniformParallelism(plan.graph, limits, 2));
    const spec = compileJobSpec({ jobId: 'groups', bundlePath: '/x', programArgs: [], parallelism: 2, redisUrl: 'redis://unused', dataDir: '/nonexistent' });
    const rt = new JobRuntime(spec, plan, limits, pino({ level: 'silent' }), { scale, committed: scale, requirements: defaultRequirements(scale) });
    const vs = autoscalerVertices(rt);
    expect(vs.map((v) => v.upstream.length)).toEqual([0, 1, 1, 1]);
    expect(vs[0]).toMatchObject({ fixed: true });
    expect(vs[1]!.group).toBeDefined();
    expect(vs[2]!.group).toBe(vs[1]!.group);
    expect(vs[0]!.group).toBeUndefined();
    expect(vs[3]).toMatchObject({ keyGroups: 64 });
    expect(vs[3]!.group).toBeUndefined();
  });
});

describe('outcome mapping', () => {
  const result = (noop: boolean): ScaleOutcome => ({
    noop, checkpointId: noop ? null : 7, durationMs: 1800, parallelism: { before: { a: 1 }, after: { a: noop ? 1 : 3 } },
    keyGroups: { moved: 0, minimum: 0, total: 0 }, stateBytes: { moved: 0, minimum: 0, total: 0 }, streamsMoved: 0, maxHoldMs: 240, maxLoadMs: 10, heldRecords: 0,
    subtasks: { kept: 1, added: noop ? 0 : 2, retired: 0 }, requirements: {},
  });

  it('a completed rescale reports its parallelism, duration, hold time (the restart time measured) and request id', () => {
    expect(outcomeOf(result(false), 'r-1')).toEqual({ parallelism: { a: 3 }, durationMs: 1800, holdMs: 240, requestId: 'r-1' });
    // Nothing changed (no TaskManager came): it held nothing back.
    expect(outcomeOf(result(true), 'r-2')).toEqual({ parallelism: { a: 1 }, durationMs: 1800, holdMs: 0, requestId: 'r-2' });
  });

  it('a resource wait timeout and a refused reservation are unsatisfiable; other failures are not', () => {
    const timeout = new ResourceWaitTimeoutError(3, 1000, 'local', ': 1 available');
    expect(failureOf(timeout)).toEqual({ message: expect.stringContaining('could not get 3 slot(s) within 1000 ms'), unsatisfiable: true });
    expect(failureOf(new CapacityRefused('no room'))).toEqual({ message: expect.stringContaining('no room'), unsatisfiable: true });
    expect(failureOf(new Error('checkpoint 4 expired'))).toEqual({ message: expect.stringContaining('checkpoint 4 expired'), unsatisfiable: false });
  });

  it('asks for the new parallelism as the upper bound, keeping the user\'s lower bound', () => {
    expect(autoscalerRequirements({ a: 4, b: 1 }, { b: { parallelism: { lowerBound: 2, upperBound: 8 } } })).toEqual({
      a: { parallelism: { lowerBound: 1, upperBound: 4 } },
      b: { parallelism: { lowerBound: 1, upperBound: 1 } },
    });
    expect(autoscalerRequirements({ b: 5 }, { b: { parallelism: { lowerBound: 2, upperBound: 8 } } })).toEqual({ b: { parallelism: { lowerBound: 2, upperBound: 5 } } });
  });
});

/** A driver over a testing runtime at parallelism 1 (four streams), a fake scaler that rescales in an instant, a fake clock. */
function harness(configuration: Record<string, unknown> = FAST, scale: (req: ScaleRequest) => Promise<ScaleOutcome> | undefined = () => undefined) {
  const rt = testingJobRuntime(1, 4, configuration);
  rt.enterRunning();
  const [src, win] = rt.plan.graph.vertices.map((v) => v.id) as [string, string];
  let t = 0;
  const log = captureLog();
  const requests: ScaleRequest[] = [];
  const published: AutoscalerInfo[] = [];
  const store = {
    async putAutoscaler(_id: string, s: AutoscalerInfo) { published.push(structuredClone(s)); },
    async getAutoscaler() { return published.at(-1); },
  };
  const capacity = { reserved: [] as number[], allow: Infinity, async reserve(p: number, current: number) { this.reserved.push(p); return Math.max(current, Math.min(p, this.allow)); }, async settle() {} };
  const scaler = {
    async apply(req: ScaleRequest): Promise<ScaleOutcome> {
      requests.push(req);
      req.started?.(`rescale-${requests.length}`);
      const custom = scale(req);
      if (custom) return custom;
      const before = Object.fromEntries([...rt.scale].map(([id, v]) => [id, v.parallelism]));
      const after = { ...before };
      for (const [id, b] of Object.entries(req.requirements ?? {})) after[id] = b.parallelism.upperBound;
      rt.scale = planScale(rt.plan.graph, rt.limits, new Map(Object.entries(after)), rt.scale);
      return {
        noop: false, checkpointId: 3, durationMs: 900, parallelism: { before, after }, keyGroups: { moved: 0, minimum: 0, total: 0 }, stateBytes: { moved: 0, minimum: 0, total: 0 },
        streamsMoved: 0, maxHoldMs: 300, maxLoadMs: 5, heldRecords: 0, subtasks: { kept: 2, added: 2, retired: 0 }, requirements: req.requirements ?? {},
      };
    },
  };
  const driver = new AutoscalerDriver({
    runtime: rt, scaler, rescaling: () => false, capacity, store, log: log.logger, configuration: rt.spec.configuration, metricsEnabled: true, now: () => t,
  });
  /** One snapshot: each vertex at `rate` records/s, busy `busy` ms/s per subtask. */
  const tick = async (rate: number, busy: number, ms = 2000) => {
    t += ms;
    const subtasks: SubtaskMetricsSnapshot[] = [];
    for (const id of [src, win]) {
      const p = rt.scale.get(id)!.parallelism;
      for (let i = 0; i < p; i++) {
        subtasks.push({ vertexId: id, subtask: i, attempt: rt.attempt, taskManagerId: `tm-${i}`, metrics: {
          numRecordsInPerSecond: rate / p, numRecordsOutPerSecond: rate / p, busyTimeMsPerSecond: busy, backPressuredTimeMsPerSecond: 0, ...(id === src ? { pendingRecords: 0 } : {}),
        } });
      }
    }
    const snap: JobMetricsSnapshot = { jobId: rt.jobId, timestamp: t, job: {}, subtasks, taskManagers: {}, history: [] };
    driver.onSnapshot(snap);
    // Let a rescale it started settle (the fake scaler answers at once).
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  return { rt, src, win, driver, tick, requests, published, capacity, log, now: () => t };
}

describe('the autoscaler driver', () => {
  it('stabilises, confirms, then rescales through the scaler as trigger `autoscaler`, logs from → to with the reason, and publishes its state', async () => {
    const h = harness();
    await h.driver.start();
    // 1000 records/s at 90 % busy on one subtask: a scale-up to ⌈0.9 ÷ 0.7⌉ = 2 subtasks.
    for (let i = 0; i < 4 && !h.requests.length; i++) await h.tick(1000, 900);
    expect(h.requests).toHaveLength(1);
    const [req] = h.requests;
    expect(req).toMatchObject({ trigger: 'autoscaler' });
    expect(req!.requirements).toEqual({
      [h.src]: { parallelism: { lowerBound: 1, upperBound: 2 } },
      [h.win]: { parallelism: { lowerBound: 1, upperBound: 2 } },
    });
    // The user's bounds are untouched by it.
    expect(h.rt.userBounds).toEqual({});
    const [line] = h.log.matching('autoscaler decision #1:');
    expect(line!.msg).toMatch(/1 → 2.*1 → 2 \(.*busy 90 %/);
    expect(line!.level).toBe(30);
    const state = h.published.at(-1)!;
    await expectSpecResponse('get', '/jobs/{jobid}/autoscaler', 200, state);
    expect(state.decisions[0]).toMatchObject({ id: 1, outcome: 'completed', requestId: 'rescale-1', result: { parallelism: { [h.src]: 2, [h.win]: 2 }, durationMs: 900 } });
    expect(state.restartTimeMs).toBe(300);
    expect(state.vertices.map((v) => v.parallelism)).toEqual([2, 2]);
    expect(state.lastEvaluation).toMatchObject({ code: 'rescale' });
    expect(h.capacity.reserved).toEqual([2]);

    // A new job process of the same job takes up the history: ids go on, a decision left pending is lost.
    const again = harness();
    const left = structuredClone(state);
    left.decisions.unshift({ ...left.decisions[0]!, id: 2, outcome: 'pending', requestId: 'rescale-2', endedAt: null, result: null });
    left.ineffective = [{ vertexId: h.src, parallelism: 3 }];
    again.published.push(left);
    await again.driver.start();
    const restored = again.published.at(-1)!;
    expect(restored.decisions.map((r) => [r.id, r.outcome])).toEqual([[2, 'lost'], [1, 'completed']]);
    expect(restored.decisions[0]!.error).toMatch(/job process .* ended/);
    expect(restored.decisions[1]).toEqual(state.decisions[0]);
    expect(restored.ineffective).toEqual([{ vertexId: h.src, parallelism: 3 }]);
    for (let i = 0; i < 6 && !again.requests.length; i++) await again.tick(1000, 900);
    expect(again.published.at(-1)!.decisions[0]).toMatchObject({ id: 3, outcome: 'completed' });
  });

  it('records a scale-up the provider could not satisfy as unsatisfiable and backs off', async () => {
    const h = harness(FAST, () => { throw new ResourceWaitTimeoutError(2, 1000, 'testing', ': 1 available'); });
    await h.driver.start();
    for (let i = 0; i < 4 && !h.requests.length; i++) await h.tick(1000, 900);
    const state = h.published.at(-1)!;
    expect(state.decisions[0]).toMatchObject({ outcome: 'unsatisfiable', requestId: 'rescale-1', error: expect.stringContaining('could not get 2 slot(s)') });
    expect(state.backoffUntil).toBeGreaterThan(h.now());
    expect(h.log.matching('autoscaler decision #1 failed')).toHaveLength(1);
  });

  it('caps a scale-up at the TaskManagers it can reserve, and fails it as unsatisfiable when none can be', async () => {
    const h = harness({ ...FAST, 'job.autoscaler.utilization.target': 0.3, 'job.autoscaler.utilization.min': 0.2, 'job.autoscaler.utilization.max': 0.4 });
    h.capacity.allow = 2;
    await h.driver.start();
    for (let i = 0; i < 4 && !h.requests.length; i++) await h.tick(1000, 900);
    // It wanted 4 (0.9 ÷ 0.3 = 3 even subtasks; 3 of 4 streams or 128 key groups work like fewer), got room for 2.
    expect(h.capacity.reserved).toEqual([4]);
    expect(h.requests[0]!.requirements![h.win]).toEqual({ parallelism: { lowerBound: 1, upperBound: 2 } });

    const g = harness();
    g.capacity.allow = 1;
    await g.driver.start();
    for (let i = 0; i < 6; i++) await g.tick(1000, 900);
    expect(g.requests).toEqual([]);
    expect(g.published.at(-1)!.decisions[0]).toMatchObject({ outcome: 'unsatisfiable', error: expect.stringContaining('EBBFLOW_MAX_TASKMANAGERS') });
  });

  it('stays within the user\'s upper bound and names it', async () => {
    const h = harness({ ...FAST, 'job.autoscaler.utilization.target': 0.2, 'job.autoscaler.utilization.min': 0.1, 'job.autoscaler.utilization.max': 0.3 });
    await h.driver.start();
    h.rt.userBounds[h.win] = { parallelism: { lowerBound: 1, upperBound: 2 } };
    for (let i = 0; i < 4 && !h.requests.length; i++) await h.tick(1000, 900);
    expect(h.requests[0]!.requirements![h.win]!.parallelism.upperBound).toBe(2);
    const win = h.published.at(-1)!.decisions[0]!.changes.find((c) => c.vertexId === h.win)!;
    expect(win.limits).toContain('upper-bound');
  });

  it('applies a change at run time (recommend only), refuses a bad one naming the key, and a restarted job process restores the changes', async () => {
    const h = harness();
    await h.driver.start();
    const applied = await h.driver.change({ 'job.autoscaler.scaling.enabled': 'false', 'job.autoscaler.utilization.target': 0.6 });
    expect(applied.options).toMatchObject({ 'job.autoscaler.scaling.enabled': false, 'job.autoscaler.utilization.target': 0.6 });
    expect(applied.overrides).toEqual({ 'job.autoscaler.scaling.enabled': 'false', 'job.autoscaler.utilization.target': 0.6 });
    for (let i = 0; i < 6; i++) await h.tick(1000, 900);
    expect(h.requests).toEqual([]);
    expect(h.published.at(-1)!.decisions[0]).toMatchObject({ outcome: 'recommend-only' });
    expect(h.published.at(-1)!.recommendOnly).toBe(true);

    await expect(h.driver.change({ 'job.autoscaler.utilization.max': 0.5 })).rejects.toThrow(ConfigError);
    await expect(h.driver.change({ 'job.autoscaler.utilisation.target': 0.5 })).rejects.toThrow(/job.autoscaler.utilisation.target is not an autoscaler setting \(did you mean job.autoscaler.utilization.target\?\)/);
    // Nothing changed by a refused change.
    expect(h.published.at(-1)!.options['job.autoscaler.utilization.target']).toBe(0.6);

    // null takes a change back.
    expect((await h.driver.change({ 'job.autoscaler.utilization.target': null })).overrides).toEqual({ 'job.autoscaler.scaling.enabled': 'false' });

    // A new job process of the same job reads the changes back from the published state.
    const again = harness();
    again.published.push(h.published.at(-1)!);
    await again.driver.start();
    expect(again.published.at(-1)!.recommendOnly).toBe(true);
    expect(again.published.at(-1)!.overrides).toEqual({ 'job.autoscaler.scaling.enabled': 'false' });
  });

  it('does nothing while the job does not run or another rescale is under way, and restabilises after a restart', async () => {
    const h = harness();
    await h.driver.start();
    h.rt.phase = 'RESTARTING';
    await h.tick(1000, 900);
    expect(h.published.at(-1)!.lastEvaluation).toMatchObject({ code: 'not-running', reason: 'the job is restarting' });
    h.rt.enterRunning();
    h.rt.attempt = 1;
    await h.tick(1000, 900);
    expect(h.published.at(-1)!.lastEvaluation).toMatchObject({ code: 'stabilizing' });
    expect(h.published.at(-1)!.stabilizingUntil).toBe(h.now() + 1000);
  });
});
