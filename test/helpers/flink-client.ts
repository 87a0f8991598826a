/**
 * What Apache Flink 2.x's REST client (RestClusterClient, used by `flink list|savepoint|checkpoint|
 * stop|cancel`) sends and what its message classes require of the answers, as a test oracle:
 * every path under /v1, JSON bodies with Flink's field names (nulls included, as Jackson writes
 * them), no Origin, and polling of a trigger until `status.id` is COMPLETED. The checks mirror the
 * constructors' preconditions (SavepointInfo: location XOR failure-cause; CheckpointInfo:
 * checkpointId XOR failureCause; TriggerId: 32 hex; JobDetails' fields; JobResult's id and
 * net-runtime) and read every failure cause with the JDK, as SerializedThrowableDeserializer does.
 */
import { expect } from 'vitest';
import { waitFor } from './dispatcher.js';
import { decodeWithJava, type DecodedThrowable } from './java-throwable.js';

export interface FlinkAnswer { status: number; body: any }

export class FlinkRestClient {
  constructor(private readonly base: string) {}

  async request(method: string, path: string, body?: unknown): Promise<FlinkAnswer> {
    const res = await fetch(`${this.base}/v1${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json; charset=UTF-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /** A trigger request: 202 and a TriggerResponse. */
  async trigger(path: string, body: unknown): Promise<string> {
    const a = await this.request('POST', path, body);
    expect(a.status, JSON.stringify(a.body)).toBe(202);
    return expectTriggerId(a.body);
  }

  /** Polls an AsynchronousOperationResult until COMPLETED (Flink's pollResourceAsync); answers its `operation`. */
  async poll(path: string, timeoutMs = 60_000): Promise<any> {
    return waitFor(`COMPLETED at ${path}`, async () => {
      const a = await this.request('GET', path);
      expect(a.status, JSON.stringify(a.body)).toBe(200);
      expect(['IN_PROGRESS', 'COMPLETED']).toContain(a.body.status?.id);
      if (a.body.status.id === 'IN_PROGRESS') return undefined;
      expect(a.body.operation, 'a COMPLETED AsynchronousOperationResult carries its operation').toBeTypeOf('object');
      expect(a.body.operation).not.toBeNull();
      return a.body.operation;
    }, timeoutMs, 100);
  }
}

/** TriggerResponse: `request-id` parsed by TriggerId.fromHexString (an AbstractID: 32 hex digits). */
export function expectTriggerId(body: any): string {
  expect(body).toEqual({ 'request-id': expect.stringMatching(/^[0-9a-f]{32}$/) });
  return body['request-id'];
}

/** A SerializedThrowable JSON as SerializedThrowableDeserializer reads it: its base64 Java bytes, decoded by the JDK. */
export async function expectFlinkThrowable(cause: any): Promise<DecodedThrowable> {
  expect(cause).toEqual({ class: expect.any(String), 'stack-trace': expect.any(String), 'serialized-throwable': expect.any(String) });
  const [decoded] = await decodeWithJava([cause['serialized-throwable']]);
  if (decoded instanceof Error) throw new Error(`Java could not read the failure cause: ${decoded.message}`);
  expect(decoded!.originalErrorClassName).toBe(cause.class);
  expect(decoded!.fullStringifiedStackTrace).toBe(cause['stack-trace']);
  return decoded!;
}

/** SavepointInfo: exactly one of location and failure-cause. */
export async function expectSavepointInfo(op: any): Promise<{ location?: string; cause?: DecodedThrowable }> {
  expect(('location' in op && op.location !== null) !== ('failure-cause' in op && op['failure-cause'] !== null), JSON.stringify(op)).toBe(true);
  if (op['failure-cause']) return { cause: await expectFlinkThrowable(op['failure-cause']) };
  expect(op.location).toBeTypeOf('string');
  return { location: op.location };
}

/** CheckpointInfo: exactly one of checkpointId and failureCause. */
export async function expectCheckpointInfo(op: any): Promise<{ checkpointId?: number; cause?: DecodedThrowable }> {
  expect(('checkpointId' in op) !== ('failureCause' in op), JSON.stringify(op)).toBe(true);
  if (op.failureCause) return { cause: await expectFlinkThrowable(op.failureCause) };
  expect(Number.isSafeInteger(op.checkpointId)).toBe(true);
  return { checkpointId: op.checkpointId };
}

/** AsynchronousOperationInfo: an optional failure-cause, nothing else. */
export async function expectAsyncOperationInfo(op: any): Promise<DecodedThrowable | undefined> {
  expect(Object.keys(op).filter((k) => k !== 'failure-cause')).toEqual([]);
  return op['failure-cause'] ? await expectFlinkThrowable(op['failure-cause']) : undefined;
}

const JOB_STATUSES = ['INITIALIZING', 'CREATED', 'RUNNING', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED', 'FINISHED', 'RESTARTING', 'SUSPENDED', 'RECONCILING'];

/** MultipleJobsDetails → JobDetails: every constructor argument, a known JobStatus, the `total` task count. */
export function expectJobDetails(job: any): void {
  expect(job).toMatchObject({
    jid: expect.stringMatching(/^[0-9a-f]{32}$/), name: expect.any(String), 'start-time': expect.any(Number), 'end-time': expect.any(Number),
    duration: expect.any(Number), 'last-modification': expect.any(Number), tasks: expect.objectContaining({ total: expect.any(Number) }),
  });
  expect(JOB_STATUSES).toContain(job.state);
}

/** JobExecutionResultResponseBody once COMPLETED → JobResult: id, application-status, net-runtime ≥ 0, accumulator-results. */
export async function expectJobResult(body: any, jobId: string, status: string): Promise<any> {
  expect(body.status).toEqual({ id: 'COMPLETED' });
  const r = body['job-execution-result'];
  expect(r).toMatchObject({ id: jobId, 'application-status': status, 'accumulator-results': {} });
  expect(r['net-runtime']).toBeGreaterThanOrEqual(0);
  if (status === 'FAILED') await expectFlinkThrowable(r['failure-cause']);
  return r;
}
