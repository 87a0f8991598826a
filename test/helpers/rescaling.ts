/** Helpers for the rescaling API tests: requests, polling, and job records without a job process. */
import { randomBytes } from 'node:crypto';
import { JobRegistry, type JobState, type VertexInfo } from '../../metadata/index.js';
import { json, waitFor, type TestDispatcher } from './dispatcher.js';

export const hexId = (): string => randomBytes(16).toString('hex');

export interface Answer { status: number; body: any }

async function answer(res: Response): Promise<Answer> {
  return { status: res.status, body: await json(res) };
}

export async function patchRescaling(base: string, jobId: string, query: string): Promise<Answer> {
  return answer(await fetch(`${base}/jobs/${jobId}/rescaling${query}`, { method: 'PATCH' }));
}

export async function putRequirements(base: string, jobId: string, body: unknown): Promise<Answer> {
  const init: RequestInit = { method: 'PUT', headers: { 'content-type': 'application/json' } };
  if (body !== undefined) init.body = JSON.stringify(body);
  return answer(await fetch(`${base}/jobs/${jobId}/resource-requirements`, init));
}

export async function getJson(url: string): Promise<Answer> {
  return answer(await fetch(url));
}

/** Polls the rescaling status until COMPLETED; returns the body. */
export async function waitForRescale(base: string, jobId: string, triggerId: string, timeoutMs = 30_000): Promise<any> {
  return waitFor(`rescaling ${triggerId} of ${jobId} to complete`, async () => {
    const { body } = await getJson(`${base}/jobs/${jobId}/rescaling/${triggerId}`);
    return body.status?.id === 'COMPLETED' ? body : undefined;
  }, timeoutMs);
}

export function vertex(name: string, parallelism: number, maxParallelism: number): VertexInfo {
  return {
    id: hexId(), name, parallelism, maxParallelism, status: 'RUNNING', 'start-time': Date.now(), 'end-time': -1, duration: 0,
    tasks: { RUNNING: parallelism },
  };
}

/**
 * A job record in `state` with these vertices and no job process behind it: operations queued for
 * it stay IN_PROGRESS until the test completes them through the registry.
 */
export async function recordOnlyJob(d: TestDispatcher, state: JobState, vertices: VertexInfo[], maxParallelism = 128): Promise<{ id: string; registry: JobRegistry }> {
  const registry = new JobRegistry(d.redis, d.keyPrefix);
  const id = hexId();
  const now = Date.now();
  await registry.create({
    id, name: 'record-only', state: 'CREATED', jarId: 'none', bundlePath: '/nonexistent', entryClass: '', programArgs: [], parallelism: vertices[0]?.parallelism ?? 1,
    maxParallelism, submitTime: now, startTime: now, configuration: {}, savepointPath: '',
  });
  await registry.update(id, { vertices });
  if (state !== 'CREATED') await registry.transition(id, state);
  return { id, registry };
}
