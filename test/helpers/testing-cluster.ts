/**
 * A JobMaster with in-memory collaborators, for control-plane unit tests (no
 * process, no Redis, no socket): the testing registry, a real ResourceManager
 * over the testing driver, testing TaskManagers that register as soon as the
 * driver is asked for them (up to `startLimit`), and a job planned in-process
 * (a Redis Streams source of `streams` streams → keyBy → window → sink; two
 * vertices). The fake TaskManagers answer like real ones — DEPLOYING/RUNNING,
 * checkpoint acknowledgements from every running subtask once a source is
 * triggered, RescalePrepared, RescaleLoaded and FINISHED for retiring ones at
 * the rescale checkpoint's completion — unless a test changes `answers`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobMaster } from '../../jobmaster/job-master.js';
import { compileJobSpec, type CompiledJobSpec } from '../../jobmaster/job-spec.js';
import type { ExecutionStateName } from '../../metadata/index.js';
import type { ebbflow } from '../../proto/generated/rpc.js';
import { ResourceManager, type RecoverableWorkers } from '../../resourcemanager/index.js';
import { ExecutionState, toNumber } from '../../rpc/index.js';
import { SubtaskState } from '../../runtime/checkpoint/snapshot-io.js';
import { expandRanges } from '../../state/key-group-assignment.js';
import { GraphBuilder } from '../../runtime/graph-builder.js';
import { buildJobGraph } from '../../runtime/job-graph.js';
import type { JobPlan } from '../../runtime/plan.js';
import { captureLog, type CapturedLog } from './log-capture.js';
import { TestingJobRegistry } from './testing-job-registry.js';
import type { TestingLeadership } from './testing-leadership.js';
import { TestingOperationQueue } from './testing-operation-queue.js';
import { TestingResourceManagerDriver } from './testing-resource-manager-driver.js';
import { TestingTaskManagerEndpoint, type TestingTaskManager } from './testing-task-managers.js';
import { waitFor } from './wait-for.js';

export interface TestingClusterOptions {
  /** @default 2 */
  parallelism?: number;
  /** Streams of the source, i.e. its parallelism cap. @default 4 */
  streams?: number;
  /** Job configuration (Flink keys) on top of fast test defaults. */
  configuration?: Record<string, unknown>;
  /** TaskManagers the driver starts by itself; later requests stay pending until `startPending`. @default unlimited */
  startLimit?: number;
  /** Wait until the job runs. @default true */
  waitForRunning?: boolean;
  /** The job's leader record (failover); the ResourceManager then keeps its workers for a successor. @default none */
  leadership?: TestingLeadership;
  /** Keyed subtasks acknowledge this many bytes of state per key group they own (for the rescale's batches). @default 0: no key-group index */
  keyGroupBytes?: number;
}

/** An execution as the fake TaskManagers see it. */
export interface FakeExecution {
  id: string;
  vertexId: string;
  subtaskIndex: number;
  resourceId: string;
  attempt: number;
  restorePath: string;
  /** A subtask added by a rescale at this checkpoint (0 = not added). */
  loadAfter: number;
  state: ExecutionStateName;
  prepared?: { checkpointId: number; retire: boolean };
  /** Key groups owned (from the deployment, then from each rescale at its checkpoint), and those prepared for the next one. */
  keyGroups?: number[];
  nextKeyGroups?: number[];
  /** Switched at a rescale checkpoint and its state not loaded (the test withheld it): it acknowledges no later checkpoint, as a real one snapshots only once its state is in. */
  loading?: boolean;
}

/** How the fake TaskManagers answer; a test replaces one to make it fail or stay silent. */
export interface FakeAnswers {
  /** After DEPLOYING: report RUNNING (true) or nothing. */
  deploy(e: FakeExecution): boolean;
  /** The error a PrepareRescale answers with ('' = prepared). */
  prepare(e: FakeExecution): string;
  /** Whether `e` acknowledges checkpoint `id`. */
  ack(e: FakeExecution, id: number): boolean;
  /** Whether `e` reports RescaleLoaded for the rescale at checkpoint `id`. */
  load(e: FakeExecution, id: number): boolean;
  /** How long a subtask takes to answer a PrepareRescale, ms (0: at once). */
  prepareMs?: number;
}

const STATE_CODE = ExecutionState as unknown as Record<string, number>;
const ENDED: ExecutionStateName[] = ['FINISHED', 'CANCELED', 'FAILED'];

/** source (streams) → keyBy → window → sink. */
function testPlan(parallelism: number, streams: number): JobPlan {
  const env = new GraphBuilder(parallelism);
  env.fromRedisStreams({ url: 'redis://127.0.0.1:1', streams: Array.from({ length: streams }, (_, i) => `s${i}`) })
    .keyBy((e) => String(e)).window(env.windows.tumbling(1000)).reduce((a) => a)
    .sinkTo(env.fileSink('/dev/null'));
  return { graph: buildJobGraph(env.transformations, { name: 'control-plane-test', parallelism, maxParallelism: 128 }), transformations: env.transformations };
}

