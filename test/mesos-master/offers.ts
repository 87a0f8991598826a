/**
 * The test master's allocator and ACCEPT pipeline. One offer per agent and
 * framework holds what is neither used by tasks nor offered elsewhere; refuse
 * filters (keyed by framework and agent, covering the declined resources),
 * SUPPRESS and REVIVE decide whether an offer is made. ACCEPT is validated as
 * a Mesos master does it: offers first (distinct, known, unused, this
 * framework's, one agent), then each task in order against what is left of
 * the offers, with TASK_DROPPED/TASK_LOST or TASK_ERROR as the reference
 * prescribes; leftovers are declined under the call's filter.
 */
import type { Call, Offer, TaskInfo } from '../../resourcemanager/mesos/types.js';
import type { SimAgent } from './agent.js';
import { masterStatus, partitionAware, type FrameworkRecord, type TaskRecord } from './framework.js';
import { add, contains, describe, emptyRes, fromMesos, isEmpty, subtract, toMesos, type Res } from './resources.js';

export interface OfferHost {
  readonly masterId: string;
  readonly agents: SimAgent[];
  frameworks(): Iterable<FrameworkRecord>;
  sendEvent(f: FrameworkRecord, ev: object): void;
  sendStatus(f: FrameworkRecord, status: ReturnType<typeof masterStatus>): void;
  violation(text: string): void;
  race(text: string): void;
  launchTask(f: FrameworkRecord, task: TaskRecord, agent: SimAgent): void;
  /** Test hook, called right after an OFFERS event went out. */
  afterOffers?(frameworkId: string, offerIds: string[]): void;
  counters: Record<string, number>;
}

const TASK_ID = /^[^/\\\x00-\x1f]{1,255}$/;

export class Offers {
  private nextOffer = 0;
  /** Offer ids that were used or declined (a second use is a scheduler bug). */
  private readonly spent = new Set<string>();
  /** Offer ids withdrawn by the master (a use is a race, not a bug). */
  private readonly withdrawn = new Set<string>();

  constructor(private readonly host: OfferHost) {}

  /** Resources of an agent used by live tasks or held in outstanding offers. */
  private committed(agentId: string): Res {
    let r = emptyRes();
    for (const f of this.host.frameworks()) {
      for (const t of f.tasks.values()) if (t.agentId === agentId && t.res && !t.terminal && !isTerminalOrGone(t)) r = add(r, t.res);
      for (const o of f.offers.values()) if (o.agentId === agentId) r = add(r, o.res);
    }
    return r;
  }

  allocate(): void {
    const now = Date.now();
    for (const f of this.host.frameworks()) {
      if (!f.stream || f.removed || f.suppressed) continue;
      f.filters = f.filters.filter((x) => x.until > now);
      const made: Offer[] = [];
      for (const agent of this.host.agents) {
        if (!agent.active || [...f.offers.values()].some((o) => o.agentId === agent.id)) continue;
        const available = subtract(agent.total, this.committed(agent.id));
        if (isEmpty(available)) continue;
        if (f.filters.some((x) => x.agentId === agent.id && contains(x.res, available))) continue;
        const id = `${this.host.masterId}-O${this.nextOffer++}`;
        const multiRole = (f.info.capabilities ?? []).some((c) => c.type === 'MULTI_ROLE');
        const role = f.info.roles?.[0] ?? f.info.role ?? '*';
        const resources = toMesos(available).map((r) => (multiRole ? { ...r, allocation_info: { role } } : r));
        const offer: Offer = {
          id: { value: id }, framework_id: { value: f.id }, agent_id: { value: agent.id }, hostname: agent.hostname,
          url: { scheme: 'http', address: { hostname: agent.hostname, ip: '127.0.0.1', port: 5051 }, path: '/slave(1)' },
          resources, ...(agent.attributes.length ? { attributes: agent.attributes } : {}), ...(multiRole ? { allocation_info: { role } } : {}),
        };
        f.offers.set(id, { offer, agentId: agent.id, res: available });
        made.push(offer);
      }
      if (made.length) {
        this.host.counters.offers += made.length;
        this.host.sendEvent(f, { type: 'OFFERS', offers: { offers: made } });
        this.host.afterOffers?.(f.id, made.map((o) => o.id.value));
      }
    }
  }

  /** Forgets a framework's offers (disconnect, failover, teardown): no RESCIND, no filter. */
  drop(f: FrameworkRecord): void {
    for (const id of f.offers.keys()) this.withdrawn.add(id);
    f.offers.clear();
  }

  /** Rescinds offers (all of a framework's, or those on one agent) with RESCIND events. */
  rescind(f: FrameworkRecord, agentId?: string): number {
    let n = 0;
    for (const [id, o] of [...f.offers]) {
      if (agentId && o.agentId !== agentId) continue;
      f.offers.delete(id);
      this.withdrawn.add(id);
      this.host.sendEvent(f, { type: 'RESCIND', rescind: { offer_id: { value: id } } });
      n++;
    }
    this.host.counters.rescinds += n;
    return n;
  }

