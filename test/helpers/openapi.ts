/**
 * openapi.yaml as a test oracle: response bodies are validated against the
 * schema the spec gives for (method, path, status).
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { expect } from 'vitest';

export const SPEC_PATH = new URL('../../openapi.yaml', import.meta.url);
export const spec = parse(readFileSync(SPEC_PATH, 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, any> }>>;
  components: any;
};

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema({ ...spec, $id: 'spec' } as object, 'spec');

const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function resolve(ref: string): any {
  return ref.replace(/^#\//, '').split('/').reduce((o: any, k) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')], spec as any);
}

/** Validates `body` against the spec's JSON schema for this response; fails the test otherwise. */
export async function expectSpecResponse(method: string, path: string, status: number, body: unknown): Promise<void> {
  const op = spec.paths[path]?.[method.toLowerCase()];
  expect(op, `openapi.yaml has no ${method.toUpperCase()} ${path}`).toBeTruthy();
  let resp = op!.responses[String(status)];
  expect(resp, `openapi.yaml has no ${status} response for ${method.toUpperCase()} ${path}`).toBeTruthy();
  let pointer = `#/paths/${esc(path)}/${method.toLowerCase()}/responses/${status}`;
  if (resp.$ref) { pointer = resp.$ref; resp = resolve(resp.$ref); }
  expect(resp.content?.['application/json'], `${method} ${path} ${status} is not JSON in the spec`).toBeTruthy();
  const validate = ajv.getSchema(`spec${pointer}/content/application~1json/schema`) ?? ajv.compile({ $ref: `spec${pointer}/content/application~1json/schema` });
  const ok = validate(body);
  expect(ok, `${method.toUpperCase()} ${path} ${status} does not match openapi.yaml: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`).toBe(true);
}
