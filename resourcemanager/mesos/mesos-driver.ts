/**
 * The Mesos ResourceManager driver: TaskManagers as Mesos tasks of one
 * framework per job, through the v1 scheduler HTTP API. It plays the parts of
 * Flink's Mesos resource manager: the connection monitor (SchedulerClient),
 * the launch coordinator (offers → ACCEPT/DECLINE, SUPPRESS/REVIVE), the task
 * monitor (every task state, acknowledgements, kills until terminal), the
 * reconciliation coordinator (explicit, with backoff, after every SUBSCRIBED)
 * and the worker store (goal states in Redis, written before acting).
 *
 * After a job-process failover it keeps the earlier job process's launched tasks: they are tracked
 * like its own (reconciled, counted per agent, killed at the job's end), their TaskManagers
 * re-register with the new JobMaster (`adoptWorker`), and those the ResourceManager gives up on are
 * released (killed) like any other.
 *
 * Nothing here blocks the JobMaster: requestWorker enqueues and returns; the
 * task's fate arrives later as onWorkerStarted / onWorkerTerminated.
 */
import { randomBytes } from 'node:crypto';
import type { DriverEventHandler, ResourceManagerDriver, WorkerSpec } from '../driver.js';
import { MesosFrameworkFailedOverError } from './errors.js';
import { matchOffers } from './launch-coordinator.js';
import type { MesosDriverOptions } from './mesos-driver-options.js';
import { OfferFlow } from './offer-flow.js';
import { Reconciler } from './reconciler.js';
import { SchedulerClient } from './scheduler-client.js';
import { taskManagerTaskInfo } from './task-info.js';
import { taskAction } from './task-monitor.js';
import type { Event, Offer, TaskState, TaskStatus } from './types.js';
import type { StoredWorker } from './worker-store.js';
import { WorkerStoreWrites } from './worker-store-writes.js';

interface Worker extends StoredWorker {
  spec?: WorkerSpec;
  state?: TaskState;
  /** Launches repeated after TASK_DROPPED. */
  relaunches?: number;
  /**
   * The ACCEPT carrying this task was answered. Until then the master may not know the task yet
   * (calls travel on separate connections, so a RECONCILE can overtake the ACCEPT), so it is not reconciled.
   */
  accepted?: boolean;
}

/** A TASK_DROPPED launch is retried this many times before it counts as a lost worker. */
const MAX_RELAUNCHES = 3;

export class MesosDriver implements ResourceManagerDriver {
  readonly name = 'mesos';
  private handler!: DriverEventHandler;
  private client!: SchedulerClient;
  private readonly workers = new Map<string, Worker>();
  /** Tasks of an earlier job process (by task id), being killed. */
  private readonly orphans = new Map<string, Worker>();
  private readonly pending: string[] = [];
  private flow!: OfferFlow;
  private terminating = false;
  private lastProblem = '';
  private unfit: string[] = [];
  private reconciler!: Reconciler;
  private killTimer: NodeJS.Timeout | undefined;
  private readonly goneWaiters = new Set<() => void>();
  readonly stats = { launched: 0, relaunched: 0, killsSent: 0, acknowledged: 0 };
  /** RECONCILE calls sent (explicit, implicit, staging). */
  get reconcileCalls(): number { return this.reconciler?.sent ?? 0; }

  /** Every store write after initialize: retried, or logged with the key it lost. */
  private readonly writes: WorkerStoreWrites;

  constructor(private readonly o: MesosDriverOptions) {
    this.writes = new WorkerStoreWrites(o.store, o.logger, o.storeWriteDeadlineMs);
  }

