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
