#!/usr/bin/env node
/**
 * The job process's entry with HA (started instead of jobmaster/main.js when the dispatcher leads
 * with a fencing epoch). Before anything of the job runs, the process records its pid in the job
 * record, in one fenced step that also checks the launch it was started for is still the job's
 * claimed one (metadata/registry-scripts.ts, CONFIRM_LAUNCH). A dispatcher that was deposed between
 * claiming the start and forking (paused, partitioned), or whose claim a new leader replaced, gets a
 * process that exits at once with LAUNCH_SUPERSEDED_EXIT: the job never runs twice. Then it becomes
 * the job process proper (same process, same `ebbflow-jobmaster <jobid>` argv).
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { isFencedWrite, JobRegistry } from '../metadata/index.js';
import { FENCED_LAUNCH_ENV, LAUNCH_SUPERSEDED_EXIT, type FencedLaunch } from './job-process-launcher.js';

const specFile = process.env.EBBFLOW_JOB_SPEC_FILE;
const launchJson = process.env[FENCED_LAUNCH_ENV];
if (!specFile || !launchJson) {
  console.error(`ebbflow-jobmaster: EBBFLOW_JOB_SPEC_FILE and ${FENCED_LAUNCH_ENV} must be set (this process is started by the dispatcher)`);
  process.exit(2);
}
// Not passed on to TaskManagers.
delete process.env[FENCED_LAUNCH_ENV];
const spec = JSON.parse(readFileSync(specFile, 'utf8')) as { jobId: string; redisUrl: string; keyPrefix?: string };
const launch = JSON.parse(launchJson) as FencedLaunch;
const line = (msg: string) => console.error(JSON.stringify({ level: 40, time: Date.now(), role: 'jobmaster', jobId: spec.jobId, pid: process.pid, msg }));

const redis = new Redis(spec.redisUrl, { maxRetriesPerRequest: 3, connectTimeout: 5000 });
redis.on('error', () => { /* reported by the command that fails */ });
const registry = new JobRegistry(redis, spec.keyPrefix ?? 'ebbflow:', { key: launch.fenceKey, epoch: () => launch.epoch });
let confirmed = false;
let superseded = true;
try {
  confirmed = await registry.confirmLaunch(spec.jobId, launch.launchId, process.pid);
  if (!confirmed) line(`launch ${launch.launchId} is no longer the job's claimed start (another dispatcher started or adopted the job); exiting without running`);
} catch (err) {
  superseded = isFencedWrite(err);
  line(superseded
    ? `the dispatcher that started this process (leader epoch ${launch.epoch}) no longer leads; exiting without running`
    : `could not record this job process in Redis (${(err as Error).message}); exiting without running`);
} finally {
  redis.disconnect();
}
// Superseded: the dispatcher leaves it be. Any other failure is this job's start failing, reported as such.
if (!confirmed) process.exit(superseded ? LAUNCH_SUPERSEDED_EXIT : 1);
await import('../jobmaster/main.js');
