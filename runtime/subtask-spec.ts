/** What a TaskManager needs to run one subtask (decoded from a DeployTask). */
export interface SubtaskLocation { subtaskIndex: number; resourceId: string; dataHost: string; dataPort: number }
export interface OutputSpec { edgeId: string; targetVertexId: string; partitioning: 'FORWARD' | 'HASH' | 'REBALANCE'; consumers: SubtaskLocation[] }
export interface InputSpec { edgeId: string; sourceVertexId: string; producerCount: number }

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
  /** Sinks hold output until checkpoints complete. */
  checkpointing: boolean;
  /** Checkpoint/savepoint directory to restore from, or '' for fresh state. */
  restorePath: string;
}
