/**
 * Runs a bundle's job function against a recording environment and turns the
 * result into a job graph. The JobMaster does this to plan; every TaskManager
 * does it again to get the operators' code (closures cannot travel).
 */
import { basename } from 'node:path';
import { defaultMaxParallelism, checkParallelism } from '../state/key-groups.js';
import { loadJobFunction } from './bundle-loader.js';
import { describeError, InvalidJobError } from './errors.js';
import { GraphBuilder } from './graph-builder.js';
import { buildJobGraph, type JobGraph } from './job-graph.js';
import type { Transformation } from './transformations.js';

export interface PlanRequest {
  bundlePath: string;
  entryClass?: string | undefined;
  programArgs: string[];
  parallelism: number;
  /** @default defaultMaxParallelism(parallelism) */
  maxParallelism?: number | undefined;
  /** Shown when the job does not call env.setJobName. */
  defaultName?: string | undefined;
}

export interface JobPlan {
  graph: JobGraph;
  transformations: Transformation[];
}

export async function planJob(req: PlanRequest): Promise<JobPlan> {
  const maxParallelism = req.maxParallelism ?? defaultMaxParallelism(req.parallelism);
  checkParallelism(req.parallelism, maxParallelism);
  const fn = await loadJobFunction(req.bundlePath, req.entryClass);
  const env = new GraphBuilder(req.parallelism);
  try {
    await fn(env, [...req.programArgs]);
  } catch (err) {
    if (err instanceof InvalidJobError) throw err;
    throw new InvalidJobError(`the job function threw while building the dataflow: ${describeError(err)}`, { cause: err });
  }
  const name = env.jobName ?? req.defaultName ?? basename(req.bundlePath);
  return { graph: buildJobGraph(env.transformations, { name, parallelism: req.parallelism, maxParallelism }), transformations: env.transformations };
}
