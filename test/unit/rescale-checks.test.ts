/**
 * The dispatcher's checks of rescaling requests against a job record (no Redis): the schema's shape
 * problems and the bounds the vertices allow are reported together, one entry each, labelled with
 * the vertex; states and key-group limits refuse with the right error class.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequest, JobNotInState } from '../../dispatcher/index.js';
import { checkRequirements, checkRescalable, checkRescaleParallelism, currentRequirements } from '../../dispatcher/rescale-checks.js';
import type { JobRecord, VertexInfo } from '../../metadata/index.js';

const vertex = (id: string, name: string, parallelism: number, maxParallelism: number): VertexInfo => ({
  id, name, parallelism, maxParallelism, status: 'RUNNING', 'start-time': 0, 'end-time': -1, duration: 0, tasks: { RUNNING: parallelism },
});
const SRC = 'a'.repeat(32);
const SINK = 'b'.repeat(32);
const job = (fields: Partial<JobRecord> = {}): JobRecord => ({
  id: 'c'.repeat(32), name: 'j', state: 'RUNNING', jarId: 'x', bundlePath: '/x', entryClass: '', programArgs: [], parallelism: 2, maxParallelism: 128,
  submitTime: 0, startTime: 0, endTime: -1, lastModification: 0, timestamps: {}, failureCause: '', pid: 0, configuration: {}, savepointPath: '',
  exceptions: [], resourceRequirements: {}, subtasks: {}, queuedAt: 0, vertices: [vertex(SRC, 'Source', 1, 4), vertex(SINK, 'Sink', 2, 128)], ...fields,
});

function refusal(f: () => unknown): string[] {
  try { f(); } catch (err) { if (err instanceof InvalidRequest) return err.messages; throw err; }
  throw new Error('not refused');
}

describe('checkRequirements', () => {
  it('reports shape problems and bound problems together, labelled with the vertex', () => {
    const body = { [SRC]: { parallelism: { lowerBound: 0, upperBound: 9 } }, [SINK]: { parallelism: { lowerBound: 2, upperBound: 1 } } };
    const messages = refusal(() => checkRequirements(body, job(), [{ path: [SRC, 'parallelism', 'lowerBound'], problem: 'must be at least 1, got 0' }]));
    expect(messages).toEqual([
      `vertex ${SRC} (Source): lowerBound must be at least 1, got 0`,
      `vertex ${SRC} (Source): upperBound 9 exceeds the vertex's max parallelism 4`,
      `vertex ${SINK} (Sink): lowerBound 2 exceeds upperBound 1`,
    ]);
  });

  it('gives the expected shape for a problem above the bounds, and names unknown vertices and empty or non-object bodies', () => {
    expect(refusal(() => checkRequirements({ [SRC]: { parallelism: 2 } }, job(), [{ path: [SRC, 'parallelism'], problem: 'must be an object, got 2' }])))
      .toEqual([`vertex ${SRC} (Source): parallelism must be an object, got 2; expected {"parallelism":{"lowerBound":<n>,"upperBound":<n>}}`]);
    expect(refusal(() => checkRequirements({ ['d'.repeat(32)]: { parallelism: { lowerBound: 1, upperBound: 1 } } }, job(), [])))
      .toEqual([expect.stringMatching(/is not a vertex of job/)]);
    expect(refusal(() => checkRequirements({}, job(), []))).toEqual([expect.stringMatching(/names no vertex/)]);
    expect(refusal(() => checkRequirements([1], job(), [{ path: [], problem: 'must be an object, got [1]' }]))).toEqual([expect.stringMatching(/must be a JSON object mapping vertex ids/)]);
  });

  it('answers the bounds as given for valid entries', () => {
    expect(checkRequirements({ [SRC]: { parallelism: { lowerBound: 1, upperBound: 4 } } }, job(), [])).toEqual({ [SRC]: { parallelism: { lowerBound: 1, upperBound: 4 } } });
  });
});

describe('rescale checks', () => {
  it('refuses ended jobs with JobNotInState, and a parallelism beyond the key groups or the TaskManager limit', () => {
    expect(() => checkRescalable(job({ state: 'FINISHED' }))).toThrow(JobNotInState);
    expect(() => checkRescalable(job({ state: 'RESTARTING' }))).not.toThrow();
    expect(refusal(() => checkRescaleParallelism(129, job(), { max: 100, slots: 1 }))).toEqual(["parallelism 129 exceeds the job's max parallelism 128 (its number of key groups)"]);
    expect(refusal(() => checkRescaleParallelism(5, job(), { max: 2, slots: 2 }))).toEqual([expect.stringMatching(/needs 3 TaskManagers .* at most 2 \(EBBFLOW_MAX_TASKMANAGERS_PER_JOB\)/)]);
  });

  it('derives [1, parallelism] for vertices without recorded requirements', () => {
    expect(currentRequirements(job({ resourceRequirements: { [SRC]: { parallelism: { lowerBound: 1, upperBound: 3 } } } }))).toEqual({
      [SRC]: { parallelism: { lowerBound: 1, upperBound: 3 } }, [SINK]: { parallelism: { lowerBound: 1, upperBound: 2 } },
    });
  });
});
