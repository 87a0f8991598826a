#!/usr/bin/env node
/**
 * Generates rest/generated/rest-schemas.ts (fastify JSON schemas for the params, query string and
 * JSON body of every route, `$ref`s resolved) and rest/generated/rest-types.ts (TypeScript types of
 * the component schemas and of every operation's request and response bodies) from openapi.yaml.
 * With --check it writes nothing and fails when the committed files differ from what it would write
 * (`npm run check:openapi`, part of `npm test`).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const spec = parse(readFileSync(join(root, 'openapi.yaml'), 'utf8'));
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const HEADER = '// Generated from openapi.yaml by scripts/gen-openapi.mjs (npm run gen:openapi). Do not edit.\n';

function lookup(ref) {
  return ref.replace(/^#\//, '').split('/').reduce((o, k) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
}

/** A validation schema: `$ref`s inlined, documentation keywords (except `title`, used in messages) dropped. */
function resolved(schema) {
  if (Array.isArray(schema)) return schema.map(resolved);
  if (schema === null || typeof schema !== 'object') return schema;
  if (schema.$ref) return resolved(lookup(schema.$ref));
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'description' || k === 'example' || k === 'default' || k === 'format') continue;
    // Property maps and enums hold names and values, not schemas to clean (a property may be called "description").
    if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, resolved(s)]));
    else if (k === 'enum' || k === 'required') out[k] = v;
    else out[k] = resolved(v);
  }
  return out;
}

const param = (p) => (p.$ref ? lookup(p.$ref) : p);

/** The fastify schema of one operation: params, querystring, body (JSON content only). */
function routeSchema(op) {
  const out = {};
  const params = (op.parameters ?? []).map(param);
  for (const [where, key] of [['path', 'params'], ['query', 'querystring']]) {
    const ps = params.filter((p) => p.in === where);
    if (!ps.length) continue;
    const required = ps.filter((p) => p.required).map((p) => p.name);
    out[key] = { type: 'object', properties: Object.fromEntries(ps.map((p) => [p.name, resolved(p.schema)])), ...(required.length ? { required } : {}) };
  }
  const body = op.requestBody?.content?.['application/json']?.schema;
  if (body) {
    const schema = resolved(body);
    // An optional body may be absent: the JSON parser hands the validator null then.
    if (!op.requestBody.required) schema.nullable = true;
    out.body = { content: { 'application/json': { schema } } };
  }
  return out;
}

// ---- TypeScript types ----

