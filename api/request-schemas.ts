/**
 * Request validation from openapi.yaml: the generated schemas of rest/ attached to the routes, an
 * Ajv compiler for them, and the translation of Ajv's findings into `{"errors"}` messages that
 * name the field. Query strings and path parameters are coerced strictly (an integer only from
 * digits, like Flink's Integer.parseInt; an enum in any case); bodies are not coerced at all.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';
import type { ShapeProblem } from '../dispatcher/index.js';
import { ROUTE_SCHEMAS } from '../rest/index.js';

type Schema = Record<string, any>;

/** The generated schema of a route, by its openapi.yaml name ("PATCH /jobs/{jobid}/rescaling"). */
export function routeSchema(route: string): FastifySchema {
  const s = ROUTE_SCHEMAS[route];
  if (!s) throw new Error(`openapi.yaml has no parameters or JSON body for ${route}`);
  return s as FastifySchema;
}

/**
 * The schema's refusal of a request of a route compiled with `attachValidation` (undefined when it
 * passed). Such routes hand it to the gateway, which throws it after looking up the job or jar, so
 * an unknown id still answers 404 (and an unrescalable job 409) before a bad field answers 400.
 */
export function schemaRefusal(req: FastifyRequest): Error | undefined {
  return req.validationError ?? undefined;
}

/** Converts one query or path value to its schema's type, leaving it as it is when it does not fit (the schema then says so). */
function coerce(schema: Schema, raw: string): unknown {
  const t = raw.trim();
  switch (schema.type) {
    case 'integer': return /^[+-]?\d+$/.test(t) ? Number(t) : raw;
    case 'number': return /^[+-]?(\d+\.?\d*|\.\d+)$/.test(t) ? Number(t) : raw;
    case 'boolean': return t === 'true' ? true : t === 'false' ? false : raw;
    case 'string': return Array.isArray(schema.enum) ? (schema.enum.find((e: unknown) => typeof e === 'string' && e.toLowerCase() === t.toLowerCase()) ?? raw) : raw;
    default: return raw;
  }
}

function coerceParameters(schema: Schema, data: unknown): void {
  if (typeof data !== 'object' || data === null) return;
  const values = data as Record<string, unknown>;
  for (const [name, s] of Object.entries<Schema>(schema.properties ?? {})) {
    const v = values[name];
    if (typeof v !== 'string') continue;
    // An empty number is no number: `?parallelism=` is a missing parallelism.
    if (v.trim() === '' && (s.type === 'integer' || s.type === 'number')) delete values[name];
    else values[name] = coerce(s, v);
  }
}

/** Findings for query parameters given more than once where the schema wants one value (keyword `repeated`). */
function repeatedParameters(schema: Schema, data: unknown): ErrorObject[] {
  if (typeof data !== 'object' || data === null) return [];
  const values = data as Record<string, unknown>;
  return Object.entries<Schema>(schema.properties ?? {})
    .filter(([name, s]) => Array.isArray(values[name]) && s.type !== 'array')
    .map(([name, s]) => ({
      keyword: 'repeated', instancePath: `/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, schemaPath: `#/properties/${name}`,
      params: { count: (values[name] as unknown[]).length }, message: 'must be given once', data: values[name], parentSchema: s,
    }));
}

/** Compiles the route schemas: every problem at once, Ajv's details kept for the messages. */
export function installRequestValidation(app: FastifyInstance): void {
  const ajv = new Ajv({ strict: false, allErrors: true, verbose: true, coerceTypes: false, useDefaults: false, removeAdditional: false });
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const validate = ajv.compile(schema as Schema);
    if (httpPart !== 'querystring' && httpPart !== 'params') return validate;
    const fn = (data: unknown) => {
      // `?mode=cancel&mode=x` arrives as an array: refuse it by name before the type checks, which would say it twice and less clearly.
      const repeated = repeatedParameters(schema as Schema, data);
      if (repeated.length) {
        fn.errors = repeated;
        return false;
      }
      coerceParameters(schema as Schema, data);
      const ok = validate(data);
      fn.errors = validate.errors;
      return ok;
    };
    fn.errors = null as ValidateFunction['errors'];
    return fn;
  });
}

const ARTICLE: Record<string, string> = { integer: 'an integer', number: 'a number', string: 'a string', boolean: 'a boolean', object: 'an object', array: 'an array' };

