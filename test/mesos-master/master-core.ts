/**
 * The protocol core of the test Mesos master (test hooks and state views are
 * in master.ts). A protocol-faithful test double of a Mesos master (v1 scheduler HTTP API):
 * the only test double ebbflow allows for an external system. It speaks both
 * encodings, checks requests in the real master's order (leader → method →
 * Content-Type → body → call validation → Accept → stream id → framework),
 * streams RecordIO events (SUBSCRIBED, an immediate HEARTBEAT, then one per
 * interval), keeps framework state (ids `<master>-NNNN`, failover timer,
 * removal), makes offers from simulated agents that launch real processes,
 * delivers reliable task updates one at a time until acknowledged, answers
 * reconciliation, and records every request a real master would reject as a
 * protocol violation (and races, such as an ACCEPT of a just-withdrawn offer,
 * separately). Test hooks drop subscriptions, remove agents, crash tasks and
 * withdraw offers.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallType, decodeMessage, encodeMessage, EventType, JSON_TYPE, PROTOBUF_TYPE, type ContentType } from '../../resourcemanager/mesos/codec.js';
import { encodeRecord } from '../../resourcemanager/mesos/recordio.js';
import { TERMINAL_STATES, type Call, type Event, type TaskState } from '../../resourcemanager/mesos/types.js';
import { SimAgent, type AgentSpec } from './agent.js';
import { agentStatus, killingStateCapable, newFramework, type FrameworkRecord, type TaskRecord } from './framework.js';
import { Offers } from './offers.js';
import { negotiate, reconciliationAnswers, validateCall } from './request-checks.js';

export interface TestMasterOptions {
  host?: string;
  port?: number;
  masterId?: string;
  agents?: AgentSpec[];
  sandboxRoot: string;
  /** Reported in SUBSCRIBED and used. @default 15 */
  heartbeatIntervalSeconds?: number;
  /** @default 1000 */
  allocationIntervalMs?: number;
  /** First resend of an unacknowledged update (doubles each time). @default 10000 */
  updateRetryMs?: number;
  /** When set, this master is not the leader and redirects every scheduler call to this `host:port`. */
  leader?: string;
}

/** Called right after offers went out (tests rescind or withdraw them before the scheduler answers). */
export type AfterOffers = (frameworkId: string, offerIds: string[]) => void;

/** Called right after an accepted call took effect, before the scheduler can read the answer (tests act between a call and its answer). */
export type AfterCall = (frameworkId: string, call: Call) => void;

export class MasterCore {
  readonly masterId: string;
  readonly agents: SimAgent[] = [];
  protected readonly fw = new Map<string, FrameworkRecord>();
  protected readonly completed = new Set<string>();
  protected readonly offers: Offers;
  private server: Server | undefined;
  private allocTimer: NodeJS.Timeout | undefined;
  private nextFramework = 0;
  private nextAgent = 0;
  url = '';
  leader: string | undefined;
  afterOffers: AfterOffers | undefined;
  afterCall: AfterCall | undefined;
  protected launchesToLose = 0;
  readonly counters: Record<string, number> = { subscribes: 0, launches: 0, kills: 0, offers: 0, accepts: 0, declines: 0, rescinds: 0, revives: 0, suppresses: 0, acknowledgements: 0, reconciles: 0, teardowns: 0, redirects: 0, updatesSent: 0 };
  /** Requests a real master would reject, and tasks it would refuse, that a correct scheduler never sends. */
  readonly violations: string[] = [];
  /** Rejections a correct scheduler can meet through timing (stale stream id, withdrawn offer). */
  readonly races: string[] = [];