  async initialize(handler: DriverEventHandler): Promise<void> {
    this.handler = handler;
    const frameworkId = await this.o.store.frameworkId();
    // New workers were only requests of the previous job process. Its launched tasks run TaskManagers
    // that wait for this job process's JobMaster (taskmanager.registration.timeout): they are kept and
    // reconciled like our own, and adopted when their TaskManager re-registers; those it was releasing
    // are killed.
    for (const w of await this.o.store.workers()) {
      if (w.goal === 'New') { await this.o.store.remove(w.taskId); continue; }
      if (w.goal === 'Launched' && !this.workers.has(w.resourceId)) {
        this.workers.set(w.resourceId, { ...w, accepted: true });
        continue;
      }
      const orphan: Worker = { ...w, goal: 'Released' };
      this.orphans.set(w.taskId, orphan);
      await this.o.store.put(orphan);
    }
    this.client = new SchedulerClient({
      masters: this.o.masters, contentType: this.o.contentType, frameworkId, principal: this.o.framework.principal, secret: this.o.secret,
      heartbeatMisses: this.o.heartbeatMisses, backoffInitialMs: this.o.backoffInitialMs, backoffMaxMs: this.o.backoffMaxMs, logger: this.o.logger,
      frameworkInfo: this.o.framework,
    });
    this.client.on('subscribed', (id) => void this.onSubscribed(id));
    this.client.on('event', (ev) => void this.onEvent(ev).catch((err) => this.o.logger.error({ err }, 'handling a Mesos event failed')));
    this.client.on('disconnected', (reason) => { this.lastProblem = reason; });
    this.client.on('removed', (message) => this.onFrameworkRemoved(message));
    this.client.on('failedOver', (message) => this.handler.onError(new MesosFrameworkFailedOverError(message)));
    this.flow = new OfferFlow(this.client, this.o.framework.roles?.[0] ?? '*', this.o.logger);
    this.reconciler = new Reconciler(this.client, this.o.logger, this.o.implicitReconcileMs ?? 900_000);
    this.killTimer = setInterval(() => this.resendKills(), this.o.killRetryMs ?? 5000);
    this.client.start();
  }

  get frameworkId(): string | undefined { return this.client?.frameworkId; }
  get schedulerClient(): SchedulerClient { return this.client; }

  describe(): string {
    const waiting = this.pending.length;
    if (!this.client.connected) return `Mesos: not subscribed to ${this.o.masters.join(', ')}${this.lastProblem ? ` (${this.lastProblem})` : ''}; check mesos.master`;
    const unfit = this.unfit.length
      ? `; offers that did not fit: ${this.unfit.slice(0, 3).join('; ')} (a TaskManager's size is mesos.resourcemanager.tasks.cpus, .mem and .disk; where it may run, mesos.constraints.hard.hostattribute)`
      : '';
    return `Mesos: framework ${this.client.frameworkId}, ${waiting} TaskManager request(s) waiting for offers${unfit}`;
  }

  /** A TaskManager of a task the earlier job process launched re-registered: it is ours now (already tracked since initialize). */
  adoptWorker(resourceId: string, pid: number): void {
    const w = this.workers.get(resourceId);
    if (w) this.o.logger.info({ resourceId, taskId: w.taskId, agent: w.hostname, pid }, 'took over a TaskManager task of the earlier job process');
  }

  requestWorker(spec: WorkerSpec): void {
    const earlier = this.workers.get(spec.resourceId);
    if (earlier && !earlier.spec && earlier.goal === 'Launched') {
      // A task of the earlier job process under the same id, not taken over: it must not run beside the new one.
      this.workers.delete(spec.resourceId);
      const orphan: Worker = { ...earlier, goal: 'Released' };
      this.orphans.set(orphan.taskId, orphan);
      void this.writes.put(stored(orphan));
      this.kill(orphan);
    }
    const w: Worker = { resourceId: spec.resourceId, taskId: `${spec.resourceId}-${randomBytes(3).toString('hex')}`, goal: 'New', spec };
    this.workers.set(spec.resourceId, w);
    // Written before acting: a request whose record is lost (logged with its key) is not launched.
    void this.writes.put(stored(w)).then((written) => {
      if (!written || this.workers.get(spec.resourceId) !== w || w.goal !== 'New') return;
      this.pending.push(spec.resourceId);
      this.syncOfferFlow();
    });
  }

  private syncOfferFlow(): void {
    this.flow.sync(() => this.pending.length > 0 && !this.terminating);
  }

