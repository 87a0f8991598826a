/**
 * Executions of a job graph at a given scale: one per (vertex, subtask index),
 * with the slot it was deployed to and its state, and the aggregate vertex
 * states the REST API shows. An in-place rescale adds executions (which join
 * checkpoints only once the rescale is done) and retires others.
 */
import { randomBytes } from 'node:crypto';
import type { ExecutionStateName, SubtaskInfo, VertexInfo } from '../metadata/index.js';
import type { JobGraph } from '../runtime/job-graph.js';
import type { JobScale } from './job-scale.js';

export interface Execution {
  id: string;
  vertexId: string;
  subtaskIndex: number;
  state: ExecutionStateName;
  resourceId?: string;
  slotIndex?: number;
  startTime: number;
  endTime: number;
  failureCause?: string;
  /** Added by the rescale in progress: not part of checkpoints until it completes. */
  added?: boolean;
  /** Removed by the rescale in progress: ends once the rescale checkpoint completes. */
  retiring?: boolean;
}

const PRECEDENCE: ExecutionStateName[] = ['FAILED', 'CANCELING', 'CANCELED', 'RUNNING', 'DEPLOYING', 'SCHEDULED', 'INITIALIZING', 'CREATED'];
const ENDED: ExecutionStateName[] = ['FINISHED', 'CANCELED', 'FAILED'];

export class ExecutionGraph {
  readonly executions = new Map<string, Execution>();
  private readonly parallelism = new Map<string, number>();

  constructor(readonly graph: JobGraph, scale: JobScale, private readonly caps?: Map<string, number>) {
    for (const v of graph.vertices) {
      const p = scale.get(v.id)?.parallelism ?? v.parallelism;
      this.parallelism.set(v.id, p);
      for (let i = 0; i < p; i++) this.add(v.id, i);
    }
  }

  /** A new execution of subtask `index` of a vertex. */
  add(vertexId: string, subtaskIndex: number, added = false): Execution {
    const id = randomBytes(16).toString('hex');
    const e: Execution = { id, vertexId, subtaskIndex, state: 'CREATED', startTime: -1, endTime: -1, ...(added ? { added } : {}) };
    this.executions.set(id, e);
    return e;
  }

  remove(id: string): void { this.executions.delete(id); }

  parallelismOf(vertexId: string): number { return this.parallelism.get(vertexId)!; }
  setParallelism(vertexId: string, p: number): void { this.parallelism.set(vertexId, p); }

  ofVertex(vertexId: string): Execution[] {
    return [...this.executions.values()].filter((e) => e.vertexId === vertexId).sort((a, b) => a.subtaskIndex - b.subtaskIndex);
  }

  all(): Execution[] { return [...this.executions.values()]; }

  /** Executions that take part in checkpoints: neither added nor retiring in a rescale in progress. */
  participants(): Execution[] { return this.all().filter((e) => !e.added && !e.retiring); }

  setState(id: string, state: ExecutionStateName, cause?: string): Execution | undefined {
    const e = this.executions.get(id);
    if (!e) return undefined;
    e.state = state;
    const now = Date.now();
    if (state === 'DEPLOYING' && e.startTime < 0) e.startTime = now;
    if (ENDED.includes(state)) e.endTime = now;
    if (cause) e.failureCause = cause;
    return e;
  }

  allIn(...states: ExecutionStateName[]): boolean {
    return this.all().every((e) => states.includes(e.state));
  }

  /** Each vertex's subtasks and their current executions (not the ones a rescale is retiring). */
  subtaskInfo(attempt: number): Record<string, SubtaskInfo[]> {
    return Object.fromEntries(this.graph.vertices.map((v) => [v.id, this.ofVertex(v.id).filter((e) => !e.retiring).map((e) => ({
      subtask: e.subtaskIndex, executionId: e.id, status: e.state, attempt, resourceId: e.resourceId ?? '', startTime: e.startTime, endTime: e.endTime,
    }))]));
  }

  vertexInfo(now = Date.now()): VertexInfo[] {
    return this.graph.vertices.map((v) => {
      const ex = this.ofVertex(v.id).filter((e) => !e.retiring);
      const tasks: Record<string, number> = {};
      for (const s of ['CREATED', 'SCHEDULED', 'DEPLOYING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED', 'RECONCILING', 'INITIALIZING']) tasks[s] = 0;
      for (const e of ex) tasks[e.state] = (tasks[e.state] ?? 0) + 1;
      const status = ex.every((e) => e.state === 'FINISHED') ? 'FINISHED'
        : ex.some((e) => e.state === 'FINISHED') && ex.every((e) => e.state === 'FINISHED' || e.state === 'RUNNING') ? 'RUNNING'
        : PRECEDENCE.find((s) => ex.some((e) => e.state === s)) ?? 'CREATED';
      const starts = ex.map((e) => e.startTime).filter((t) => t >= 0);
      const start = starts.length ? Math.min(...starts) : -1;
      const done = ex.every((e) => e.endTime >= 0);
      const end = done ? Math.max(...ex.map((e) => e.endTime)) : -1;
      return {
        id: v.id, name: v.name, parallelism: this.parallelismOf(v.id), maxParallelism: this.caps?.get(v.id) ?? this.graph.maxParallelism, status,
        'start-time': start, 'end-time': end, duration: start < 0 ? -1 : (end >= 0 ? end : now) - start, tasks,
        inputs: this.graph.edges.filter((e) => e.target === v.id).map((e) => ({ id: e.source, shipStrategy: e.partitioning })),
        operators: v.operatorNames ?? [v.name],
      };
    });
  }
}
