/**
 * The checkpoint coordinator of a running job, wired to its runtime state and
 * TaskManagers: who takes part (every execution, once all run), triggers to
 * the sources' TaskManagers, completion broadcast to all of them (and the
 * committed scale it fixes), statistics written through the status writer.
 */
import { join } from 'node:path';
import { CheckpointCoordinator } from './checkpoint-coordinator.js';
import type { JobRuntime } from './job-runtime.js';
import type { JobStatusWriter } from './job-status-writer.js';
import type { TaskManagerPool } from './task-manager-pool.js';

export interface JobCheckpointParts {
  runtime: JobRuntime;
  pool: TaskManagerPool;
  writer: JobStatusWriter;
  /** `<state.checkpoints.dir>/<jobId>`. */
  baseDir: string;
  /** Too many consecutive checkpoint failures: the job fails with `cause`. */
  fail(cause: string): void;
  /** False when a newer JobMaster leads the job: no checkpoint completes then. */
  stillLeading?(): Promise<boolean>;
}

/** Builds the job's checkpoint coordinator from its configuration. */
export function createJobCheckpointCoordinator({ runtime, pool, writer, baseDir, fail, stillLeading }: JobCheckpointParts): CheckpointCoordinator {
  const { config: cfg, spec, log } = runtime;
  const coordinator: CheckpointCoordinator = new CheckpointCoordinator(
    {
      jobId: spec.jobId, graph: runtime.plan.graph, logger: log, baseDir,
      savepointDir: cfg.savepointDir ?? join(spec.dataDir, 'savepoints'),
      intervalMs: cfg.checkpointIntervalMs > 0 ? cfg.checkpointIntervalMs : 0, timeoutMs: cfg.checkpointTimeoutMs, retained: cfg.checkpointsRetained,
      tolerableFailures: cfg.tolerableCheckpointFailures, triggerOnCaughtUp: cfg.checkpointOnCaughtUp, triggerOnOutput: cfg.checkpointOnOutput,
    },
    {
      participants: () => {
        const members = runtime.graph.participants();
        if (runtime.phase !== 'RUNNING' || !members.every((e) => e.state === 'RUNNING')) return undefined;
        const sources = new Set(runtime.plan.graph.vertices.filter((v) => v.isSource).map((v) => v.id));
        const all = members.map((e) => ({ executionId: e.id, vertexId: e.vertexId, subtask: e.subtaskIndex }));
        return { all, sources: all.filter((t) => sources.has(t.vertexId)) };
      },
      trigger: (s, cid, dir, ts, drain) => {
        const rid = runtime.graph.executions.get(s.executionId)?.resourceId;
        // Never acknowledged: the checkpoint fails by its timeout, or is aborted by that TaskManager's loss.
        if (pool.gateway(rid).triggerCheckpoint({ executionId: s.executionId, checkpointId: cid, timestamp: ts, directory: dir, drain }) === 'gone') {
          log.warn({ resourceId: rid, checkpointId: cid }, 'TaskManager gone: checkpoint trigger not delivered (handled as a lost TaskManager)');
        }
      },
      notifyComplete: (cid) => {
        runtime.committed = runtime.scaleFor(cid);
        for (const rid of pool.broadcast((gw) => gw.notifyCheckpointComplete(cid))) {
          log.warn({ resourceId: rid, checkpointId: cid }, 'TaskManager gone: checkpoint completion not delivered (handled as a lost TaskManager)');
        }
      },
      onFailureLimit: fail,
      statsChanged: () => writer.scheduleStatsWrite(() => coordinator.stats.toJSON()),
      scaleFor: (cid) => runtime.scaleFor(cid),
      ...(stillLeading ? { stillLeading } : {}),
    },
  );
  return coordinator;
}
