/**
 * In-memory TaskManagers for JobMaster tests: an endpoint that registers them
 * with the JobMaster's pool, each with a TestingTaskExecutorGateway (what the
 * JobMaster sends it) and a JobMasterGateway (what it reports, delivered on a
 * later macrotask, in order, as over a socket).
 */
import type { RegisteredTaskManager, RegistrationAnswer, TaskManagerPool } from '../../jobmaster/task-manager-pool.js';
import type { TaskManagerEndpoint } from '../../jobmaster/task-manager-endpoint.js';
import { EnvelopeJobMasterGateway, type EnvelopeProps, type SendResult, type TaskManagerMessage } from '../../rpc/index.js';
import { TestingTaskExecutorGateway } from './testing-task-executor-gateway.js';

/** Reports of one testing TaskManager, straight into the pool. */
class InProcessJobMasterGateway extends EnvelopeJobMasterGateway {
  constructor(private readonly tm: TestingTaskManager) { super(); }

  protected post(msg: EnvelopeProps): SendResult {
    const { tm } = this;
    if (tm.gateway.gone) return 'gone';
    const kind = Object.keys(msg).find((k) => k !== 'fencingToken' && (msg as Record<string, unknown>)[k] != null)!;
    setImmediate(() => {
      // Registered by now (a report may be sent while the registration is still being handled).
      const registered = tm.registered;
      if (!registered) return;
      if (kind === 'heartbeat') tm.pool.heartbeatFrom(registered);
      else tm.pool.deliver(registered, { msg: kind, [kind]: (msg as Record<string, unknown>)[kind] } as TaskManagerMessage);
    });
    return 'sent';
  }
}

export class TestingTaskManager {
  readonly gateway: TestingTaskExecutorGateway;
  readonly jobMaster: EnvelopeJobMasterGateway;
  registered: RegisteredTaskManager | undefined;
  answer: RegistrationAnswer | undefined;

  constructor(readonly resourceId: string, readonly slots: number, readonly pool: TaskManagerPool) {
    this.gateway = new TestingTaskExecutorGateway(resourceId);
    this.jobMaster = new InProcessJobMasterGateway(this);
  }

  /** The connection closes (the process died): the pool reports the TaskManager lost. */
  disconnect(): void {
    this.gateway.gone = true;
    if (this.registered) this.pool.disconnected(this.registered);
  }
}

export class TestingTaskManagerEndpoint implements TaskManagerEndpoint {
  pool: TaskManagerPool | undefined;
  readonly taskManagers = new Map<string, TestingTaskManager>();
  closed = false;

  async listen(pool: TaskManagerPool): Promise<string> {
    this.pool = pool;
    return 'testing-endpoint:1';
  }

  close(): void { this.closed = true; }

  /** A TaskManager registers (before the returned one's handlers are set, its commands go nowhere). */
  register(resourceId: string, opts: { slots?: number; jobId?: string; pid?: number; configure?: (tm: TestingTaskManager) => void } = {}): TestingTaskManager {
    if (!this.pool) throw new Error('the JobMaster is not listening yet');
    const tm = new TestingTaskManager(resourceId, opts.slots ?? 1, this.pool);
    opts.configure?.(tm);
    const previous = this.taskManagers.get(resourceId);
    this.taskManagers.set(resourceId, tm);
    tm.registered = this.pool.register(
      { resourceId, jobId: opts.jobId ?? '', slots: tm.slots, pid: opts.pid ?? 4242, dataHost: '127.0.0.1', dataPort: 1 },
      tm.gateway,
      (answer) => { tm.answer = answer; },
    );
    // A refused second registration of a registered id leaves the registered one in place (here too).
    if (!tm.registered && previous?.registered) this.taskManagers.set(resourceId, previous);
    return tm;
  }
}
