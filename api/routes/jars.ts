/**
 * /jars: upload (multipart field `jarfile`), list, delete, run. Flink's shapes;
 * the stored file's base name is the jar id.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart';
import { DISPATCHER_OPTIONS } from '../../config/index.js';
import { BundleRejected, type DispatcherGateway, type SubmitJobRequest } from '../../dispatcher/index.js';
import type { ListJarsResponse, RunJarQuery, RunJarRequest, UploadJarResponse } from '../../rest/index.js';
import { badRequest, HttpError } from '../errors.js';
import { routeSchema, schemaRefusal } from '../request-schemas.js';

/** Splits Flink's single-string `programArgs` on whitespace, honouring simple quotes. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** The run request from the body and Flink's query parameters (the body wins; null is absent). */
function runRequest(body: RunJarRequest, query: RunJarQuery): SubmitJobRequest {
  const programArgs = body.programArgs ?? query.programArg ?? query['program-args'];
  return {
    entryClass: body.entryClass ?? query['entry-class'] ?? undefined,
    programArgs: body.programArgsList ?? (programArgs !== undefined ? splitArgs(programArgs) : []),
    parallelism: body.parallelism ?? query.parallelism ?? undefined,
    jobId: body.jobId ?? undefined,
    savepointPath: body.savepointPath ?? query.savepointPath ?? undefined,
    configuration: body.flinkConfiguration ?? undefined,
  };
}

const tooLarge = (gw: DispatcherGateway) => new BundleRejected(`The bundle is larger than the limit of ${gw.uploadLimits.maxBytes} bytes (${DISPATCHER_OPTIONS.maxUploadBytes.env})`, 413);

/** Stores the one file of a multipart upload (field `jarfile`); a second file or another field name is refused. */
async function receiveBundle(req: FastifyRequest, gw: DispatcherGateway): Promise<UploadJarResponse> {
  // One byte over the limit reaches the store, which then refuses the upload with 413 and removes
  // its temp file (busboy alone truncates silently at the limit).
  let stored: { id: string } | undefined;
  try {
    for await (const part of req.parts({ limits: { fileSize: gw.uploadLimits.maxBytes + 1, files: 2 } })) {
      if (part.type !== 'file') continue;
      if (stored) {
        part.file.resume();
        throw badRequest('The upload holds more than one file: send exactly one bundle in the field "jarfile"');
      }
      if (part.fieldname !== 'jarfile') {
        part.file.resume();
        throw badRequest(`The bundle must be sent in the multipart field "jarfile", not "${part.fieldname}"`);
      }
      stored = await gw.storeJar(part.filename, part.file);
      if (part.file.truncated) throw tooLarge(gw);
    }
  } catch (err) {
    // Best effort: the client must see why the upload was refused, not why its cleanup failed.
    const jarId = stored?.id;
    if (jarId) await gw.discardJar(jarId).catch((e: unknown) => req.log.warn({ err: (e as Error).message, jarId }, 'could not remove a refused upload from the bundle store'));
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(gw);
    throw err;
  }
  if (!stored) throw badRequest('The multipart request holds no file: send the bundle in the field "jarfile"');
  return { filename: stored.id, status: 'success' };
}

export function jarRoutes(app: FastifyInstance, gw: DispatcherGateway): void {
  app.post('/jars/upload', async (req, reply) => {
    if (!req.isMultipart()) throw new HttpError(415, 'Upload a bundle as multipart/form-data with the file in the field "jarfile"');
    // The slot is free when the handler is done or the response closes (a client gone mid-upload), whichever comes first.
    const free = gw.reserveUpload();
    reply.raw.once('close', free);
    try {
      return await receiveBundle(req, gw);
    } finally {
      free();
    }
  });

  app.get('/jars', async (req): Promise<ListJarsResponse> => ({
    address: `${req.protocol}://${req.host}`,
    files: (await gw.listJars()).map((f) => ({ id: f.id, name: f.name, uploaded: f.uploaded, entry: [{ name: f.entry ?? 'default', description: null }] })),
  }));

  app.delete<{ Params: { jarid: string } }>('/jars/:jarid', { schema: routeSchema('DELETE /jars/{jarid}') }, async (req) => {
    await gw.deleteJar(req.params.jarid);
    return {};
  });

  // A body of the wrong type (415) or shape (400) is answered after the 404 of an unknown jar, as it always
  // was: the gateway throws the refusal once it found the jar.
  app.post<{ Params: { jarid: string }; Body: RunJarRequest | null | undefined; Querystring: RunJarQuery }>('/jars/:jarid/run', { schema: routeSchema('POST /jars/{jarid}/run'), attachValidation: true }, async (req) => {
    const type = req.headers['content-type'];
    const refusal = req.body != null && type !== undefined && !/^application\/json\b/i.test(type)
      ? new HttpError(415, `The run request body must be JSON (Content-Type: application/json), not ${type}`)
      : schemaRefusal(req);
    const request = refusal ? { programArgs: [] } : runRequest(req.body ?? {}, req.query);
    const { jobId, warnings } = await gw.submitJob(req.params.jarid, request, refusal);
    // `warnings` only when there are some: keys ebbflow does not know, ignored.
    return warnings?.length ? { jobid: jobId, warnings } : { jobid: jobId };
  });
}
