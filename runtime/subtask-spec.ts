/** What a TaskManager needs to run one subtask (decoded from a DeployTask). */
/** A consumer subtask: where it runs and which execution of it (named in the producers' channel headers). */
export interface SubtaskLocation { subtaskIndex: number; resourceId: string; dataHost: string; dataPort: number; executionId: string }
export interface OutputSpec {
  edgeId: string;
  targetVertexId: string;
  partitioning: 'FORWARD' | 'HASH' | 'REBALANCE';
  consumers: SubtaskLocation[];
  /** HASH edges: key group → consumer subtask index (the consumers' key-group table). */
  owners?: Uint16Array | undefined;
}
/**
 * `producerCount` producers feed the edge, on channels 0..producerCount-1 (one channel for FORWARD);
 * `producerResources[i]` is the TaskManager producer i runs on ('' or absent: not known).
 */
export interface InputSpec { edgeId: string; sourceVertexId: string; producerCount: number; producerResources?: string[] }

export interface SubtaskSpec {
  jobId: string;
  executionId: string;
  vertexId: string;
  subtaskIndex: number;
  parallelism: number;
  maxParallelism: number;
  attempt: number;
  outputs: OutputSpec[];
  inputs: InputSpec[];
  /** Keyed vertices: the key groups this subtask owns, sorted; undefined for vertices without keyed input. */
  keyGroups: number[] | undefined;
  /** Sinks hold output until checkpoints complete. */
  checkpointing: boolean;
  /** Checkpoint/savepoint directory to restore from, or '' for fresh state. */
  restorePath: string;
  /**
   * Added by an in-place rescale at checkpoint N (0 = no): start empty, hold back the records of
   * owned key groups and load them (and a source its streams) from `restorePath` once N completes.
   */
  loadAfterCheckpoint: number;
  /** With `loadAfterCheckpoint`: the old subtasks of this vertex it loads from (see RescaleSpec.loadFrom). */
  loadFrom: number[];
}

/** The configuration a running subtask switches to at a rescale barrier. */
export interface RescaleSpec {
  checkpointId: number;
  /** The rescale checkpoint's directory: gained state is read from it once it completes. */
  directory: string;
  /** Removed by a scale-down: snapshot, pass the barrier on, publish, end. */
  retire: boolean;
  parallelism: number;
  keyGroups: number[] | undefined;
  outputs: OutputSpec[];
  inputs: InputSpec[];
  /** The old subtasks of this vertex holding what this subtask gains; it loads once they all acknowledged. */
  loadFrom: number[];
}
