/**
 * Persistent state of a job's Mesos resource manager (Flink's MesosWorkerStore),
 * in Redis: the framework id, and each worker's goal state, written before the
 * driver acts on it. A worker is New (requested, no task yet), Launched (an
 * ACCEPT with its task was sent; agent and hostname known) or Released (the job
 * gave it up; its task is being killed). A restarted job process re-subscribes
 * with the stored framework id and reconciles the Launched and Released tasks.
 *
 * Keys: `<prefix>mesos:<jobId>:framework-id` (string) and
 * `<prefix>mesos:<jobId>:workers` (hash Mesos task id → JSON worker; a restarted job process
 * reuses resource ids, never task ids).
 */
import type { Redis } from 'ioredis';

export type WorkerGoal = 'New' | 'Launched' | 'Released';

export interface StoredWorker {
  resourceId: string;
  /** The Mesos task id (unique within the framework across job-process restarts). */
  taskId: string;
  goal: WorkerGoal;
  agentId?: string;
  hostname?: string;
  port?: number;
}

export interface WorkerStore {
  /** Where the records live, for logs: the framework id's key and the workers' hash. */
  readonly keys: { frameworkId: string; workers: string };
  frameworkId(): Promise<string | undefined>;
  setFrameworkId(id: string | undefined): Promise<void>;
  workers(): Promise<StoredWorker[]>;
  put(w: StoredWorker): Promise<void>;
  remove(taskId: string): Promise<void>;
  /** Deletes everything (the job is gone for good and its framework torn down). */
  clear(): Promise<void>;
}

export class RedisWorkerStore implements WorkerStore {
  readonly keys: { frameworkId: string; workers: string };
  private readonly fwKey: string;
  private readonly workersKey: string;

  constructor(private readonly redis: Redis, prefix: string, jobId: string) {
    this.fwKey = `${prefix}mesos:${jobId}:framework-id`;
    this.workersKey = `${prefix}mesos:${jobId}:workers`;
    this.keys = { frameworkId: this.fwKey, workers: this.workersKey };
  }

  async frameworkId(): Promise<string | undefined> {
    return (await this.redis.get(this.fwKey)) ?? undefined;
  }

  async setFrameworkId(id: string | undefined): Promise<void> {
    if (id) await this.redis.set(this.fwKey, id);
    else await this.redis.del(this.fwKey);
  }

  async workers(): Promise<StoredWorker[]> {
    const all = await this.redis.hgetall(this.workersKey);
    return Object.values(all).map((v) => JSON.parse(v) as StoredWorker);
  }

  async put(w: StoredWorker): Promise<void> {
    await this.redis.hset(this.workersKey, w.taskId, JSON.stringify(w));
  }

  async remove(taskId: string): Promise<void> {
    await this.redis.hdel(this.workersKey, taskId);
  }

  async clear(): Promise<void> {
    await this.redis.del(this.fwKey, this.workersKey);
  }
}

/** An in-memory store (unit tests, and a job without Redis persistence). */
export class MemoryWorkerStore implements WorkerStore {
  readonly keys = { frameworkId: '(memory) framework-id', workers: '(memory) workers' };
  private fid: string | undefined;
  private readonly map = new Map<string, StoredWorker>();
  async frameworkId() { return this.fid; }
  async setFrameworkId(id: string | undefined) { this.fid = id; }
  async workers() { return [...this.map.values()].map((w) => ({ ...w })); }
  async put(w: StoredWorker) { this.map.set(w.taskId, { ...w }); }
  async remove(id: string) { this.map.delete(id); }
  async clear() { this.fid = undefined; this.map.clear(); }
}