export class TestingCluster {
  readonly registry: TestingJobRegistry;
  readonly driver: TestingResourceManagerDriver;
  readonly endpoint = new TestingTaskManagerEndpoint();
  readonly log: CapturedLog = captureLog();
  readonly spec: CompiledJobSpec;
  readonly plan: JobPlan;
  readonly jm: JobMaster;
  readonly executions = new Map<string, FakeExecution>();
  readonly answers: FakeAnswers = { deploy: () => true, prepare: () => '', ack: () => true, load: () => true };
  /** Every TriggerCheckpoint a source received: the checkpoint, whether it asked to drain, and when (Date.now()). */
  readonly triggers: Array<{ checkpointId: number; drain: boolean; at: number }> = [];
  ops!: TestingOperationQueue;
  /** What the ResourceManager last kept for a later job process (with `leadership`). */
  savedWorkers: RecoverableWorkers | undefined;
  exit!: Promise<number>;
  startLimit: number;
  private readonly dataDir = mkdtempSync(join(tmpdir(), 'ebbflow-cp-'));
  private readonly triggered = new Set<number>();
  private started = 0;
  private readonly keyGroupBytes: number;

  private constructor(opts: TestingClusterOptions) {
    const parallelism = opts.parallelism ?? 2;
    this.startLimit = opts.startLimit ?? Infinity;
    this.keyGroupBytes = opts.keyGroupBytes ?? 0;
    this.plan = testPlan(parallelism, opts.streams ?? 4);
    this.spec = compileJobSpec({
      jobId: '0cafe0000000000000000000000000ff', bundlePath: '/testing/bundle.mjs', programArgs: [], parallelism, redisUrl: 'redis://unused', dataDir: this.dataDir,
      slotRequestTimeoutMs: 5000,
      configuration: {
        'execution.checkpointing.interval': 40, 'heartbeat.timeout': '60 s', 'restart-strategy.fixed-delay.delay': '10 ms',
        'jobmanager.adaptive-scheduler.resource-stabilization-timeout': '200 ms', ...opts.configuration,
      },
    });
    this.registry = new TestingJobRegistry(this.spec.jobId);
    this.driver = new TestingResourceManagerDriver((w) => {
      if (this.started >= this.startLimit) return;
      this.started++;
      setImmediate(() => this.register(w.resourceId));
    });
    const logger = this.log.logger;
    this.jm = new JobMaster(this.spec, {
      registry: this.registry,
      resourceManager: (address, retryIntervalMs) => new ResourceManager(this.driver, {
        jobId: this.spec.jobId, jobMasterAddress: address, profile: { cpuCores: 1, memoryMb: 512, slots: 1 }, logger, retryIntervalMs,
        ...(opts.leadership ? { recovery: { timeoutMs: 1000, save: (w) => { this.savedWorkers = w; } } } : {}),
      }),
      ...(opts.leadership ? { leadership: opts.leadership } : {}),
      taskManagers: this.endpoint,
      operations: (execute) => (this.ops = new TestingOperationQueue(execute)),
      planJob: async () => this.plan,
    }, logger);
  }

  /** Starts the JobMaster (and, by default, waits until the job runs). */
  static async start(opts: TestingClusterOptions = {}): Promise<TestingCluster> {
    const c = new TestingCluster(opts);
    c.exit = c.jm.run();
    if (opts.waitForRunning ?? true) await c.waitForState('RUNNING');
    return c;
  }

  /** The source and the keyed window vertex. */
  get vertices(): [string, string] { return [this.plan.graph.vertices[0]!.id, this.plan.graph.vertices[1]!.id]; }

  tm(resourceId: string): TestingTaskManager { return this.endpoint.taskManagers.get(resourceId)!; }

  /** Running executions per vertex, in vertex order (retiring ones that finished are not counted). */
  parallelism(): number[] {
    return this.vertices.map((v) => [...this.executions.values()].filter((e) => e.vertexId === v && e.state === 'RUNNING').length);
  }

  /** Waits until the job entered `state` `times` times in all. */
  waitForState(state: string, times = 1, timeoutMs = 4000): Promise<void> {
    return waitFor(`the job to be ${state} (${times}×; states so far: ${this.registry.states.join(' → ')})`, () => this.registry.count(state as never) >= times, timeoutMs).then(() => {});
  }

  /** Registers testing TaskManagers for the workers the driver was asked for and did not start. */
  startPending(n = Infinity): string[] {
    const ids = [...this.driver.live.keys()].filter((id) => !this.endpoint.taskManagers.has(id)).slice(0, n);
    for (const id of ids) this.register(id);
    return ids;
  }

