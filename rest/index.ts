/**
 * The REST API's contract, generated from openapi.yaml (`npm run gen:openapi`): fastify validation
 * schemas per route and the TypeScript types of request and response bodies. A bottom layer: api/,
 * dispatcher/, jobmaster/, metadata/ and bench/ may import it; it imports nothing of ebbflow.
 */
export { ROUTE_SCHEMAS } from './generated/rest-schemas.js';
export type { RouteSchema } from './generated/rest-schemas.js';
export type * from './generated/rest-types.js';
