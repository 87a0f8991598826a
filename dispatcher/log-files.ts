/**
 * Log files served by the REST API (TaskManager and job process logs under `<dataDir>/logs/<jobid>/`).
 * A file is only ever served by a name taken from the directory's own listing, and only when it is a
 * regular file (not a link): nothing outside those directories can be reached.
 */
import { createReadStream } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFound } from './errors.js';

export interface LogFile { name: string; size: number; mtime: number }

/** The regular files of `dir` whose name passes `accept`, by name; none when the directory is gone. */
export async function listLogs(dir: string, accept: (name: string) => boolean): Promise<LogFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: LogFile[] = [];
  for (const name of names.filter(accept).sort()) {
    const st = await lstat(join(dir, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined; // removed between the listing and now
      throw err;
    });
    if (st?.isFile()) out.push({ name, size: st.size, mtime: st.mtimeMs });
  }
  return out;
}

/** A whole log, or its last `lines` lines. */
export type LogContent = NodeJS.ReadableStream | string;

/** Opens `name` of `files` (a listing): the file, or its last `lines` lines. 404 for a name not listed. */
export async function readLog(dir: string, files: LogFile[], name: string, lines?: number): Promise<LogContent> {
  const f = files.find((x) => x.name === name);
  if (!f) throw new NotFound(`There is no log file ${JSON.stringify(name)}`);
  const path = join(dir, f.name);
  return lines === undefined ? createReadStream(path) : tail(path, lines);
}

const CHUNK = 64 * 1024;

/** The last `lines` lines of a file, read backwards in chunks (a log may be large). */
export async function tail(path: string, lines: number): Promise<string> {
  if (lines <= 0) return '';
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    let pos = size;
    let text = '';
    // One more newline than lines wanted (the file usually ends with one).
    while (pos > 0 && (text.match(/\n/g)?.length ?? 0) <= lines) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      text = buf.toString('utf8') + text;
    }
    const all = text.split('\n');
    const trailing = all.at(-1) === '' ? all.pop() : undefined;
    return all.slice(-lines).join('\n') + (trailing !== undefined ? '\n' : '');
  } finally {
    await fh.close();
  }
}
