/**
 * Pino options that mask secrets in every log line a process writes: the finished JSON line passes
 * through {@link maskText}, so the message, the fields, the base fields and child bindings are all
 * covered. Field-path redaction (pino's `redact`) would need every path named in advance; a
 * sensitive key can sit at any depth (`configuration["…secret"]`), so the line is masked instead.
 */
import type { LoggerOptions } from 'pino';
import { maskText } from './secrets.js';

/** A secret and its JSON-escaped form (a secret inside a JSON line is escaped as JSON is). */
function formsOf(secrets: readonly string[]): string[] {
  return [...new Set(secrets.filter(Boolean).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
}

/**
 * Options to spread into `pino({...})`: URL user-info, `"sensitive-key":"value"` fields and each of
 * `knownSecrets` (the Redis password, the REST token, a job's secret settings) read as `******`.
 */
export function maskingLogOptions(knownSecrets: readonly string[] = []): Pick<LoggerOptions, 'hooks'> {
  const forms = formsOf(knownSecrets);
  return { hooks: { streamWrite: (line: string) => maskText(line, forms) } };
}

/**
 * Masking for a process that learns its secrets after its logger exists (a TaskManager learns the
 * job's program arguments with its first deployment): `add` extends the set every later line is
 * masked with.
 */
export function growingMaskingLogOptions(): { options: Pick<LoggerOptions, 'hooks'>; add(secrets: readonly string[]): void } {
  let forms: string[] = [];
  return {
    options: { hooks: { streamWrite: (line: string) => maskText(line, forms) } },
    add: (secrets) => { forms = [...new Set([...forms, ...formsOf(secrets)])]; },
  };
}
