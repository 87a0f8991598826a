/**
 * /jars: upload (multipart field `jarfile`), list, delete, run. Flink's shapes;
 * the stored file's base name is the jar id.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart';
import { BundleRejectedError, type Dispatcher } from '../../dispatcher/index.js';
import { isTerminal, type JobRecord } from '../../metadata/index.js';
import { UPPER_BOUND_MAX_PARALLELISM } from '../../state/key-groups.js';
import { basename, dirname, resolve } from 'node:path';
import { compileJobConfig, configurationWarnings, JobConfigError } from '../../jobmaster/job-config.js';
import { MAX_METADATA_BYTES, METADATA_FILE, readMetadata } from '../../runtime/checkpoint/snapshot-io.js';
import { badRequest, conflict, HttpError, notFound } from '../errors.js';
import { checkTaskManagerLimit } from './rescale-requests.js';

const JOB_ID = /^[0-9a-f]{32}$/;

interface RunBody {
  flinkConfiguration?: unknown;
  savepointPath?: unknown;
  allowNonRestoredState?: unknown;
  entryClass?: unknown;
  programArgsList?: unknown;
  programArgs?: unknown;
  parallelism?: unknown;
  jobId?: unknown;
}

/** Splits Flink's single-string `programArgs` on whitespace, honouring simple quotes. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

function parseParallelism(v: unknown): number {
  if (v === undefined || v === null || v === '') return 1;
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > UPPER_BOUND_MAX_PARALLELISM) {
    throw badRequest(`parallelism must be a positive integer (1..${UPPER_BOUND_MAX_PARALLELISM}), got ${JSON.stringify(v)}`);
  }
  return n;
}

function parseRunRequest(body: RunBody, query: Record<string, string | undefined>) {
  const b = { ...body };
  // Flink also accepts the parameters as query parameters; the body wins.
  b.entryClass ??= query['entry-class'];
  b.parallelism ??= query.parallelism;
  b.programArgs ??= query.programArg ?? query['program-args'];
  if (b.entryClass !== undefined && b.entryClass !== null && typeof b.entryClass !== 'string') throw badRequest('entryClass must be a string');
  let args: string[] = [];
  if (b.programArgsList !== undefined && b.programArgsList !== null) {
    if (!Array.isArray(b.programArgsList) || b.programArgsList.some((a) => typeof a !== 'string')) throw badRequest('programArgsList must be an array of strings');
    args = b.programArgsList as string[];
  } else if (typeof b.programArgs === 'string') {
    args = splitArgs(b.programArgs);
  } else if (b.programArgs !== undefined && b.programArgs !== null) {
    throw badRequest('programArgs must be a string');
  }
  if (b.jobId !== undefined && b.jobId !== null && (typeof b.jobId !== 'string' || !JOB_ID.test(b.jobId))) {
    throw badRequest('jobId must be 32 lowercase hexadecimal characters');
  }
  if (b.flinkConfiguration !== undefined && b.flinkConfiguration !== null && (typeof b.flinkConfiguration !== 'object' || Array.isArray(b.flinkConfiguration))) {
    throw badRequest('flinkConfiguration must be an object of configuration key → value');
  }
  let configuration: Record<string, unknown> = {};
  if (b.flinkConfiguration) {
    try {
      compileJobConfig(b.flinkConfiguration as Record<string, unknown>);
    } catch (err) {
      if (err instanceof JobConfigError) throw badRequest(`flinkConfiguration: ${err.message}`);
      throw err;
    }
    configuration = b.flinkConfiguration as Record<string, unknown>;
  }
  // Keys ebbflow does not know (Flink users pass Flink's) are ignored, and the response says so.
  const warnings = configurationWarnings(configuration);
  const savepointPath = b.savepointPath ?? query.savepointPath;
  if (savepointPath !== undefined && savepointPath !== null && (typeof savepointPath !== 'string' || savepointPath === '')) throw badRequest('savepointPath must be a non-empty string');
  return {
    configuration,
    warnings,
    savepointPath: (savepointPath as string | undefined) ?? '',
    entryClass: (b.entryClass as string | undefined) ?? '',
    args,
    parallelism: parseParallelism(b.parallelism),
    jobId: (b.jobId as string | undefined) ?? randomBytes(16).toString('hex'),
  };
}

/** Validates a savepoint before anything starts: it must exist, be readable and fit the parallelism. */
async function checkSavepoint(path: string, parallelism: number, configuration: Record<string, unknown>): Promise<string> {
  const dir = resolve(basename(path) === METADATA_FILE ? dirname(path) : path);
  let meta;
  try {
    meta = await readMetadata(dir);
  } catch {
    // One answer whatever the reason, so the API does not tell which paths exist on the server.
    throw badRequest(`savepointPath: no readable savepoint or retained checkpoint at ${path} (a directory holding a valid ${METADATA_FILE} of at most ${MAX_METADATA_BYTES} bytes)`);
  }
  if (parallelism > meta.maxParallelism) {
    throw badRequest(`parallelism ${parallelism} exceeds the savepoint's max parallelism ${meta.maxParallelism} (its number of key groups, fixed for the job's life)`);
  }
  const maxP = configuration['pipeline.max-parallelism'];
  if (maxP !== undefined && Number(maxP) !== meta.maxParallelism) {
    throw badRequest(`pipeline.max-parallelism ${maxP} differs from the savepoint's ${meta.maxParallelism}; key groups cannot change`);
  }
  return dir;
}

