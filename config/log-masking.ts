/**
 * Pino options that mask secrets in every log line a process writes: the finished JSON line passes
 * through {@link maskText}, so the message, the fields, the base fields and child bindings are all
 * covered. Field-path redaction (pino's `redact`) would need every path named in advance; a
 * sensitive key can sit at any depth (`configuration["…secret"]`), so the line is masked instead.
 */
import type { LoggerOptions } from 'pino';
import { maskText } from './secrets.js';

/**
 * Options to spread into `pino({...})`: URL user-info, `"sensitive-key":"value"` fields and each of
 * `knownSecrets` (the Redis password, the REST token, a job's secret settings) read as `******`.
 */
export function maskingLogOptions(knownSecrets: readonly string[] = []): Pick<LoggerOptions, 'hooks'> {
  const secrets = knownSecrets.filter(Boolean);
  // A secret inside a JSON line is escaped as JSON is; search for that form as well.
  const forms = [...new Set(secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
  return { hooks: { streamWrite: (line: string) => maskText(line, forms) } };
}