  /** A TaskManager process dies: its connection closes, then the driver sees the process exit. */
  kill(resourceId: string): void {
    for (const e of this.executions.values()) if (e.resourceId === resourceId && !ENDED.includes(e.state)) e.state = 'FAILED';
    this.tm(resourceId).disconnect();
    this.driver.crash(resourceId, `TaskManager ${resourceId} exited`);
  }

  /** A running subtask reports FAILED. */
  failExecution(e: FakeExecution, error: string): void { this.report(e, 'FAILED', error); }

  private report(e: FakeExecution, state: ExecutionStateName, error = ''): void {
    e.state = state;
    this.tm(e.resourceId).jobMaster.updateTaskExecutionState({ executionId: e.id, state: STATE_CODE[state], error });
  }

  private register(resourceId: string): void {
    if (this.endpoint.taskManagers.has(resourceId) || !this.driver.live.has(resourceId)) return;
    this.endpoint.register(resourceId, { jobId: this.spec.jobId, configure: (tm) => { tm.gateway.handlers = this.handlers(tm); } });
  }

  private handlers(tm: TestingTaskManager): TestingTaskManager['gateway']['handlers'] {
    const mine = () => [...this.executions.values()].filter((e) => e.resourceId === tm.resourceId);
    return {
      deploy: (d: ebbflow.rpc.DeployTask.$Properties) => {
        const e: FakeExecution = {
          id: d.executionId!, vertexId: d.vertexId!, subtaskIndex: d.subtaskIndex ?? 0, resourceId: tm.resourceId, attempt: d.attempt ?? 0,
          restorePath: d.restorePath ?? '', loadAfter: toNumber(d.loadAfterCheckpoint ?? 0), state: 'DEPLOYING', keyGroups: d.keyGroups?.length ? expandRanges(d.keyGroups) : undefined,
        };
        this.executions.set(e.id, e);
        this.report(e, 'DEPLOYING');
        if (this.answers.deploy(e)) this.report(e, 'RUNNING');
      },
      cancel: (id) => {
        const e = this.executions.get(id);
        if (e && !ENDED.includes(e.state)) this.report(e, 'CANCELED');
      },
      triggerCheckpoint: (t) => {
        // The barrier goes through the whole graph: every running subtask acknowledges (once per checkpoint).
        const id = toNumber(t.checkpointId);
        this.triggers.push({ checkpointId: id, drain: t.drain === true, at: Date.now() });
        if (this.triggered.has(id)) return;
        this.triggered.add(id);
        for (const e of this.executions.values()) {
          if (e.state !== 'RUNNING' || e.loading || this.tm(e.resourceId).gateway.gone || !this.answers.ack(e, id)) continue;
          const keyGroupIndex = this.keyGroupBytes ? (e.keyGroups ?? []).map((kg) => ({ keyGroup: kg, operatorId: 1, offset: 0, length: this.keyGroupBytes })) : [];
          if (e.prepared?.checkpointId === id && !e.prepared.retire) e.keyGroups = e.nextKeyGroups;
          const subtaskState = SubtaskState.encode({ subtaskIndex: e.subtaskIndex, keyGroupIndex }).finish();
          this.tm(e.resourceId).jobMaster.acknowledgeCheckpoint({ executionId: e.id, checkpointId: id, subtaskState, alignmentMs: 0 });
        }
      },
      prepareRescale: (p) => {
        const e = this.executions.get(p.executionId!);
        if (!e) return;
        e.prepared = { checkpointId: toNumber(p.checkpointId), retire: p.retire ?? false };
        e.nextKeyGroups = p.keyGroups?.length ? expandRanges(p.keyGroups) : undefined;
        const answer = () => tm.jobMaster.rescalePrepared({ executionId: e.id, checkpointId: p.checkpointId, error: this.answers.prepare(e) });
        if (this.answers.prepareMs) setTimeout(answer, this.answers.prepareMs); else answer();
      },
      notifyCheckpointComplete: (id) => {
        for (const e of mine()) {
          if (e.state !== 'RUNNING') continue;
          if (e.prepared?.checkpointId === id && e.prepared.retire) this.report(e, 'FINISHED');
          else if (e.prepared?.checkpointId === id || e.loadAfter === id) {
            if (this.answers.load(e, id)) tm.jobMaster.rescaleLoaded({ executionId: e.id, checkpointId: id, keyGroups: 0, bytes: 0 });
            else e.loading = true;
          }
        }
      },
      release: () => { for (const e of mine()) if (!ENDED.includes(e.state)) e.state = 'CANCELED'; },
    };
  }

  /** Cancels the job and waits for the JobMaster to end. */
  async stop(): Promise<number> {
    this.jm.cancel();
    const code = await this.exit;
    rmSync(this.dataDir, { recursive: true, force: true });
    return code;
  }

  /** The JobMaster ended by itself: clean up. */
  async ended(): Promise<number> {
    const code = await this.exit;
    rmSync(this.dataDir, { recursive: true, force: true });
    return code;
  }
}