  private async onSubscribed(frameworkId: string): Promise<void> {
    // A new subscription starts unsuppressed; offers of the old one are gone. Done before anything is
    // awaited: the events of the new subscription (OFFERS right behind SUBSCRIBED) are handled in
    // order behind it, and a SUPPRESS they lead to is not forgotten by a reset coming after it.
    this.flow.resubscribed();
    this.syncOfferFlow();
    await this.writes.setFrameworkId(frameworkId);
    this.lastProblem = '';
    const tasks = [...this.workers.values()].filter((w) => w.goal === 'Released' || (w.goal === 'Launched' && w.accepted));
    this.reconciler.subscribed([...tasks, ...this.orphans.values()].map((w) => ({ taskId: w.taskId, agentId: w.agentId })));
  }

  private onFrameworkRemoved(message: string): void {
    // Every task of the old framework is gone with it.
    void this.writes.setFrameworkId(undefined);
    for (const w of [...this.workers.values()]) {
      if (w.goal === 'New') continue;
      this.finish(w, w.goal === 'Released' ? undefined : `the Mesos framework was removed (${message})`);
    }
  }

  private async onEvent(ev: Event): Promise<void> {
    switch (ev.type) {
      case 'OFFERS': { const offers = ev.offers.offers ?? []; await this.flow.inOrder(() => this.onOffers(offers)); return; }
      case 'UPDATE': await this.onUpdate(ev.update.status); return;
      case 'RESCIND': return; // offers are used or declined as they arrive; none is held
      case 'FAILURE': this.o.logger.warn({ failure: ev.failure }, 'Mesos reports an agent or executor failure'); return;
      case 'INVERSE_OFFERS':
        await this.client.call({ type: 'DECLINE_INVERSE_OFFERS', decline_inverse_offers: { inverse_offer_ids: (ev.inverse_offers.inverse_offers ?? []).map((x) => x.id) } })
          // Nothing is lost: an inverse offer not declined stays outstanding and the master sends it again.
          .catch((err) => this.o.logger.warn({ err: err.message }, 'DECLINE_INVERSE_OFFERS failed; the master offers them again'));
        return;
      default: return;
    }
  }

  private async onOffers(offers: Offer[]): Promise<void> {
    const requests = this.pending.map((resourceId) => ({ resourceId }));
    if (this.terminating || !requests.length) {
      await this.flow.declineIdle(offers.map((x) => x.id.value));
      this.syncOfferFlow();
      return;
    }
    const running = new Map<string, number>();
    for (const w of this.workers.values()) if (w.goal === 'Launched' && w.agentId) running.set(w.agentId, (running.get(w.agentId) ?? 0) + 1);
    const m = matchOffers(offers, requests, this.o.need, this.o.constraints, this.o.fitness, running);
    if (m.unfit.length && m.unfit.join('|') !== this.unfit.join('|')) this.o.logger.warn({ unfit: m.unfit }, 'Mesos offers did not fit a TaskManager; requests keep waiting');
    this.unfit = m.unfit;
    for (const launch of m.launches) {
      const placed = launch.placements.map((p) => ({ w: this.workers.get(p.resourceId)!, port: p.port }));
      for (const { w, port } of placed) {
        this.pending.splice(this.pending.indexOf(w.resourceId), 1);
        Object.assign(w, { goal: 'Launched', agentId: launch.agentId, hostname: launch.hostname, port, state: undefined, accepted: false });
      }
      const infos = placed.map(({ w, port }) => taskManagerTaskInfo(w.spec!, w.taskId, launch.agentId, launch.hostname, port, launch.offered, { ...this.o.launch, need: this.o.need }));
      try {
        const written = await Promise.all(placed.map(({ w }) => this.writes.put(stored(w))));
        if (!written.every(Boolean)) throw new Error('the launched goal state of a task could not be recorded in Redis (logged above with its key)');
        await this.client.call({ type: 'ACCEPT', accept: { offer_ids: launch.offerIds.map((value) => ({ value })), operations: [{ type: 'LAUNCH', launch: { task_infos: infos } }], filters: { refuse_seconds: this.o.declineRefuseSeconds } } });
        for (const { w } of placed) { w.accepted = true; this.watchStaging(w); }
        this.stats.launched += infos.length;
        this.o.logger.info({ agent: launch.hostname, tasks: infos.map((t) => t.task_id.value) }, 'launching TaskManagers on Mesos');
      } catch (err) {
        this.o.logger.warn({ err: (err as Error).message }, 'ACCEPT failed; the requests wait for new offers');
        for (const { w } of placed) {
          if (w.goal !== 'Launched') continue;
          Object.assign(w, { goal: 'New', agentId: undefined, hostname: undefined, port: undefined });
          this.pending.unshift(w.resourceId);
          void this.writes.put(stored(w));
        }
      }
    }
    await (this.pending.length ? this.flow.decline(m.declined, this.o.declineRefuseSeconds) : this.flow.declineIdle(m.declined));
    this.syncOfferFlow();
  }

