/**
 * Both encodings of the Mesos v1 scheduler API, from one object form.
 *
 * ebbflow works with messages in Mesos' own JSON form (not proto3 JSON): keys
 * are the proto field names in snake_case, enums are their names, bytes are
 * standard base64, 64-bit integers are numbers. `application/json` bodies are
 * that form as text; `application/x-protobuf` bodies are the proto2 binary
 * encoding of the same message, produced through protobufjs from the
 * descriptors in proto/mesos/. Decoding either one checks what Mesos checks:
 * required fields present anywhere in the tree, enums given by name (a JSON
 * number for an enum is an error), values of the right kind; unknown keys are
 * dropped, and an unknown enum name in an optional field is dropped too.
 */
import protobuf from 'protobufjs';
import root from '../../proto/generated/mesos.js';
import { MesosWireError } from './errors.js';

export type ContentType = 'application/json' | 'application/x-protobuf';
export const JSON_TYPE: ContentType = 'application/json';
export const PROTOBUF_TYPE: ContentType = 'application/x-protobuf';

export const CallType = root.lookupType('mesos.v1.scheduler.Call');
export const EventType = root.lookupType('mesos.v1.scheduler.Event');

const TO_OBJECT: protobuf.IConversionOptions = { enums: String, bytes: String, longs: Number, arrays: false, objects: false, defaults: false };

/**
 * Checks a JSON value against a message type the way Mesos' JSON→protobuf
 * conversion does, and returns a cleaned copy (unknown keys and unknown optional
 * enum names dropped, "true"/"false" strings turned into booleans).
 */
export function checkJson(type: protobuf.Type, value: unknown, path = ''): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new MesosWireError(`${path || type.name}: expected a JSON object`);
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const field of type.fieldsArray) {
    const at = path ? `${path}.${field.name}` : field.name;
    const v = src[field.name];
    if (v === undefined || v === null) {
      if (field.required) missing.push(at);
      continue;
    }
    field.resolve();
    if (field instanceof protobuf.MapField) {
      if (typeof v !== 'object' || Array.isArray(v)) throw new MesosWireError(`${at}: expected a JSON object`);
      const m: Record<string, unknown> = {};
      for (const [k, mv] of Object.entries(v as Record<string, unknown>)) m[k] = checkValue(field, mv, `${at}.${k}`);
      out[field.name] = m;
    } else if (field.repeated) {
      if (!Array.isArray(v)) throw new MesosWireError(`${at}: expected a JSON array`);
      const items = v.map((item, i) => checkValue(field, item, `${at}[${i}]`)).filter((x) => x !== DROP);
      out[field.name] = items;
    } else {
      const c = checkValue(field, v, at);
      if (c === DROP) {
        if (field.required) throw new MesosWireError(`${at}: unknown enum value ${JSON.stringify(v)}`);
        continue;
      }
      out[field.name] = c;
    }
  }
  if (missing.length) throw new MesosWireError(`Missing required fields: ${missing.join(', ')}`);
  return out;
}

const DROP = Symbol('drop');

function checkValue(field: protobuf.Field, v: unknown, at: string): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return checkJson(rt, v, at);
  if (rt instanceof protobuf.Enum) {
    if (typeof v !== 'string') throw new MesosWireError(`${at}: an enum must be given by name, not ${JSON.stringify(v)}`);
    return v in rt.values ? v : DROP;
  }
  switch (field.type) {
    case 'string':
      if (typeof v !== 'string') throw new MesosWireError(`${at}: expected a string`);
      return v;
    case 'bytes':
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) throw new MesosWireError(`${at}: expected standard base64`);
      return v;
    case 'bool':
      if (v === 'true' || v === 'false') return v === 'true';
      if (typeof v !== 'boolean') throw new MesosWireError(`${at}: expected a boolean`);
      return v;
    case 'double': case 'float':
      if (v === 'Infinity' || v === '-Infinity') return v === 'Infinity' ? Infinity : -Infinity;
      return number(v, at, false);
    default:
      return number(v, at, true);
  }
}

function number(v: unknown, at: string, integer: boolean): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new MesosWireError(`${at}: expected ${integer ? 'an integer' : 'a number'}`);
  return n;
}

/** Encodes a message given in Mesos JSON form. */
export function encodeMessage(type: protobuf.Type, obj: object, contentType: ContentType): Buffer {
  const clean = checkJson(type, obj);
  if (contentType === JSON_TYPE) return Buffer.from(JSON.stringify(clean));
  return Buffer.from(type.encode(type.fromObject(clean)).finish());
}

/** Decodes a body into Mesos JSON form; throws MesosWireError with the reason. */
export function decodeMessage<T = Record<string, unknown>>(type: protobuf.Type, body: Uint8Array, contentType: ContentType): T {
  if (contentType === JSON_TYPE) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body).toString('utf8'));
    } catch (err) {
      throw new MesosWireError(`Failed to parse body into JSON: ${(err as Error).message}`);
    }
    return type.toObject(type.fromObject(checkJson(type, parsed)), TO_OBJECT) as T;
  }
  let msg: protobuf.Message;
  try {
    msg = type.decode(body);
  } catch (err) {
    throw new MesosWireError(`Failed to parse body into ${type.name} protobuf: ${(err as Error).message}`);
  }
  return type.toObject(msg, TO_OBJECT) as T;
}

/** 16 random bytes as base64 (a TaskStatus/Acknowledge uuid in JSON form). */
export function uuidBytesBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}
