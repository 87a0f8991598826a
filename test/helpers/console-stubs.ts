/**
 * Answers in the documented shapes of endpoints other work adds, for the web console test to stub
 * in the browser: GET /jobs/:id/metrics/history (per vertex, the last points of each metric) and
 * GET /jobs/:id/rescales/history (Flink 2.3's JobRescalesHistory, plus ebbflow's moved counts).
 */

/** Flink's "no watermark yet" (Long.MIN_VALUE as a JS number). */
export const NO_WATERMARK = -9223372036854776000;

/**
 * Five points 5 s apart ending at t0: `src` a source with a backlog and no watermark (Flink's
 * Long.MIN_VALUE), `win` a vertex whose watermark (null before the first, as the endpoint answers)
 * reaches t0 and that has no backlog (null: not a source).
 */
export function stubbedMetricsHistory(src: string, win: string, t0: number) {
  return {
    timestamps: [0, 1, 2, 3, 4].map((i) => t0 - (4 - i) * 5000),
    vertices: {
      [src]: { numRecordsInPerSecond: [0, 0, 0, 0, 0], numRecordsOutPerSecond: [10, 20, 30, 40, 1234], busyTimeMsPerSecond: [1, 2, 3, 4, 5],
        backPressuredTimeMsPerSecond: [0, 0, 10, 20, 30], currentInputWatermark: Array(5).fill(NO_WATERMARK), pendingRecords: [50, 40, 30, 20, 7] },
      [win]: { numRecordsInPerSecond: [10, 20, 30, 40, 1234], numRecordsOutPerSecond: [0, 1, 0, 2, 0], busyTimeMsPerSecond: [100, 150, 200, 250, 300.4],
        backPressuredTimeMsPerSecond: [0, 0, 0, 0, 0], currentInputWatermark: [null, t0 - 3000, t0 - 2000, t0 - 1000, t0], pendingRecords: [null, null, null, null, null] },
    },
  };
}

/**
 * Newest first: a completed rescale of every vertex 2→1 at t0 taking 1.5 s (64 of 128 key groups and
 * 2 of 4 KB moved), and a minute earlier a failed one to 3 with its cause.
 */
export function stubbedRescalesHistory(vertices: Array<{ id: string; name: string }>, t0: number) {
  return [{
    rescaleUuid: 'r1', resourceRequirementsUuid: 'q1', rescaleAttemptId: 1, slots: {}, schedulerStates: [],
    vertices: Object.fromEntries(vertices.map((v) => [v.id, { jobVertexId: v.id, jobVertexName: v.name, preRescaleParallelism: 2, postRescaleParallelism: 1 }])),
    startTimestampInMillis: t0, endTimestampInMillis: t0 + 1500, terminalState: 'COMPLETED', triggerCause: 'UPDATE_REQUIREMENT', terminatedReason: 'done',
    // ebbflow's additions
    status: 'COMPLETED', trigger: 'request', failureCause: null, durationInMillis: 1500,
    statistics: { keyGroups: { moved: 64, minimum: 64, total: 128 }, stateBytes: { moved: 2048, minimum: 2048, total: 4096 }, durationMs: 1500 },
  }, {
    rescaleUuid: 'r0', resourceRequirementsUuid: 'q0', rescaleAttemptId: 1, slots: {}, schedulerStates: null,
    vertices: Object.fromEntries(vertices.map((v) => [v.id, { jobVertexId: v.id, jobVertexName: v.name, preRescaleParallelism: 2, postRescaleParallelism: 3 }])),
    startTimestampInMillis: t0 - 60_000, endTimestampInMillis: t0 - 55_000, terminalState: 'FAILED', triggerCause: 'UPDATE_REQUIREMENT', terminatedReason: 'failed',
    status: 'FAILED', trigger: 'request', failureCause: 'not enough TaskManagers in time', durationInMillis: 5000, statistics: null,
  }];
}

/**
 * GET /jobs/:id/autoscaler with two decisions, newest first: a completed scale-down of every vertex
 * 2→1 at t0 (rescale r2, 900 ms) and an unsatisfiable scale-up to 3 a minute earlier; the vertices
 * at 1, recommended 1, idle.
 */
export function stubbedAutoscaler(jobId: string, vertices: Array<{ id: string; name: string }>, t0: number) {
  const change = (id: string, from: number, to: number) => ({ vertexId: id, from, to, reason: to < from ? 'idle' : 'scale-up', limits: [], text: `${id}: ${from} → ${to}` });
  return {
    jobId, enabled: true, recommendOnly: false, updatedAt: t0 + 5000, lastEvaluation: { timestamp: t0 + 5000, code: 'stabilizing', reason: 'stabilizing for 5 s more' },
    stabilizingUntil: t0 + 10_000, backoffUntil: null, restartTimeMs: 300, pendingDecision: null, ineffective: [],
    options: { 'job.autoscaler.enabled': true }, overrides: { 'job.autoscaler.utilization.target': '0.6' },
    vertices: vertices.map((v) => ({
      vertexId: v.id, name: v.name, parallelism: 1, bounds: { lowerBound: null, upperBound: null, maxParallelism: 128, streams: null, fixed: false },
      metrics: { recordsInPerSecond: 0, recordsOutPerSecond: 0, busyRatio: 0.004, maxBusyRatio: 0.004, backPressuredRatio: 0, backlog: null, backlogGrowthPerSecond: null },
      trueProcessingRate: null, skew: 1, capacity: null, inputRate: 0, catchUpRate: 0, targetRate: 0, utilization: 0, computed: 1, wanted: 1, recommended: 1,
      reason: 'idle', limits: ['lower-bound'], text: `${v.id}: no input: 1 → 1`,
    })),
    decisions: [
      { id: 2, timestamp: t0, changes: vertices.map((v) => change(v.id, 2, 1)), outcome: 'completed', requestId: 'r2', endedAt: t0 + 900, error: null, result: { parallelism: Object.fromEntries(vertices.map((v) => [v.id, 1])), durationMs: 900 }, ineffective: null },
      { id: 1, timestamp: t0 - 60_000, changes: vertices.map((v) => change(v.id, 2, 3)), outcome: 'unsatisfiable', requestId: 'r1', endedAt: t0 - 50_000, error: 'could not get 3 slot(s)', result: null, ineffective: null },
    ],
  };
}