  /** Flink's launch timeout: a task that stays silent after its ACCEPT is reconciled; Mesos answers for it. */
  private watchStaging(w: Worker): void {
    const taskId = w.taskId;
    setTimeout(() => {
      if (this.terminating || this.workers.get(w.resourceId) !== w || w.taskId !== taskId || w.goal !== 'Launched') return;
      if (w.state !== undefined && w.state !== 'TASK_STAGING') return;
      this.o.logger.warn({ taskId }, 'no status update for a launched TaskManager task; reconciling it');
      this.reconciler.one({ taskId, agentId: w.agentId });
    }, this.o.stagingTimeoutMs ?? 30_000).unref();
  }

  private byTask(taskId: string): Worker | undefined {
    for (const w of this.workers.values()) if (w.taskId === taskId) return w;
    return undefined;
  }

  /** The task monitor: every state, for tasks we know and tasks we do not. Acknowledges after handling. */
  private async onUpdate(s: TaskStatus): Promise<void> {
    const taskId = s.task_id.value;
    this.reconciler.answered(taskId);
    const orphan = this.orphans.get(taskId);
    const w = orphan ?? this.byTask(taskId);
    if (w) w.state = s.state;
    const action = taskAction(orphan ? 'Released' : w?.goal, s.state, !!w?.spec && (w.relaunches ?? 0) < MAX_RELAUNCHES);
    switch (action) {
      case 'progress': break;
      case 'started': this.handler.onWorkerStarted?.(w!.resourceId); break;
      // An earlier attempt, a task that came back, or one we released: it must not run.
      case 'kill': this.kill(w ?? { taskId, agentId: s.agent_id?.value }); break;
      case 'forget':
        if (orphan) {
          this.orphans.delete(taskId);
          void this.writes.remove(taskId);
          for (const wake of this.goneWaiters) wake();
        } else this.finish(w!, undefined);
        break;
      case 'relaunch': await this.relaunch(w!, s.message); break;
      case 'lost': case 'lost-and-kill': {
        // The JobMaster learns it lost a TaskManager (its failover follows); the task must stay gone.
        const cause = `TaskManager ${w!.resourceId} (Mesos task ${taskId} on ${w!.hostname ?? 'an agent'}) is ${s.state}${s.reason ? ` (${s.reason})` : ''}${s.message ? `: ${s.message}` : ''}`;
        if (action === 'lost-and-kill') this.kill(w!);
        this.finish(w!, cause);
        break;
      }
    }
    if (s.uuid && s.agent_id) {
      await this.client.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: s.agent_id, task_id: s.task_id, uuid: s.uuid } })
        .then(() => { this.stats.acknowledged++; }, (err) => this.o.logger.warn({ err: err.message, taskId }, 'ACKNOWLEDGE failed; Mesos will resend the update'));
    }
  }

  /** A transient launch failure (the offer became invalid, the agent went away): launch the worker again under a new task id. */
  private async relaunch(w: Worker, message: string | undefined): Promise<void> {
    this.o.logger.warn({ resourceId: w.resourceId, taskId: w.taskId, message }, 'TaskManager task dropped at launch; relaunching');
    Object.assign(w, { goal: 'New', taskId: `${w.resourceId}-${randomBytes(3).toString('hex')}`, agentId: undefined, hostname: undefined, port: undefined, state: undefined, relaunches: (w.relaunches ?? 0) + 1 });
    this.stats.relaunched++;
    await this.writes.put(stored(w));
    if (this.workers.get(w.resourceId) === w && w.goal === 'New') { this.pending.unshift(w.resourceId); this.syncOfferFlow(); }
  }

  /** A worker is gone for good: forget it; report it when it was not released. */
  private finish(w: Worker, unexpectedCause: string | undefined): void {
    if (this.workers.get(w.resourceId) !== w) return;
    this.workers.delete(w.resourceId);
    const i = this.pending.indexOf(w.resourceId);
    if (i >= 0) this.pending.splice(i, 1);
    void this.writes.remove(w.taskId);
    for (const wake of this.goneWaiters) wake();
    if (unexpectedCause) {
      this.o.logger.warn({ resourceId: w.resourceId, cause: unexpectedCause }, 'TaskManager task ended');
      this.handler.onWorkerTerminated(w.resourceId, unexpectedCause);
    }
  }

  private kill(w: Pick<Worker, 'taskId' | 'agentId'>): void {
    if (!this.client.connected) return; // resent after reconciliation
    this.stats.killsSent++;
    void this.client.call({ type: 'KILL', kill: { task_id: { value: w.taskId }, ...(w.agentId ? { agent_id: { value: w.agentId } } : {}) } })
      .catch((err) => this.o.logger.warn({ err: err.message, taskId: w.taskId }, 'KILL failed; it is resent'));
  }

  private resendKills(): void {
    for (const w of [...this.workers.values(), ...this.orphans.values()]) if (w.goal === 'Released' && w.state !== undefined && w.state !== 'TASK_KILLING') this.kill(w);
  }

  async releaseWorker(resourceId: string): Promise<void> {
    const w = this.workers.get(resourceId);
    if (!w) return;
    if (w.goal === 'New') { this.finish(w, undefined); this.syncOfferFlow(); return; }
    w.goal = 'Released';
    await this.writes.put(stored(w));
    this.kill(w);
    await this.waitGone([resourceId], 10_000);
  }

  private waitGone(ids: string[], timeoutMs: number, orphans = false): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (ids.every((id) => !this.workers.has(id)) && (!orphans || !this.orphans.size)) { done(); }
      };
      const done = () => { clearTimeout(timer); this.goneWaiters.delete(check); resolve(); };
      const timer = setTimeout(done, timeoutMs);
      this.goneWaiters.add(check);
      check();
    });
  }

  /** Stops talking to Mesos without touching any task, as a dying job process would (tests). */
  abandon(): void {
    this.terminating = true;
    clearInterval(this.killTimer);
    this.reconciler.stop();
    this.client.stop();
  }

  /** The job is over: kill every task, wait for them, tear the framework down and forget it. */
  async terminate(): Promise<void> {
    this.terminating = true;
    const released: Worker[] = [];
    for (const w of [...this.workers.values()]) {
      if (w.goal === 'New') { this.finish(w, undefined); continue; }
      w.goal = 'Released';
      released.push(w);
    }
    // Written before acting, all at once: a Redis outage delays the job's end by one write deadline, not one per task.
    await Promise.all(released.map((w) => this.writes.put(stored(w))));
    for (const w of released) this.kill(w);
    const launched = released.map((w) => w.resourceId);
    for (const o of this.orphans.values()) this.kill(o);
    if ((launched.length || this.orphans.size) && this.client.connected) await this.waitGone(launched, 15_000, true);
    clearInterval(this.killTimer);
    this.reconciler.stop();
    if (this.client.connected) {
      await this.client.call({ type: 'TEARDOWN' }).then(
        () => this.o.logger.info({ frameworkId: this.client.frameworkId }, 'Mesos framework torn down'),
        (err) => this.o.logger.warn({ err: err.message }, 'TEARDOWN failed; Mesos removes the framework after its failover timeout (mesos.failover-timeout)'),
      );
    } else if (this.client.frameworkId) {
      this.o.logger.warn({ frameworkId: this.client.frameworkId }, 'not subscribed at job end: Mesos removes the framework after its failover timeout (mesos.failover-timeout)');
    }
    this.client.stop();
    await this.writes.clear();
  }
}

function stored(w: Worker): StoredWorker {
  const { spec: _spec, state: _state, relaunches: _r, accepted: _a, ...rest } = w;
  return rest;
}
