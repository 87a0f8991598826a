/**
 * The autoscaler's state as the job process publishes it (jobmaster/autoscaler-driver.ts) and the
 * dispatcher serves it (`GET /jobs/:jobid/autoscaler`): one JSON value at `<prefix>job:<id>:autoscaler`
 * in openapi.yaml's AutoscalerInfo shape, rewritten at each evaluation while the autoscaler is on and
 * after every change of its settings. It also holds the settings changed at run time (`overrides`),
 * which a restarted job process reads back. Removed with the job, like its metrics.
 */
import type { AutoscalerInfo } from '../rest/index.js';

export type { AutoscalerInfo };

export const autoscalerKey = (prefix: string, jobId: string): string => `${prefix}job:${jobId}:autoscaler`;