/** A schema in a few words: its title, else its type(s). */
function describe(s: Schema | undefined): string {
  if (!s) return 'a value';
  if (typeof s.title === 'string') return s.title;
  const alts = s.anyOf ?? s.oneOf;
  if (Array.isArray(alts)) return alts.map(describe).join(' or ');
  const t = ARTICLE[s.type as string] ?? 'a value';
  return s.nullable ? `${t} or null` : t;
}

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 100 ? `${s.slice(0, 100)}…` : s;
};

const pathOf = (pointer: string): string[] => pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));

/** One problem per field: alternatives (anyOf) that all failed are one problem, unknown fields of one object are one. */
export function shapeProblems(errors: ErrorObject[]): Array<ShapeProblem & { keyword: string }> {
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const inner = (e: ErrorObject) => anyOfs.some((a) => a !== e && e.schemaPath.startsWith(`${a.schemaPath}/`));
  const out: Array<ShapeProblem & { keyword: string }> = [];
  const unknown = new Map<string, { problem: ShapeProblem; names: string[] }>();
  for (const e of errors) {
    if (inner(e)) continue;
    const path = pathOf(e.instancePath);
    const p = e.params as Record<string, any>;
    switch (e.keyword) {
      case 'required': {
        const name = String(p.missingProperty);
        out.push({ keyword: e.keyword, path: [...path, name], problem: `must be ${describe((e.parentSchema as Schema)?.properties?.[name])}, got nothing` });
        break;
      }
      case 'additionalProperties': {
        let u = unknown.get(e.instancePath);
        if (!u) {
          u = { problem: { path, problem: '' }, names: [] };
          unknown.set(e.instancePath, u);
          out.push(Object.assign(u.problem, { keyword: e.keyword }));
        }
        u.names.push(JSON.stringify(p.additionalProperty));
        break;
      }
      case 'minimum': case 'exclusiveMinimum': out.push({ keyword: e.keyword, path, problem: `must be at least ${p.limit}, got ${show(e.data)}` }); break;
      case 'maximum': case 'exclusiveMaximum': out.push({ keyword: e.keyword, path, problem: `must be at most ${p.limit}, got ${show(e.data)}` }); break;
      case 'enum': out.push({ keyword: e.keyword, path, problem: `must be one of ${(p.allowedValues as unknown[]).map((v) => show(v)).join(', ')}, got ${show(e.data)}` }); break;
      case 'repeated': out.push({ keyword: e.keyword, path, problem: `must be given once, got ${p.count} values ${show(e.data)}` }); break;
      case 'minLength': out.push({ keyword: e.keyword, path, problem: p.limit === 1 ? 'must not be empty' : `must have at least ${p.limit} characters` }); break;
      case 'type': case 'pattern': case 'anyOf': case 'oneOf':
        out.push({ keyword: e.keyword, path, problem: `must be ${describe(e.parentSchema as Schema)}, got ${show(e.data)}` });
        break;
      default: out.push({ keyword: e.keyword, path, problem: `${e.message ?? 'is not valid'}, got ${show(e.data)}` });
    }
  }
  for (const u of unknown.values()) u.problem.problem = `has unknown field(s) ${u.names.join(', ')}`;
  return out;
}

/** Messages for a refused request part, naming each field (and, for a missing query parameter, the usage). */
export function validationMessages(errors: ErrorObject[], part: string, method: string, url: string): string[] {
  // The usage's placeholder: <n> for a number, as the messages have always said.
  const placeholder = (name: string) => {
    const type = errors.find((e) => e.keyword === 'required' && e.params.missingProperty === name)?.parentSchema?.properties?.[name]?.type;
    return type === 'integer' || type === 'number' ? '<n>' : '<value>';
  };
  return shapeProblems(errors).map(({ keyword, path, problem }) => {
    if (part === 'querystring' && keyword === 'required' && path.length === 1) {
      return `the query parameter "${path[0]}" is missing: ${method} ${url.replace(/:(\w+)/g, '<$1>')}?${path[0]}=${placeholder(path[0]!)}`;
    }
    if (part === 'querystring' && keyword === 'repeated') return `the query parameter "${path[0]}" ${problem}`;
    const subject = path.length ? path.join('.') : part === 'body' ? 'the request body' : `the ${part}`;
    return `${subject} ${problem}`;
  });
}
