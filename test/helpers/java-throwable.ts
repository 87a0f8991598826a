/**
 * Reads Flink SerializedThrowable bytes with the JDK (javac + java, required: a machine without
 * them fails the test loudly): compiles test/helpers/java/ (a stub of Flink's class with its
 * fields and serialVersionUID, and a decoder) once per process, then decodes base64 strings.
 *
 * javac and java run asynchronously. The integration tests run the dispatcher in the test's own
 * process, and a synchronous child process stops its event loop: javac takes over 5 s on a loaded
 * 2-core machine, longer than the server's keep-alive timeout, and when the loop resumes Node runs
 * the expired idle timer before it reads the request the client has meanwhile sent on that
 * connection, so the server closes the socket under it and the client gets ECONNRESET.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCES = fileURLToPath(new URL('./java/', import.meta.url));
let classes: Promise<string> | undefined;

/** `cmd`'s standard output, `input` on its standard input; rejects when it cannot start or exits non-zero. */
function run(cmd: string, args: string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} failed: ${err.message}${stderr ? `\n${stderr}` : ''}`));
      else resolve(stdout);
    });
    child.stdin?.on('error', () => {}); // EPIPE when it could not start or exited early: the callback reports that
    child.stdin?.end(input);
  });
}

function compiled(): Promise<string> {
  classes ??= (async () => {
    const out = mkdtempSync(join(tmpdir(), 'ebbflow-java-'));
    const files = [join(SOURCES, 'DecodeThrowable.java'), ...readdirSync(join(SOURCES, 'org/apache/flink/util')).map((f) => join(SOURCES, 'org/apache/flink/util', f))];
    await run('javac', ['-d', out, ...files]).catch((err: Error) => {
      classes = undefined; // the next call tries again
      throw new Error(`javac is needed to check the Java serialization of failure causes (install a JDK 17): ${err.message}`);
    });
    return out;
  })();
  return classes;
}

export interface DecodedThrowable {
  message: string | null;
  originalErrorClassName: string | null;
  fullStringifiedStackTrace: string | null;
  serializedExceptionNull: boolean;
  causeNull: boolean;
  stackTraceLength: number;
}

const unb64 = (s: string) => (s === '-' ? null : Buffer.from(s, 'base64').toString('utf8'));

/** Each base64 input read by ObjectInputStream into Flink's SerializedThrowable; an Error for one Java could not read. */
export async function decodeWithJava(inputs: string[]): Promise<Array<DecodedThrowable | Error>> {
  const out = await run('java', ['-cp', await compiled(), 'DecodeThrowable'], `${inputs.join('\n')}\n`);
  return out.trim().split('\n').map((line) => {
    const f = line.split(' ');
    if (f[0] === 'ERROR') return new Error(unb64(f[1]!) ?? 'unknown');
    return {
      message: unb64(f[0]!), originalErrorClassName: unb64(f[1]!), fullStringifiedStackTrace: unb64(f[2]!),
      serializedExceptionNull: f[3] === 'true', causeNull: f[4] === 'true', stackTraceLength: Number(f[5]),
    };
  });
}