  private refuse(f: FrameworkRecord, agentId: string, res: Res, seconds: number | undefined): void {
    const s = seconds === undefined || seconds < 0 ? 5 : Math.min(seconds, 31_536_000);
    if (s === 0 || isEmpty(res)) return;
    f.filters.push({ agentId, res, until: Date.now() + s * 1000 });
  }

  decline(f: FrameworkRecord, d: NonNullable<Call['decline']>): void {
    for (const oid of d.offer_ids ?? []) {
      const o = f.offers.get(oid.value);
      if (!o) continue; // unknown or stale ids are ignored
      f.offers.delete(oid.value);
      this.spent.add(oid.value);
      this.refuse(f, o.agentId, o.res, d.filters?.refuse_seconds);
    }
  }

  accept(f: FrameworkRecord, a: NonNullable<Call['accept']>): void {
    const ids = (a.offer_ids ?? []).map((x) => x.value);
    const tasks: TaskInfo[] = (a.operations ?? []).flatMap((op) => (op.type === 'LAUNCH' ? op.launch?.task_infos ?? [] : []));
    const lost = partitionAware(f) ? 'TASK_DROPPED' : 'TASK_LOST';
    const invalid = this.offerProblem(f, ids);
    if (invalid) {
      // Still-valid offers go back without a filter; every task is dropped.
      for (const id of ids) if (f.offers.delete(id)) this.withdrawn.add(id);
      for (const t of tasks) this.host.sendStatus(f, masterStatus(t.task_id.value, lost, 'REASON_INVALID_OFFERS', `Task launched with invalid offers: ${invalid}`, t.agent_id?.value));
      return;
    }
    const records = ids.map((id) => f.offers.get(id)!);
    for (const id of ids) { f.offers.delete(id); this.spent.add(id); }
    const agentId = records[0].agentId;
    const agent = this.host.agents.find((x) => x.id === agentId);
    let left = records.reduce((acc, o) => add(acc, o.res), emptyRes());
    if (!agent?.active) {
      for (const t of tasks) this.host.sendStatus(f, masterStatus(t.task_id.value, lost, 'REASON_AGENT_REMOVED', 'Agent removed', agentId));
      return;
    }
    for (const t of tasks) {
      const problem = this.taskProblem(f, t, agentId, left);
      if (problem) {
        this.host.violation(`task ${t.task_id.value} refused: ${problem}`);
        this.host.sendStatus(f, masterStatus(t.task_id.value, 'TASK_ERROR', 'REASON_TASK_INVALID', problem, agentId));
        continue;
      }
      const res = fromMesos(t.resources)!;
      left = subtract(left, res);
      const rec: TaskRecord = { info: t, frameworkId: f.id, agentId, res, statusUpdateState: 'TASK_STAGING', state: 'TASK_STAGING', queue: [], terminal: false };
      f.tasks.set(t.task_id.value, rec);
      this.host.launchTask(f, rec, agent);
    }
    this.refuse(f, agentId, left, a.filters?.refuse_seconds);
  }

  private offerProblem(f: FrameworkRecord, ids: string[]): string | undefined {
    if (!ids.length) { this.host.violation('ACCEPT without offer ids'); return 'No offers specified'; }
    if (new Set(ids).size !== ids.length) { this.host.violation(`ACCEPT names an offer twice: ${ids.join(', ')}`); return 'Duplicate offers'; }
    for (const id of ids) {
      if (f.offers.has(id)) continue;
      if (this.spent.has(id)) this.host.violation(`offer ${id} used after it was accepted or declined`);
      else if (this.withdrawn.has(id)) this.host.race(`ACCEPT of withdrawn offer ${id}`);
      else this.host.violation(`ACCEPT of unknown offer ${id}`);
      return `Offer ${id} is no longer valid`;
    }
    const agents = new Set(ids.map((id) => f.offers.get(id)!.agentId));
    if (agents.size > 1) { this.host.violation(`ACCEPT across agents ${[...agents].join(', ')}`); return 'Aggregated offers must belong to one single agent'; }
    return undefined;
  }

  private taskProblem(f: FrameworkRecord, t: TaskInfo, agentId: string, left: Res): string | undefined {
    if (!TASK_ID.test(t.task_id.value) || t.task_id.value === '.' || t.task_id.value === '..') return `Task ID '${t.task_id.value}' is invalid`;
    const existing = f.tasks.get(t.task_id.value);
    if (existing && !existing.terminal) return `Task has duplicate ID: ${t.task_id.value}`;
    if (t.agent_id.value !== agentId) return `Task uses invalid agent ${t.agent_id.value} while agent ${agentId} is expected`;
    if (!t.resources?.length) return 'Task uses no resources';
    if (!t.command === !(t as { executor?: unknown }).executor) return "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present";
    if (!t.command) return 'custom executors are not simulated by the test master';
    const need = fromMesos(t.resources);
    if (!need) return 'Task uses resources outside the unreserved role or of an unsupported kind';
    if (!contains(left, need)) return `Total resources ${describe(need)} required by task and its executor is more than available ${describe(left)}`;
    return undefined;
  }
}

function isTerminalOrGone(t: TaskRecord): boolean {
  return ['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNREACHABLE'].includes(t.state);
}
