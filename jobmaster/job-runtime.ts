/**
 * The job's runtime state, one shared view for the JobMaster and its parts
 * (slot scheduler, failover, rescale coordinator, elastic scaler): the plan
 * and its limits, the execution graph, the scale deployed and the scale last
 * committed by a checkpoint, the requirements in force, the phase and the
 * attempt. Parts read it and change it here instead of through callbacks.
 */
import type { Logger } from 'pino';
import type { ResourceRequirements } from '../metadata/index.js';
import type { JobPlan } from '../runtime/plan.js';
import type { DeploymentContext } from './deployment.js';
import { ExecutionGraph } from './execution-graph.js';
import { desiredParallelism, type JobScale, type VertexLimits } from './job-scale.js';
import type { CompiledJobSpec } from './job-spec.js';

/** Where the JobMaster is in the job's life. */
export type Phase = 'PLANNING' | 'WAITING_FOR_SLOTS' | 'DEPLOYING' | 'RUNNING' | 'RESTARTING' | 'ENDING';

export class JobRuntime {
  phase: Phase = 'PLANNING';
  /** Deployment attempt: 0 at first, +1 for every restart. */
  attempt = 0;
  graph: ExecutionGraph;
  /** The scale deployed now. */
  scale: JobScale;
  /** The scale of the latest completed checkpoint: what a restart resumes from. */
  committed: JobScale;
  /** The resource requirements in force (per vertex parallelism bounds). */
  requirements: ResourceRequirements;
  /**
   * The bounds resource-requirements requests set (PUT /resource-requirements), per vertex named:
   * the autoscaler stays within them. Its own rescales change `requirements` (what the job runs
   * at), never these; the scheduler's default bounds (upper = the parallelism now) are not here.
   */
  userBounds: ResourceRequirements = {};
  /** The rescale checkpoint in progress and the scale it resumes at (set by the rescale coordinator). */
  switching: { checkpointId: number; next: JobScale } | undefined;
  private readonly runningWaiters = new Set<() => void>();

  constructor(
    readonly spec: CompiledJobSpec,
    readonly plan: JobPlan,
    readonly limits: VertexLimits,
    readonly log: Logger,
    initial: { scale: JobScale; committed: JobScale; requirements: ResourceRequirements },
  ) {
    this.scale = initial.scale;
    this.committed = initial.committed;
    this.requirements = initial.requirements;
    this.graph = new ExecutionGraph(plan.graph, this.scale, limits.caps);
  }

  get jobId(): string { return this.spec.jobId; }
  get config() { return this.spec.config; }
  /** How long a request (or a start) waits for its slots. */
  get resourceWaitMs(): number { return this.config.resourceWaitTimeoutMs ?? this.spec.slotRequestTimeoutMs; }
  get running(): boolean { return this.phase === 'RUNNING'; }

  /** The phase in words, for messages ("waiting for slots"). */
  describePhase(): string { return this.phase.toLowerCase().replace(/_/g, ' '); }

  /** The scale a restore from checkpoint `id` resumes at: the new one for a rescale checkpoint. */
  scaleFor(id: number): JobScale {
    return this.switching?.checkpointId === id ? this.switching.next : this.scale;
  }

  /** Per-vertex parallelism the requirements ask for, given unlimited slots. */
  desired(): Map<string, number> {
    return desiredParallelism(this.plan.graph, this.limits, this.requirements, this.scale);
  }

  /** The job runs: wakes whoever waits for that. */
  enterRunning(): void {
    this.phase = 'RUNNING';
    for (const w of this.runningWaiters) w();
  }

  /** Resolves when the job runs (or rejects after `ms`). */
  whenRunning(ms: number): Promise<void> {
    if (this.running) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.runningWaiters.delete(done); reject(new Error(`the job did not reach RUNNING within ${ms} ms (it is ${this.describePhase()})`)); }, ms);
      const done = () => { clearTimeout(timer); this.runningWaiters.delete(done); resolve(); };
      this.runningWaiters.add(done);
    });
  }

  /** What every deployment of this attempt carries. */
  deployContext(restorePath: string): DeploymentContext {
    const s = this.spec;
    return {
      jobId: s.jobId, bundlePath: s.bundlePath, entryClass: s.entryClass, programArgs: s.programArgs,
      planParallelism: s.parallelism, checkpointing: this.config.checkpointIntervalMs > 0, restorePath, attempt: this.attempt,
    };
  }
}

/** How the job ended. */
export type Outcome = { state: 'FINISHED' | 'CANCELED' } | { state: 'FAILED'; cause: string };
