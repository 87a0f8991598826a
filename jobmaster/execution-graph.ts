/**
 * Executions of a job graph: one per (vertex, subtask index), with the
 * slot it was deployed to and its state, and the aggregate vertex states the
 * REST API shows.
 */
import { randomBytes } from 'node:crypto';
import type { ExecutionStateName, VertexInfo } from '../metadata/index.js';
import type { JobGraph } from '../runtime/job-graph.js';

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
}

const PRECEDENCE: ExecutionStateName[] = ['FAILED', 'CANCELING', 'CANCELED', 'RUNNING', 'DEPLOYING', 'SCHEDULED', 'INITIALIZING', 'CREATED'];

export class ExecutionGraph {
  readonly executions = new Map<string, Execution>();

  constructor(readonly graph: JobGraph) {
    for (const v of graph.vertices) {
      for (let i = 0; i < v.parallelism; i++) {
        const id = randomBytes(16).toString('hex');
        this.executions.set(id, { id, vertexId: v.id, subtaskIndex: i, state: 'CREATED', startTime: -1, endTime: -1 });
      }
    }
  }

  ofVertex(vertexId: string): Execution[] {
    return [...this.executions.values()].filter((e) => e.vertexId === vertexId).sort((a, b) => a.subtaskIndex - b.subtaskIndex);
  }

  all(): Execution[] { return [...this.executions.values()]; }

  setState(id: string, state: ExecutionStateName, cause?: string): Execution | undefined {
    const e = this.executions.get(id);
    if (!e) return undefined;
    e.state = state;
    const now = Date.now();
    if (state === 'DEPLOYING' && e.startTime < 0) e.startTime = now;
    if (state === 'FINISHED' || state === 'CANCELED' || state === 'FAILED') e.endTime = now;
    if (cause) e.failureCause = cause;
    return e;
  }

  allIn(...states: ExecutionStateName[]): boolean {
    return this.all().every((e) => states.includes(e.state));
  }

  vertexInfo(now = Date.now()): VertexInfo[] {
    return this.graph.vertices.map((v) => {
      const ex = this.ofVertex(v.id);
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
        id: v.id, name: v.name, parallelism: v.parallelism, maxParallelism: this.graph.maxParallelism, status,
        'start-time': start, 'end-time': end, duration: start < 0 ? -1 : (end >= 0 ? end : now) - start, tasks,
      };
    });
  }
}
