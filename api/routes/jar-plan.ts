/**
 * GET|POST /jars/:jarid/plan — Flink's JobPlanInfo of a stored bundle, for the dashboard's submit
 * page: the request (Flink's JarPlanRequestBody, or its query parameters) is planned in a short-lived
 * child process; the dispatcher never runs the bundle's code.
 */
import type { FastifyInstance } from 'fastify';
import type { DispatcherGateway } from '../../dispatcher/index.js';
import type { JarPlan } from '../../dispatcher/dashboard-service.js';
import { routeSchema } from '../request-schemas.js';

interface PlanQuery { 'entry-class'?: string; entryClass?: string; programArg?: string; 'program-args'?: string; parallelism?: string }
interface PlanBody { entryClass?: string | null; programArgs?: string | null; programArgsList?: string[] | null; parallelism?: number | null; jobId?: string | null; flinkConfiguration?: Record<string, unknown> | null }

const splitArgs = (s: string): string[] => [...s.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);

function planInfo(plan: JarPlan) {
  const { graph, caps } = plan;
  return {
    plan: {
      jid: '', name: graph.name, type: 'STREAMING',
      nodes: graph.vertices.map((v) => {
        const inputs = graph.edges.filter((e) => e.target === v.id).map((e, num) => ({ num, id: e.source, ship_strategy: e.partitioning, exchange: 'pipelined_bounded' }));
        return {
          id: v.id, parallelism: Math.min(v.parallelism, caps[v.id] ?? v.parallelism), maxParallelism: caps[v.id] ?? graph.maxParallelism,
          operator: v.name, operator_strategy: '', description: (v.operatorNames ?? [v.name]).join(' -> '),
          ...(inputs.length ? { inputs } : {}), optimizer_properties: {},
        };
      }),
    },
  };
}

export function jarPlanRoutes(app: FastifyInstance, gw: DispatcherGateway): void {
  const handler = async (jarId: string, body: PlanBody | null | undefined, query: PlanQuery) => {
    const b = body ?? {};
    const args = b.programArgs ?? query.programArg ?? query['program-args'];
    return planInfo(await gw.planJar(jarId, {
      entryClass: b.entryClass ?? query['entry-class'] ?? query.entryClass ?? undefined,
      programArgs: b.programArgsList ?? (args !== undefined ? splitArgs(args) : []),
      parallelism: b.parallelism ?? query.parallelism ?? undefined,
    }));
  };
  type Req = { Params: { jarid: string }; Querystring: PlanQuery; Body: PlanBody | null };
  app.get<Req>('/jars/:jarid/plan', { schema: routeSchema('GET /jars/{jarid}/plan') }, async (req) => handler(req.params.jarid, undefined, req.query));
  app.post<Req>('/jars/:jarid/plan', { schema: routeSchema('POST /jars/{jarid}/plan') }, async (req) => handler(req.params.jarid, req.body, req.query));
}