async function waitUntilAccepted(d: Dispatcher, jobId: string, timeoutMs: number): Promise<JobRecord | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rec = await d.registry.get(jobId);
    if (rec && rec.state !== 'INITIALIZING') return rec;
    if (Date.now() >= deadline) return rec;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The run response: the job id, and `warnings` (unknown configuration keys) when there are any. */
const runResponse = (jobid: string, warnings: string[]) => (warnings.length ? { jobid, warnings } : { jobid });

const tooLarge = (d: Dispatcher) => new HttpError(413, `The bundle is larger than the limit of ${d.options.maxUploadBytes} bytes (EBBFLOW_MAX_UPLOAD_BYTES)`);

/** Stores the one file of a multipart upload (field `jarfile`); a second file or another field name is refused. */
async function receiveBundle(req: FastifyRequest, d: Dispatcher): Promise<{ filename: string; status: string }> {
  // One byte over the limit reaches the store, which then refuses the upload with 413 and removes
  // its temp file (busboy alone truncates silently at the limit).
  let stored: { id: string } | undefined;
  try {
    for await (const part of req.parts({ limits: { fileSize: d.options.maxUploadBytes + 1, files: 2 } })) {
      if (part.type !== 'file') continue;
      if (stored) {
        part.file.resume();
        throw badRequest('The upload holds more than one file: send exactly one bundle in the field "jarfile"');
      }
      if (part.fieldname !== 'jarfile') {
        part.file.resume();
        throw badRequest(`The bundle must be sent in the multipart field "jarfile", not "${part.fieldname}"`);
      }
      stored = await d.bundles.save(part.filename, part.file);
      if (part.file.truncated) throw tooLarge(d);
    }
  } catch (err) {
    if (stored) await d.bundles.delete(stored.id).catch(() => {});
    if (err instanceof BundleRejectedError) throw new HttpError(err.statusCode, err.message);
    const e = err as { code?: string; message: string };
    if (e.code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(d);
    throw err;
  }
  if (!stored) throw badRequest('The multipart request holds no file: send the bundle in the field "jarfile"');
  return { filename: stored.id, status: 'success' };
}

/** The TaskManagers of every job not ended, plus the new one's, must stay within the dispatcher's limit. */
async function checkDispatcherLimit(d: Dispatcher, parallelism: number, jobId: string): Promise<void> {
  const slots = d.options.slotsPerTaskManager;
  const running = (await d.registry.list()).filter((j) => !isTerminal(j.state) && j.id !== jobId);
  const used = running.reduce((n, j) => n + Math.ceil(Math.max(j.parallelism, ...(j.vertices ?? []).map((v) => v.parallelism)) / slots), 0);
  const wanted = Math.ceil(parallelism / slots);
  if (used + wanted > d.options.maxTaskManagers) {
    throw badRequest(`the dispatcher's jobs have ${used} TaskManagers and this one needs ${wanted}; together at most ${d.options.maxTaskManagers} (EBBFLOW_MAX_TASKMANAGERS)`);
  }
}

export function jarRoutes(app: FastifyInstance, d: Dispatcher): void {
  let uploading = 0;
  app.post('/jars/upload', async (req, reply) => {
    if (!req.isMultipart()) throw new HttpError(415, 'Upload a bundle as multipart/form-data with the file in the field "jarfile"');
    if (uploading >= d.options.maxConcurrentUploads) {
      reply.header('Retry-After', '5');
      throw new HttpError(503, `${uploading} uploads are in progress (the limit, EBBFLOW_MAX_CONCURRENT_UPLOADS); retry shortly`);
    }
    // The slot is free when the handler is done or the connection closes (a client gone mid-upload), whichever comes first.
    uploading++;
    let freed = false;
    const free = () => { if (!freed) { freed = true; uploading--; } };
    reply.raw.once('close', free);
    try {
      return await receiveBundle(req, d);
    } finally {
      free();
    }
  });

  app.get('/jars', async (req) => {
    const files = await d.bundles.list();
    return {
      address: `${req.protocol}://${req.host}`,
      files: files.map((f) => ({ id: f.id, name: f.name, uploaded: f.uploaded, entry: [{ name: f.entry ?? 'default', description: null }] })),
    };
  });

  app.delete<{ Params: { jarid: string } }>('/jars/:jarid', async (req) => {
    if (!(await d.bundles.delete(req.params.jarid))) throw notFound(`Jar "${req.params.jarid}" does not exist`);
    return {};
  });

  app.post<{ Params: { jarid: string }; Body: RunBody | undefined; Querystring: Record<string, string | undefined> }>('/jars/:jarid/run', async (req) => {
    const jar = await d.bundles.get(req.params.jarid);
    if (!jar) throw notFound(`Jar "${req.params.jarid}" does not exist`);
    const type = req.headers['content-type'];
    if (req.body !== undefined && type !== undefined && !/^application\/json\b/i.test(type)) throw new HttpError(415, `The run request body must be JSON (Content-Type: application/json), not ${type}`);
    if (req.body !== undefined && req.body !== null && (typeof req.body !== 'object' || Array.isArray(req.body))) throw badRequest('The run request body must be a JSON object');
    const run = parseRunRequest(req.body ?? {}, req.query);
    checkTaskManagerLimit(run.parallelism, d.options.slotsPerTaskManager, d.options.maxTaskManagersPerJob);
    await checkDispatcherLimit(d, run.parallelism, run.jobId);
    const argBytes = run.args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
    if (argBytes > d.options.maxProgramArgsBytes) throw badRequest(`the program arguments take ${argBytes} bytes; at most ${d.options.maxProgramArgsBytes} are accepted`);
    if (run.savepointPath) run.savepointPath = await checkSavepoint(run.savepointPath, run.parallelism, run.configuration);
    const now = Date.now();
    const created = await d.registry.create({
      id: run.jobId, name: jar.name, state: 'INITIALIZING', jarId: jar.id, bundlePath: jar.bundlePath, entryClass: run.entryClass,
      programArgs: run.args, parallelism: run.parallelism, maxParallelism: 0, submitTime: now, startTime: now,
      configuration: run.configuration, savepointPath: run.savepointPath,
    });
    if (!created) {
      const existing = await d.registry.get(run.jobId);
      if (existing?.jarId !== jar.id) throw conflict(`Job ${run.jobId} already exists (from another jar)`);
      return runResponse(run.jobId, run.warnings);
    }
    await d.submissions.submit(run.jobId);
    // Planning ends within its timeout (the supervisor fails it then), so the answer is never 200 for a job still planning.
    const waitMs = Math.max(d.options.runTimeoutMs, d.options.planningTimeoutMs + 5000);
    const rec = await waitUntilAccepted(d, run.jobId, waitMs);
    if (rec?.state === 'FAILED') throw badRequest(`Job ${run.jobId} failed to start: ${rec.failureCause}`);
    if (rec?.state === 'CANCELED' || rec?.state === 'CANCELLING') throw conflict(`Job ${run.jobId} was cancelled before it started`);
    if (!rec || rec.state === 'INITIALIZING') throw new HttpError(503, `Job ${run.jobId} was not accepted within ${waitMs} ms; see GET /jobs/${run.jobId}`);
    return runResponse(run.jobId, run.warnings);
  });
}
