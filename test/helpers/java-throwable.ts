/**
 * Reads Flink SerializedThrowable bytes with the JDK (javac + java, required: a machine without
 * them fails the test loudly): compiles test/helpers/java/ (a stub of Flink's class with its
 * fields and serialVersionUID, and a decoder) once per process, then decodes base64 strings.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCES = fileURLToPath(new URL('./java/', import.meta.url));
let classes: string | undefined;

function compiled(): string {
  if (classes) return classes;
  const out = mkdtempSync(join(tmpdir(), 'ebbflow-java-'));
  const files = [join(SOURCES, 'DecodeThrowable.java'), ...readdirSync(join(SOURCES, 'org/apache/flink/util')).map((f) => join(SOURCES, 'org/apache/flink/util', f))];
  try {
    execFileSync('javac', ['-d', out, ...files], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`javac is needed to check the Java serialization of failure causes (install a JDK 17): ${(err as Error).message}`);
  }
  classes = out;
  return out;
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
export function decodeWithJava(inputs: string[]): Array<DecodedThrowable | Error> {
  const out = execFileSync('java', ['-cp', compiled(), 'DecodeThrowable'], { input: `${inputs.join('\n')}\n`, encoding: 'utf8' });
  return out.trim().split('\n').map((line) => {
    const f = line.split(' ');
    if (f[0] === 'ERROR') return new Error(unb64(f[1]!) ?? 'unknown');
    return {
      message: unb64(f[0]!), originalErrorClassName: unb64(f[1]!), fullStringifiedStackTrace: unb64(f[2]!),
      serializedExceptionNull: f[3] === 'true', causeNull: f[4] === 'true', stackTraceLength: Number(f[5]),
    };
  });
}
