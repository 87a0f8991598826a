/** /overview, /taskmanagers, /config: cluster-wide views in Flink's shapes; /cluster/leader: who leads (HA). */
import type { FastifyInstance } from 'fastify';
import type { DispatcherGateway } from '../../dispatcher/index.js';
import { isTerminal } from '../../metadata/index.js';
import type { ClusterLeaderResponse, ClusterOverviewResponse, DashboardConfigResponse, ListTaskManagersResponse } from '../../rest/index.js';
import { VERSION } from '../version.js';
import { taskManagerInfo } from '../views/index.js';

export function clusterRoutes(app: FastifyInstance, gw: DispatcherGateway): void {
  app.get('/overview', async (): Promise<ClusterOverviewResponse> => {
    const jobs = await gw.listJobs();
    const tms = await gw.taskManagers();
    const count = (s: string) => jobs.filter((j) => j.state === s).length;
    return {
      taskmanagers: tms.length,
      'slots-total': tms.reduce((a, t) => a + t.slotsNumber, 0),
      'slots-available': tms.reduce((a, t) => a + t.freeSlots, 0),
      'jobs-running': jobs.filter((j) => !isTerminal(j.state)).length,
      'jobs-finished': count('FINISHED'),
      'jobs-cancelled': count('CANCELED'),
      'jobs-failed': count('FAILED'),
      'flink-version': VERSION,
      'flink-commit': 'ebbflow',
    };
  });

  app.get('/cluster/leader', async (): Promise<ClusterLeaderResponse> => gw.leadership());

  app.get('/taskmanagers', async (): Promise<ListTaskManagersResponse> => ({ taskmanagers: (await gw.taskManagers()).map((t) => taskManagerInfo(t)) }));

  app.get('/config', async (): Promise<DashboardConfigResponse> => ({
    'refresh-interval': 3000,
    'timezone-name': Intl.DateTimeFormat().resolvedOptions().timeZone,
    'timezone-offset': -new Date().getTimezoneOffset() * 60 * 1000,
    'flink-version': VERSION,
    'flink-revision': 'ebbflow',
    features: { 'web-submit': true, 'web-cancel': true, 'web-rescale': true, 'web-history': false },
  }));
}
