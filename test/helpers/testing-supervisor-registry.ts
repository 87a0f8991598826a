/**
 * An in-memory job registry with the calls the JobSupervisor makes (get, transition, update,
 * jobKey) and the same rules as the Redis one: nothing leaves a terminal state, the first entry
 * into a state is timestamped. `down` makes every call fail as an unreachable Redis does.
 */
import { isTerminal, type JobRecord, type JobState } from '../../metadata/index.js';
import type { SupervisorRegistry } from '../../dispatcher/job-supervisor.js';

/** A job record with test defaults for everything not given. */
export function jobRecord(fields: Partial<JobRecord> & { id: string }): JobRecord {
  return {
    name: `job ${fields.id}`, state: 'INITIALIZING', jarId: 'jar', bundlePath: '/bundles/jar', entryClass: '', programArgs: [], parallelism: 1,
    maxParallelism: 128, submitTime: 0, startTime: 0, endTime: -1, lastModification: 0, timestamps: {}, failureCause: '', vertices: [], pid: 0,
    configuration: {}, savepointPath: '', exceptions: [], resourceRequirements: {}, subtasks: {}, queuedAt: 0,
    ...fields,
  };
}

export class TestingSupervisorRegistry implements SupervisorRegistry {
  private readonly jobs = new Map<string, JobRecord>();
  /** While true every call rejects, as ioredis does with Redis away; a list makes only those calls fail. */
  down: boolean | ('get' | 'transition' | 'update')[] = false;
  /** Calls that failed because the registry was down. */
  failedCalls = 0;

  /** Adds (or replaces) a job record. */
  put(fields: Partial<JobRecord> & { id: string }): JobRecord {
    const rec = jobRecord(fields);
    this.jobs.set(rec.id, rec);
    return structuredClone(rec);
  }

  /** The record as stored now, for assertions (no failure when down). */
  peek(id: string): JobRecord | undefined {
    const rec = this.jobs.get(id);
    return rec && structuredClone(rec);
  }

  jobKey(id: string): string { return `test:job:${id}`; }

  async get(id: string): Promise<JobRecord | undefined> {
    this.check('get');
    return this.peek(id);
  }

  async transition(id: string, state: JobState, fields: Partial<JobRecord> = {}): Promise<boolean> {
    this.check('transition');
    const rec = this.jobs.get(id);
    if (!rec || isTerminal(rec.state)) return false;
    const now = Date.now();
    Object.assign(rec, withoutUndefined(fields), { state, lastModification: now });
    rec.timestamps[state] ??= now;
    if (isTerminal(state)) rec.endTime = now;
    return true;
  }

  async update(id: string, fields: Partial<Omit<JobRecord, 'state'>>): Promise<void> {
    this.check('update');
    const rec = this.jobs.get(id);
    // Redis HSET creates the hash; a record without its id decodes as missing, as here.
    if (rec) Object.assign(rec, withoutUndefined(fields));
  }

  private check(call: 'get' | 'transition' | 'update'): void {
    if (this.down === false || (Array.isArray(this.down) && !this.down.includes(call))) return;
    this.failedCalls++;
    throw new Error('Connection is closed.');
  }
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'timestamps')) as Partial<T>;
}
