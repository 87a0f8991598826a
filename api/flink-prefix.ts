/**
 * Flink's REST client (RestClusterClient, hence `flink list|savepoint|stop|cancel|checkpoint`)
 * puts its API version before every path: `/v1/jobs/overview`. Every REST route is therefore also
 * served under `/v1/`, by rewriting the URL before routing (so routes added anywhere get it too,
 * and each route is registered and described once). The web form's files are not: they live only
 * at the root, and `/v1/`, `/v1/ui/...` and `/v1/openapi.yaml` answer 404.
 */
import { UI_PATHS } from './ui-files.js';

export const FLINK_API_PREFIX = '/v1';

/** The URL the router sees for a request's URL. */
export function withoutFlinkPrefix(url: string): string {
  if (!url.startsWith(`${FLINK_API_PREFIX}/`)) return url;
  const rest = url.slice(FLINK_API_PREFIX.length);
  const path = rest.split('?')[0]!;
  if (UI_PATHS.has(path) || path.startsWith('/ui/') || path === '/openapi.yaml') return url;
  return rest;
}
