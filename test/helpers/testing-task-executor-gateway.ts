/**
 * A TaskExecutorGateway for JobMaster tests (Flink's TestingTaskExecutorGateway):
 * records every command, hands it to the handler the test (or TestingCluster)
 * set, and reports `gone` once the TaskManager is disconnected or shut down.
 */
import type { ebbflow } from '../../proto/generated/rpc.js';
import type { SendResult, TaskExecutorGateway } from '../../rpc/index.js';

export interface TaskExecutorCommands {
  deploy: ebbflow.rpc.DeployTask.$Properties;
  cancel: string;
  triggerCheckpoint: ebbflow.rpc.TriggerCheckpoint.$Properties;
  notifyCheckpointComplete: number;
  prepareRescale: ebbflow.rpc.PrepareRescale.$Properties;
  rescaleStateReady: ebbflow.rpc.RescaleStateReady.$Properties;
  alignWatermarks: { group: string; maxAllowedWatermark: number; slowestExecutionId: string };
  heartbeat: number;
  release: string;
}

export type Command = { [M in keyof TaskExecutorCommands]: { method: M; arg: TaskExecutorCommands[M] } }[keyof TaskExecutorCommands];
export type CommandHandlers = { [M in keyof TaskExecutorCommands]?: (arg: TaskExecutorCommands[M]) => void };

export class TestingTaskExecutorGateway implements TaskExecutorGateway {
  /** Every command delivered, in order. */
  readonly calls: Command[] = [];
  /** Set when the connection is gone: commands are not delivered. */
  gone = false;

  constructor(readonly resourceId: string, public handlers: CommandHandlers = {}) {}

  /** The delivered commands of one kind. */
  sent<M extends keyof TaskExecutorCommands>(method: M): Array<TaskExecutorCommands[M]> {
    return this.calls.filter((c) => c.method === method).map((c) => c.arg as TaskExecutorCommands[M]);
  }

  private command<M extends keyof TaskExecutorCommands>(method: M, arg: TaskExecutorCommands[M]): SendResult {
    if (this.gone) return 'gone';
    this.calls.push({ method, arg } as Command);
    (this.handlers[method] as ((a: TaskExecutorCommands[M]) => void) | undefined)?.(arg);
    return 'sent';
  }

  deploy(task: ebbflow.rpc.DeployTask.$Properties): SendResult { return this.command('deploy', task); }
  cancel(executionId: string): SendResult { return this.command('cancel', executionId); }
  triggerCheckpoint(t: ebbflow.rpc.TriggerCheckpoint.$Properties): SendResult { return this.command('triggerCheckpoint', t); }
  notifyCheckpointComplete(checkpointId: number): SendResult { return this.command('notifyCheckpointComplete', checkpointId); }
  prepareRescale(p: ebbflow.rpc.PrepareRescale.$Properties): SendResult { return this.command('prepareRescale', p); }
  rescaleStateReady(r: ebbflow.rpc.RescaleStateReady.$Properties): SendResult { return this.command('rescaleStateReady', r); }
  alignWatermarks(group: string, maxAllowedWatermark: number, slowestExecutionId: string): SendResult { return this.command('alignWatermarks', { group, maxAllowedWatermark, slowestExecutionId }); }
  heartbeat(timestamp: number): SendResult { return this.command('heartbeat', timestamp); }
  release(reason: string): SendResult {
    const r = this.command('release', reason);
    this.gone = true;
    return r;
  }
  disconnect(): void { this.gone = true; }
}
