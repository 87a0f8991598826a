/**
 * Compiles a table of options (Temporal's options → defaults → compiled options):
 * each value comes from the caller if given, else from its environment variable,
 * else from its default, and every one is parsed and range-checked. A bad
 * value's error names where it came from: the option, the env var or the flag.
 */
import { defaultOf, type OptionDecl, type OptionValue } from './option.js';
import { readOption } from './read-option.js';

export type OptionTable = Record<string, OptionDecl<any>>;

/** Values a caller may give for a table's options. */
export type GivenOptions<T extends OptionTable> = { [K in keyof T]?: OptionValue<T[K]> };

/** Every option of a table, compiled (undefined only where an option has no default). */
export type CompiledOptions<T extends OptionTable> = { [K in keyof T]: OptionValue<T[K]> | undefined };

/** Reads one option: the given value, else its env var (an empty one counts as unset), else its default. */
export function compileOption<T>(d: OptionDecl<T>, given: T | undefined, env: NodeJS.ProcessEnv = process.env): T | undefined {
  if (given !== undefined) return readOption(d, given);
  const fromEnv = d.env ? env[d.env] : undefined;
  if (fromEnv !== undefined && fromEnv !== '') return readOption(d, fromEnv, d.env);
  return defaultOf(d);
}

/** Compiles every option of a table. */
export function compileOptions<T extends OptionTable>(table: T, given: GivenOptions<T>, env: NodeJS.ProcessEnv = process.env): CompiledOptions<T> {
  const out: Record<string, unknown> = {};
  for (const [name, d] of Object.entries(table)) out[name] = compileOption(d, given[name as keyof T], env);
  return out as CompiledOptions<T>;
}

/**
 * The configuration keys some options give a dispatcher-wide default to (their `configKey`), with
 * the values in `values` (e.g. `mesosMaster` → `mesos.master`). Values that are undefined are left out.
 */
export function configKeyDefaults(table: OptionTable, values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, d] of Object.entries(table)) {
    if (d.configKey && values[name] !== undefined) out[d.configKey] = values[name];
  }
  return out;
}