const pascal = (s) => s.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_m, _a, c) => c.toUpperCase());
const key = (k) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : JSON.stringify(k));
const COMPONENT = '#/components/schemas/';
/** A description's first sentence, for a doc comment. */
const summary = (d) => String(d).trim().replace(/\s+/g, ' ').replace(/\*\//g, '* /').split(/(?<=\.) /)[0].slice(0, 200);

function ts(schema, indent = '') {
  if (schema === undefined || schema === true) return 'unknown';
  if (schema.$ref) {
    if (schema.$ref.startsWith(COMPONENT)) return pascal(schema.$ref.slice(COMPONENT.length));
    return ts(lookup(schema.$ref), indent);
  }
  let t = base(schema, indent);
  const alts = schema.anyOf ?? schema.oneOf;
  if (alts) {
    const union = alts.map((a) => ts(a, indent)).join(' | ');
    t = t === 'unknown' || t === 'Record<string, unknown>' ? union : `${t} & (${union})`;
  }
  if (schema.allOf) t = schema.allOf.map((a) => ts(a, indent)).join(' & ');
  if (schema.nullable && t !== 'null' && !t.endsWith('| null')) t = `${t} | null`;
  return t;
}

function base(schema, indent) {
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  switch (schema.type) {
    case 'string': return 'string';
    case 'integer': case 'number': return 'number';
    case 'boolean': return 'boolean';
    case 'array': return `Array<${ts(schema.items, indent)}>`;
    case 'object': case undefined: break;
    default: throw new Error(`type ${schema.type} is not supported`);
  }
  if (schema.type === undefined && !schema.properties && schema.additionalProperties === undefined) return 'unknown';
  const props = Object.entries(schema.properties ?? {});
  const extra = schema.additionalProperties;
  if (!props.length) {
    if (extra === false) return 'Record<string, never>';
    return `Record<string, ${extra && extra !== true ? ts(extra, indent) : 'unknown'}>`;
  }
  const inner = `${indent}  `;
  const required = new Set(schema.required ?? []);
  const lines = props.map(([k, s]) => {
    const doc = s.description ? `${inner}/** ${summary(s.description)} */\n` : '';
    return `${doc}${inner}${key(k)}${required.has(k) ? '' : '?'}: ${ts(s, inner)};`;
  });
  if (extra !== false) lines.push(`${inner}[key: string]: unknown;`);
  return `{\n${lines.join('\n')}\n${indent}}`;
}

function typesModule() {
  const out = [HEADER, '/* eslint-disable */', ''];
  for (const [name, schema] of Object.entries(spec.components.schemas)) {
    if (schema.description) out.push(`/** ${summary(schema.description)} */`);
    out.push(`export type ${pascal(name)} = ${ts(schema)};`, '');
  }
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!METHODS.includes(method)) continue;
      const name = pascal(op.operationId);
      const params = (op.parameters ?? []).map(param);
      for (const [where, suffix] of [['path', 'Params'], ['query', 'Query']]) {
        const ps = params.filter((p) => p.in === where);
        if (!ps.length) continue;
        const lines = ps.map((p) => `  ${key(p.name)}${p.required ? '' : '?'}: ${ts(p.schema, '  ')};`);
        out.push(`/** ${method.toUpperCase()} ${path}: ${where} parameters. */`, `export interface ${name}${suffix} {\n${lines.join('\n')}\n}`, '');
      }
      const body = op.requestBody?.content?.['application/json']?.schema;
      if (body) out.push(`/** ${method.toUpperCase()} ${path}: request body. */`, `export type ${name}Request = ${ts(body)};`, '');
      for (const status of ['200', '202']) {
        let resp = op.responses?.[status];
        if (resp?.$ref) resp = lookup(resp.$ref);
        const schema = resp?.content?.['application/json']?.schema;
        if (schema) out.push(`/** ${method.toUpperCase()} ${path}: the ${status} answer. */`, `export type ${name}Response = ${ts(schema)};`, '');
      }
    }
  }
  return out.join('\n');
}

function schemasModule() {
  const routes = {};
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!METHODS.includes(method)) continue;
      const s = routeSchema(op);
      if (Object.keys(s).length) routes[`${method.toUpperCase()} ${path}`] = s;
    }
  }
  return `${HEADER}
/** Validation schemas of a route's parts, as fastify takes them (the body per content type). */
export interface RouteSchema {
  params?: Record<string, unknown>;
  querystring?: Record<string, unknown>;
  body?: { content: Record<string, { schema: Record<string, unknown> }> };
}

/** Every route with parameters or a JSON body, keyed "METHOD /path/{param}" as in openapi.yaml. */
export const ROUTE_SCHEMAS: Record<string, RouteSchema> = ${JSON.stringify(routes, null, 2)};
`;
}

/** The generated files (path relative to the project root → text), from openapi.yaml as it is now. */
export function generatedFiles() {
  return {
    'rest/generated/rest-schemas.ts': schemasModule(),
    'rest/generated/rest-types.ts': typesModule(),
  };
}

function main() {
  const check = process.argv.includes('--check');
  const stale = [];
  for (const [file, text] of Object.entries(generatedFiles())) {
    const path = join(root, file);
    let current;
    try { current = readFileSync(path, 'utf8'); } catch { current = undefined; }
    if (current === text) continue;
    if (check) { stale.push(file); continue; }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote ${file}`);
  }
  if (stale.length) {
    console.error(`${stale.join(', ')} ${stale.length > 1 ? 'are' : 'is'} out of date with openapi.yaml: run npm run gen:openapi and commit the result`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
