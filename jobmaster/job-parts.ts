/**
 * The parts of a planned job and their assembly: each built once, in dependency order, around the
 * one shared `JobRuntime`, and wired to each other. Separate from the JobMaster, which only routes
 * TaskManager reports to these parts, runs operations through them and ends them: what the parts
 * need of the JobMaster comes in as the narrow `PartsHost`.
 */
import type { Logger } from 'pino';
import type { JobException } from '../metadata/index.js';
import type { ResourceManager } from '../resourcemanager/index.js';
import type { TaskManagerMessage } from '../rpc/index.js';
import type { JobMasterId } from '../rpc/fencing.js';
import { AutoscalerDriver } from './autoscaler-driver.js';
import type { CheckpointCoordinator } from './checkpoint-coordinator.js';
import { ElasticScaler } from './elastic-scaler.js';
import { FailoverHandler } from './failover-handler.js';
import { JobCapacity } from './job-capacity.js';
import { createJobCheckpointCoordinator } from './job-checkpoints.js';
import type { JobMasterServices } from './job-master-services.js';
import { JobMetricsCollector } from './job-metrics.js';
import type { JobRuntime, Outcome } from './job-runtime.js';
import type { CompiledJobSpec } from './job-spec.js';
import type { JobStatusWriter } from './job-status-writer.js';
import { RescaleCoordinator } from './rescale-coordinator.js';
import { RescaleHistory } from './rescale-history.js';
import { SlotScheduler } from './slot-scheduler.js';
import { TaskManagerPool, type RegisteredTaskManager } from './task-manager-pool.js';
import { WatermarkAligner } from './watermark-aligner.js';

/** The parts of a planned job, built once and held together. */
export interface JobParts {
  runtime: JobRuntime;
  pool: TaskManagerPool;
  rm: ResourceManager;
  coordinator: CheckpointCoordinator;
  slots: SlotScheduler;
  rescaler: RescaleCoordinator;
  failover: FailoverHandler;
  scaler: ElasticScaler;
  history: RescaleHistory;
  /** Absent with ebbflow.metrics.enabled = false. */
  metrics: JobMetricsCollector | undefined;
  capacity: JobCapacity;
  autoscaler: AutoscalerDriver;
  /** Watermark alignment groups of the job's sources. */
  aligner: WatermarkAligner;
  /** The RPC address TaskManagers dial. */
  address: string;
}

/** What the parts need of their JobMaster. */
export interface PartsHost {
  spec: CompiledJobSpec;
  services: JobMasterServices;
  log: Logger;
  writer: JobStatusWriter;
  jobMasterId: JobMasterId;
  checkpointBaseDir: string;
  /** The parts once assembled: TaskManager events before that are refused or dropped. */
  parts(): JobParts | undefined;
  /** A newer JobMaster leads the job: no registration is taken any more. */
  fenced(): boolean;
  /** Whether this JobMaster still leads the job (asked before a checkpoint completes). */
  stillLeading(): Promise<boolean>;
  registered(tm: RegisteredTaskManager): void;
  /** A TaskManager's report, to be routed to the part it is for. */
  message(tm: RegisteredTaskManager, m: TaskManagerMessage): void;
  fail(cause: string): void;
  end(outcome: Outcome): void;
}

/** Builds the parts of the planned job, each once, in dependency order. */
export async function assembleJobParts(host: PartsHost, runtime: JobRuntime, earlier: JobException[]): Promise<JobParts> {
  const { writer, spec, services, log } = host;
  const config = spec.config;
  const pool = new TaskManagerPool(
    { jobMasterId: host.jobMasterId, heartbeatIntervalMs: config.heartbeatIntervalMs, heartbeatTimeoutMs: config.heartbeatTimeoutMs,
      rpcMaxFrameBytes: config.rpcMaxFrameBytes, networkMaxFrameBytes: config.networkMaxFrameBytes,
      storageTimeoutMs: config.storageTimeoutMs, metricsEnabled: config.metricsEnabled, s3: config.s3, logger: log },
    {
      accept: (r) => r.jobId === spec.jobId && runtime.phase !== 'ENDING' && !host.fenced() && (host.parts()?.rm.registered(r.resourceId, r.pid) ?? false),
      registered: (tm) => host.registered(tm),
      heartbeat: (tm, hb) => {
        writer.putTaskManager(tm);
        if (hb) host.parts()?.metrics?.onHeartbeat(tm.resourceId, hb);
      },
      message: (tm, m) => host.message(tm, m),
      lost: (rid, cause) => {
        host.parts()?.metrics?.taskManagerGone(rid);
        host.parts()?.failover.taskManagerLost(rid, cause);
      },
    },
  );
  const address = await services.taskManagers.listen(pool);
  pool.start();
  const rm = services.resourceManager(address, config.workerRetryIntervalMs);
  const coordinator = createJobCheckpointCoordinator({
    runtime, pool, writer, baseDir: host.checkpointBaseDir, fail: (cause) => host.fail(cause),
    stillLeading: () => host.stillLeading(),
  });
  const slots = new SlotScheduler({ runtime, pool, rm, coordinator, writer, fail: (cause) => host.fail(cause) });
  const rescaler = new RescaleCoordinator({
    runtime, pool, coordinator, freeSlots: () => slots.freeSlots(),
    changed: () => { writer.scheduleVertexWrite(); for (const tm of pool.tms.values()) writer.putTaskManager(tm); },
  });
  // Failover and scaler call each other (a restart fails a waiting request; a request failing after its switch restarts).
  const failover: FailoverHandler = new FailoverHandler({
    runtime, pool, rm, coordinator, rescaler, slots, writer,
    abortScaleWait: (cause) => scaler.abortWait(cause),
    end: (o) => host.end(o),
  }, earlier);
  const history = new RescaleHistory(services.registry, spec.jobId, runtime.plan.graph, config.rescaleHistorySize, log);
  const scaler: ElasticScaler = new ElasticScaler({
    runtime, rm, rescaler, pool, writer, history,
    restart: (cause) => void failover.handleFailure(cause, null),
    releaseIdle: () => slots.releaseIdle(),
  });
  const capacity = new JobCapacity(services.capacity, runtime, spec.slotsPerTaskManager, log);
  const autoscaler = new AutoscalerDriver({
    runtime, scaler, rescaling: () => rescaler.inProgress, capacity, store: services.registry, log,
    configuration: spec.configuration, metricsEnabled: config.metricsEnabled,
  });
  await autoscaler.start();
  const metrics = config.metricsEnabled
    ? new JobMetricsCollector({
      runtime, writer, checkpoints: () => coordinator.stats.jobMetrics(), intervalMs: config.metricsIntervalMs, earlierRestarts: spec.recoveryAttempt,
      published: (snap) => autoscaler.onSnapshot(snap),
    })
    : undefined;
  metrics?.start();
  const alignedGroups = new Set<string>();
  const aligner = new WatermarkAligner((id) => runtime.graph.executions.has(id), (group, bound, slowest) => {
    // The first bound of a group says alignment is at work; the rest (one per update interval) only at debug.
    if (alignedGroups.has(group)) log.debug({ group, maxAllowedWatermark: bound }, 'watermark alignment: new bound');
    else { alignedGroups.add(group); log.info({ group, maxAllowedWatermark: bound }, 'watermark alignment: first bound of the group announced to the TaskManagers'); }
    pool.broadcast((gw) => gw.alignWatermarks(group, bound, slowest)); // a TaskManager gone is handled as lost by the pool
  });
  return { runtime, pool, rm, coordinator, slots, rescaler, failover, scaler, history, metrics, capacity, autoscaler, aligner, address };
}
