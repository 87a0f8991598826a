/**
 * A planned JobRuntime without a JobMaster (for tests of one JobMaster part): the control-plane test
 * plan, a Redis Streams source of `streams` streams → keyBy → window → sink, at `parallelism`.
 */
import { pino } from 'pino';
import { JobRuntime } from '../../jobmaster/job-runtime.js';
import { defaultRequirements, planScale, uniformParallelism, vertexLimits } from '../../jobmaster/job-scale.js';
import { compileJobSpec } from '../../jobmaster/job-spec.js';
import { GraphBuilder } from '../../runtime/graph-builder.js';
import { buildJobGraph } from '../../runtime/job-graph.js';
import type { JobPlan } from '../../runtime/plan.js';

export function testingJobRuntime(parallelism = 2, streams = 4, configuration: Record<string, unknown> = {}): JobRuntime {
  const env = new GraphBuilder(parallelism);
  env.fromRedisStreams({ url: 'redis://127.0.0.1:1', streams: Array.from({ length: streams }, (_, i) => `s${i}`) })
    .keyBy((e) => String(e)).window(env.windows.tumbling(1000)).reduce((a) => a)
    .sinkTo(env.fileSink('/dev/null'));
  const plan: JobPlan = { graph: buildJobGraph(env.transformations, { name: 'runtime-test', parallelism, maxParallelism: 128 }), transformations: env.transformations };
  const spec = compileJobSpec({
    jobId: 'runtime-test-job', bundlePath: '/testing/bundle.mjs', programArgs: [], parallelism, redisUrl: 'redis://unused', dataDir: '/nonexistent', slotRequestTimeoutMs: 5000, configuration,
  });
  const limits = vertexLimits(plan);
  const scale = planScale(plan.graph, limits, uniformParallelism(plan.graph, limits, parallelism));
  return new JobRuntime(spec, plan, limits, pino({ level: 'silent' }), { scale, committed: scale, requirements: defaultRequirements(scale) });
}
