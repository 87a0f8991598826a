/**
 * Reads one option's value: parses it by the declaration's type and checks its
 * range, throwing a ConfigError that names where the value came from (the
 * configuration key, the environment variable or the flag) and what it must be.
 * Durations are milliseconds: a number, or a string like "500 ms", "2 s", "1 min".
 */
import { ConfigError } from './errors.js';
import { defaultOf, type OptionDecl } from './option.js';

/** Node's timers hold at most 2^31 − 1 ms (about 24.8 days); longer delays fire at once. */
export const MAX_DURATION_MS = 2_147_483_647;

const UNITS: Record<string, number> = {
  ms: 1, milli: 1, millis: 1, s: 1000, sec: 1000, second: 1000, seconds: 1000,
  min: 60000, m: 60000, minute: 60000, minutes: 60000, h: 3600000, hour: 3600000, hours: 3600000,
};

/** A value for an error message, cut short (values may be huge or deeply nested). */
export function describeValue(v: unknown): string {
  let text: string;
  try { text = JSON.stringify(v) ?? String(v); } catch { text = typeof v; }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** "a, b or c" */
function oneOf(values: readonly string[]): string {
  return values.length <= 1 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

/** Parses a duration in ms (a number, or "500 ms", "2 s", "1 min"); `label` names the setting in the error. */
export function parseDuration(label: string, v: unknown): number {
  let ms: number | undefined;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) ms = Math.round(v);
  else if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
    const unit = m?.[2]?.toLowerCase() || 'ms';
    if (m && UNITS[unit] !== undefined) ms = Math.round(Number(m[1]) * UNITS[unit]!);
  }
  if (ms === undefined) throw new ConfigError('EBBFLOW_CONFIG_TYPE', label, `${label} must be a duration (milliseconds, or e.g. "500 ms", "2 s"), got ${describeValue(v)}`);
  if (ms > MAX_DURATION_MS) throw new ConfigError('EBBFLOW_CONFIG_RANGE', label, `${label} must be at most ${MAX_DURATION_MS} ms (about 24.8 days), got ${describeValue(v)}`);
  return ms;
}

function readInt(d: OptionDecl, label: string, v: unknown): number {
  const min = d.min ?? 0;
  const max = d.max ?? Number.MAX_SAFE_INTEGER;
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    const code = typeof n === 'number' && Number.isInteger(n) ? 'EBBFLOW_CONFIG_RANGE' : 'EBBFLOW_CONFIG_TYPE';
    throw new ConfigError(code, label, `${label} must be an integer from ${min} to ${max}, got ${describeValue(v)}`);
  }
  return n;
}

function readNumber(d: OptionDecl, label: string, v: unknown): number {
  const min = d.min ?? 0;
  const max = d.max ?? Number.MAX_SAFE_INTEGER;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
    const code = typeof n === 'number' && Number.isFinite(n) ? 'EBBFLOW_CONFIG_RANGE' : 'EBBFLOW_CONFIG_TYPE';
    throw new ConfigError(code, label, `${label} must be a number from ${min} to ${max}, got ${describeValue(v)}`);
  }
  return n;
}

function readDuration(d: OptionDecl, label: string, v: unknown): number {
  const ms = parseDuration(label, v);
  if (d.max !== undefined && ms > d.max) throw new ConfigError('EBBFLOW_CONFIG_RANGE', label, `${label} must be at most ${d.max} ms, got ${describeValue(v)}`);
  if (d.min !== undefined && ms < d.min) throw new ConfigError('EBBFLOW_CONFIG_RANGE', label, `${label} must be at least ${d.min} ms, got ${ms}`);
  return ms;
}

function readEnum(d: OptionDecl, label: string, v: unknown): string {
  const values = d.values ?? [];
  if (typeof v === 'string') {
    if (values.includes(v)) return v;
    const lower = v.trim().toLowerCase();
    if (values.includes(lower)) return lower;
    const alias = d.aliases?.[lower];
    if (alias !== undefined) return alias;
  }
  throw new ConfigError('EBBFLOW_CONFIG_RANGE', label, `${label} must be ${oneOf(values)}, got ${describeValue(v)}`);
}

function readString(d: OptionDecl, label: string, v: unknown): string {
  if (typeof v === 'string' || (typeof v === 'number' && !d.expected)) return String(v);
  throw new ConfigError('EBBFLOW_CONFIG_TYPE', label, `${label} must be ${d.expected ?? 'a string'}, got ${describeValue(v)}`);
}

function readBool(label: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  throw new ConfigError('EBBFLOW_CONFIG_TYPE', label, `${label} must be true or false, got ${describeValue(v)}`);
}

function readList(label: string, v: unknown): string[] {
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  throw new ConfigError('EBBFLOW_CONFIG_TYPE', label, `${label} must be a comma-separated list, got ${describeValue(v)}`);
}

function readMap(label: string, v: unknown): Record<string, unknown> {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  throw new ConfigError('EBBFLOW_CONFIG_TYPE', label, `${label} must be an object of key → value, got ${describeValue(v)}`);
}

/**
 * Parses and checks one value by its declaration. `label` is what the message names: the key
 * (default), or the environment variable or flag the value came from.
 */
export function readOption<T>(d: OptionDecl<T>, v: unknown, label: string = d.key): T {
  let value: unknown;
  switch (d.type) {
    case 'int': value = readInt(d, label, v); break;
    case 'number': value = readNumber(d, label, v); break;
    case 'duration': value = readDuration(d, label, v); break;
    case 'enum': value = readEnum(d, label, v); break;
    case 'string': value = readString(d, label, v); break;
    case 'bool': value = readBool(label, v); break;
    case 'list': value = readList(label, v); break;
    case 'map': value = readMap(label, v); break;
  }
  const problem = d.check?.(value as T);
  if (problem) throw new ConfigError('EBBFLOW_CONFIG_RANGE', label, `${label} ${problem}, got ${describeValue(value)}`);
  return value as T;
}

/**
 * Reads a declared key from a configuration map, or its default when the key is absent. A job key
 * given as null is a bad value; provider and address keys treat null as absent (as the Mesos keys always did).
 */
export function readKey<T>(conf: Record<string, unknown>, d: OptionDecl<T>): T | undefined {
  const v = conf[d.key];
  if (v === undefined || (v === null && d.scope !== 'job')) return defaultOf(d);
  return readOption(d, v);
}