  constructor(private readonly opts: TestMasterOptions) {
    this.masterId = opts.masterId ?? randomUUID();
    this.leader = opts.leader;
    this.offers = new Offers({
      masterId: this.masterId, agents: this.agents, counters: this.counters,
      frameworks: () => this.fw.values(),
      sendEvent: (f, ev) => this.send(f, ev as Event),
      sendStatus: (f, st) => this.send(f, { type: 'UPDATE', update: { status: st } }),
      violation: (t) => this.violations.push(t),
      race: (t) => this.races.push(t),
      launchTask: (f, task, agent) => {
        if (this.launchesToLose > 0) { this.launchesToLose--; f.tasks.delete(task.info.task_id.value); return; }
        this.counters.launches++;
        agent.launch(f.id, task.info);
      },
      afterOffers: (fid, ids) => this.afterOffers?.(fid, ids),
    });
    for (const spec of opts.agents ?? [{}]) this.addAgent(spec);
  }

  addAgent(spec: AgentSpec): SimAgent {
    const id = `${this.masterId}-S${this.nextAgent++}`;
    const agent = new SimAgent(id, spec, this.opts.sandboxRoot, (taskId, state, extra) => this.onAgentUpdate(id, taskId, state, extra));
    this.agents.push(agent);
    return agent;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res).catch((err) => {
      if (!res.headersSent) this.reply(res, 500, `internal error: ${(err as Error).message}`);
    }));
    await new Promise<void>((resolve) => this.server!.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', resolve));
    const a = this.server.address() as AddressInfo;
    this.url = `http://${a.address}:${a.port}`;
    this.allocTimer = setInterval(() => this.offers.allocate(), this.opts.allocationIntervalMs ?? 1000);
    return this.url;
  }

  async stop(): Promise<void> {
    clearInterval(this.allocTimer);
    for (const f of this.fw.values()) {
      clearInterval(f.heartbeat);
      clearTimeout(f.failoverTimer);
      for (const t of f.tasks.values()) clearTimeout(t.retryTimer);
      f.stream?.destroy();
    }
    await Promise.all(this.agents.map((a) => a.stopAll()));
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  // ---------- HTTP ----------

  private reply(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    res.end(text);
  }

  private reject(res: ServerResponse, status: number, text: string, race = false): void {
    (race ? this.races : this.violations).push(`${status} ${text}`);
    this.reply(res, status, text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/master/state' || path === '/state') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(this.state()));
      return;
    }
    if (path !== '/api/v1/scheduler') { this.reply(res, 404, 'Not found'); return; }
    if (this.leader) {
      this.counters.redirects++;
      this.reply(res, 307, '', { Location: `//${this.leader}/api/v1/scheduler` });
      req.resume();
      return;
    }
    if (req.method !== 'POST') { this.reject(res, 405, `Expecting one of { 'POST' }, but received '${req.method}'`); return; }
    const ct = req.headers['content-type'];
    if (ct === undefined) { this.reject(res, 400, 'Expecting \'Content-Type\' to be present'); return; }
    if (ct !== JSON_TYPE && ct !== PROTOBUF_TYPE) { this.reject(res, 415, `Expecting 'Content-Type' of application/json or application/x-protobuf`); return; }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let call: Call;
    try {
      call = decodeMessage<Call>(CallType, Buffer.concat(chunks), ct);
    } catch (err) {
      this.reject(res, 400, ct === JSON_TYPE ? `Failed to convert JSON into Call protobuf: ${(err as Error).message}` : `Failed to parse body into Call protobuf: ${(err as Error).message}`);
      return;
    }
    const invalid = validateCall(call);
    if (invalid) { this.reject(res, 400, `Failed to validate scheduler::Call: ${invalid}`); return; }
    if (call.type === 'SUBSCRIBE') { this.subscribe(req, res, call); return; }
    const f = this.fw.get(call.framework_id!.value);
    if (!f || f.removed) { this.reject(res, 400, 'Framework cannot be found', this.completed.has(call.framework_id!.value)); return; }
    if (!f.stream) { this.reject(res, 403, 'Framework is not subscribed', true); return; }
    const sid = req.headers['mesos-stream-id'];
    if (sid === undefined) { this.reject(res, 400, 'All non-subscribe calls should include the \'Mesos-Stream-Id\' header'); return; }
    if (sid !== f.streamId) { this.reject(res, 400, `The stream ID '${String(sid)}' included in this request didn't match the stream ID currently associated with framework ID ${f.id}`, true); return; }
    if (call.type === 'UNKNOWN') { this.reply(res, 501, 'Received an unexpected UNKNOWN call'); return; }
    this.reply(res, call.type === 'UPDATE_FRAMEWORK' ? 200 : 202, '');
    this.dispatch(f, call);
    this.afterCall?.(f.id, call);
  }

  // ---------- subscription ----------

  private subscribe(req: IncomingMessage, res: ServerResponse, call: Call): void {
    const ct = negotiate(req.headers.accept);
    if (!ct) { this.reject(res, 406, `Expecting 'Accept' to allow application/json or application/x-protobuf`); return; }
    if (req.headers['mesos-stream-id'] !== undefined) { this.reject(res, 400, 'Subscribe calls should not include the \'Mesos-Stream-Id\' header'); return; }
    const streamId = randomUUID();
    res.writeHead(200, { 'Content-Type': ct, 'Mesos-Stream-Id': streamId });
    res.flushHeaders();
    this.counters.subscribes++;
    const info = call.subscribe!.framework_info;
    const refuse = (message: string) => { res.write(encodeRecord(encodeMessage(EventType, { type: 'ERROR', error: { message } }, ct))); res.end(); };
    if (info.roles?.length && info.role !== undefined) { refuse('Frameworks may not set both role and roles'); return; }
    if (info.failover_timeout !== undefined && !(info.failover_timeout >= 0)) { refuse('Invalid failover_timeout'); return; }
    let f: FrameworkRecord;
    const wanted = info.id?.value;
    if (wanted) {
      if (this.completed.has(wanted)) { refuse('Framework has been removed'); return; }
      const known = this.fw.get(wanted);
      if (known) {
        if ((known.info.principal ?? '') !== (info.principal ?? '')) { refuse("Changing framework's principal is not allowed."); return; }
        f = known;
        f.info = { ...info, user: known.info.user, checkpoint: known.info.checkpoint };
        clearTimeout(f.failoverTimer);
        if (f.stream) {
          const old = f.stream;
          this.sendOn(old, f.contentType as ContentType, { type: 'ERROR', error: { message: 'Framework failed over' } });
          this.detach(f, false);
          old.end();
        }
        this.offers.drop(f); // outstanding offers are discarded without RESCIND
      } else {
        f = newFramework(wanted, info); // unknown id (after a master failover): accepted as is
        this.fw.set(wanted, f);
      }
    } else {
      const id = `${this.masterId}-${String(this.nextFramework++).padStart(4, '0')}`;
      f = newFramework(id, { ...info, id: { value: id } });
      this.fw.set(id, f);
    }
    f.stream = res;
    f.streamId = streamId;
    f.contentType = ct;
    f.suppressed = false;
    for (const r of call.subscribe!.suppressed_roles ?? []) if (r) f.suppressed = true;
    const hb = this.opts.heartbeatIntervalSeconds ?? 15;
    this.send(f, { type: 'SUBSCRIBED', subscribed: { framework_id: { value: f.id }, heartbeat_interval_seconds: hb, master_info: { id: this.masterId, ip: 16777343, port: Number(new URL(this.url).port), hostname: '127.0.0.1', version: '1.11.0-ebbflow-test' } } });
    this.send(f, { type: 'HEARTBEAT' });
    f.heartbeat = setInterval(() => this.send(f, { type: 'HEARTBEAT' }), hb * 1000);
    const stream = res;
    res.on('close', () => { if (f.stream === stream) this.detach(f, true); });
    // Agents resend unacknowledged updates at once on re-subscription.
    for (const t of f.tasks.values()) if (t.inflight) this.deliver(f, t, false); else this.pump(f, t);
    this.allocateSoon();
  }

  /**
   * The allocator does not wait for its next interval when a framework (re)subscribes or revives
   * (Mesos' activateFramework and reviveOffers call generateOffers): offers follow right behind.
   */
  private allocateSoon(): void {
    setImmediate(() => { if (this.server?.listening) this.offers.allocate(); });
  }

  /**
   * The stream is gone: the framework is disconnected, its offers go back, the failover timer starts,
   * and (as the allocator deactivates it) its refuse filters are dropped. A failover on a new stream
   * while the old one is still open (`startFailover` false) keeps them, as Mesos does.
   */
  protected detach(f: FrameworkRecord, startFailover: boolean): void {
    clearInterval(f.heartbeat);
    f.stream = undefined;
    f.streamId = undefined;
    this.offers.drop(f);
    if (!startFailover || f.removed) return;
    f.filters = [];
    const timeoutMs = (f.info.failover_timeout ?? 0) * 1000;
    clearTimeout(f.failoverTimer);
    f.failoverTimer = setTimeout(() => this.removeFramework(f), timeoutMs);
  }

  private sendOn(res: ServerResponse, ct: ContentType, ev: Event): void {
    if (!res.writableEnded && !res.destroyed) res.write(encodeRecord(encodeMessage(EventType, ev, ct)));
  }

  protected send(f: FrameworkRecord, ev: Event): void {
    if (f.stream) this.sendOn(f.stream, f.contentType as ContentType, ev);
  }

  // ---------- calls ----------

  private dispatch(f: FrameworkRecord, call: Call): void {
    switch (call.type) {
      case 'TEARDOWN': this.counters.teardowns++; this.removeFramework(f); return;
      case 'ACCEPT': this.counters.accepts++; this.offers.accept(f, call.accept!); return;
      case 'DECLINE': this.counters.declines++; this.offers.decline(f, call.decline!); return;
      case 'REVIVE': this.counters.revives++; f.suppressed = false; f.filters = []; this.allocateSoon(); return;
      case 'SUPPRESS': this.counters.suppresses++; f.suppressed = true; return;
      case 'KILL': this.kill(f, call.kill!); return;
      case 'ACKNOWLEDGE': this.acknowledge(f, call.acknowledge!); return;
      case 'RECONCILE': this.reconcile(f, call.reconcile!.tasks ?? []); return;
      case 'UPDATE_FRAMEWORK': f.info = { ...call.update_framework!.framework_info, user: f.info.user, checkpoint: f.info.checkpoint }; return;
      default: return; // SHUTDOWN, MESSAGE, REQUEST, inverse offers, operations: accepted and ignored
    }
  }

  private kill(f: FrameworkRecord, k: NonNullable<Call['kill']>): void {
    this.counters.kills++;
    const t = f.tasks.get(k.task_id.value);
    if (!t || t.terminal) { this.reconcile(f, [{ task_id: k.task_id, agent_id: k.agent_id }]); return; }
    if (k.agent_id && k.agent_id.value !== t.agentId) return; // not the task's agent: ignored
    const agent = this.agents.find((a) => a.id === t.agentId);
    if (!agent?.active) return; // remembered by a real master until the agent returns
    const graceNs = k.kill_policy?.grace_period?.nanoseconds ?? t.info.kill_policy?.grace_period?.nanoseconds ?? 3e9;
    if (agent.kill(t.info.task_id.value, Number(graceNs) / 1e6) && killingStateCapable(f) && !TERMINAL_STATES.has(t.state)) this.onAgentUpdate(agent.id, t.info.task_id.value, 'TASK_KILLING');
  }

  private acknowledge(f: FrameworkRecord, a: NonNullable<Call['acknowledge']>): void {
    this.counters.acknowledgements++;
    const t = f.tasks.get(a.task_id.value);
    if (!t || t.agentId !== a.agent_id.value || t.inflight?.uuid !== a.uuid) { this.races.push(`ACKNOWLEDGE of unknown update ${a.task_id.value}/${a.uuid}`); return; }
    clearTimeout(t.retryTimer);
    const acked = t.inflight;
    t.inflight = undefined;
    if (TERMINAL_STATES.has(acked.state)) {
      t.terminal = true;
      t.queue.length = 0;
      return;
    }
    this.pump(f, t);
  }

  private reconcile(f: FrameworkRecord, tasks: { task_id: { value: string }; agent_id?: { value: string } }[]): void {
    this.counters.reconciles++;
    for (const status of reconciliationAnswers(f, tasks, this.agents)) this.send(f, { type: 'UPDATE', update: { status } });
  }

  /** Teardown or failover timeout: every task is killed (no updates sent), the stream closes, the id is retired. */
  private removeFramework(f: FrameworkRecord): void {
    if (f.removed) return;
    f.removed = true;
    clearTimeout(f.failoverTimer);
    this.offers.drop(f);
    for (const t of f.tasks.values()) {
      clearTimeout(t.retryTimer);
      if (!t.terminal) this.agents.find((a) => a.id === t.agentId)?.kill(t.info.task_id.value, 0);
    }
    const stream = f.stream;
    this.detach(f, false);
    stream?.end();
    this.fw.delete(f.id);
    this.completed.add(f.id);
    this.removedFrameworks.push(f);
  }

  protected readonly removedFrameworks: FrameworkRecord[] = [];

  // ---------- task updates ----------

  private findTask(agentId: string, taskId: string): [FrameworkRecord, TaskRecord] | undefined {
    for (const f of [...this.fw.values(), ...this.removedFrameworks]) {
      const t = f.tasks.get(taskId);
      if (t && t.agentId === agentId) return [f, t];
    }
    return undefined;
  }

  private onAgentUpdate(agentId: string, taskId: string, state: TaskState, extra?: { reason?: string; message?: string; pid?: number }): void {
    const found = this.findTask(agentId, taskId);
    if (!found) return;
    const [f, t] = found;
    t.state = state;
    if (f.removed) return;
    t.queue.push(agentStatus(t, state, extra));
    this.pump(f, t);
  }

  private pump(f: FrameworkRecord, t: TaskRecord): void {
    if (t.inflight || !t.queue.length || !f.stream) return;
    t.inflight = t.queue.shift()!;
    this.deliver(f, t, true);
  }

  private deliver(f: FrameworkRecord, t: TaskRecord, first: boolean, retryMs = this.opts.updateRetryMs ?? 10_000): void {
    const st = t.inflight;
    if (!st || !f.stream) return;
    if (first) t.statusUpdateState = st.state;
    this.counters.updatesSent++;
    this.send(f, { type: 'UPDATE', update: { status: st } });
    clearTimeout(t.retryTimer);
    t.retryTimer = setTimeout(() => this.deliver(f, t, false, Math.min(retryMs * 2, 600_000)), retryMs);
  }


  state(): Record<string, unknown> {
    const describe = (f: FrameworkRecord) => ({
      id: f.id, name: f.info.name, active: !!f.stream, connected: !!f.stream, failover_timeout: f.info.failover_timeout ?? 0,
      offers: f.offers.size, suppressed: f.suppressed,
      tasks: [...f.tasks.values()].map((t) => ({ id: t.info.task_id.value, state: t.state, agent_id: t.agentId, acknowledged: !t.inflight })),
    });
    return {
      id: this.masterId, leader: this.leader ?? null, counters: this.counters, violations: this.violations, races: this.races,
      frameworks: [...this.fw.values()].map(describe), completed_frameworks: [...this.completed],
      agents: this.agents.map((a) => ({ id: a.id, hostname: a.hostname, active: a.active, pids: a.pids() })),
    };
  }}
