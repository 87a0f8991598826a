/**
 * Tears down the Mesos framework of a job whose process died (the job is gone
 * for good): a non-subscribe call needs a live subscription, so the reaper
 * subscribes with the stored framework id (taking the framework over), sends
 * TEARDOWN — Mesos kills every task of it — and forgets the stored state. Runs
 * in the dispatcher; it starts no user code.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { jobFrameworkInfo, parseMesosSettings, type MesosDefaults } from './mesos-config.js';
import { SchedulerClient } from './scheduler-client.js';
import { RedisWorkerStore } from './worker-store.js';

export interface ReapOptions {
  redis: Redis;
  keyPrefix: string;
  jobId: string;
  configuration: Record<string, unknown>;
  defaults: MesosDefaults;
  logger: Logger;
  /** @default 15000 */
  timeoutMs?: number;
}

/** Resolves true when the framework is gone (torn down now or removed before), false when Mesos could not be reached in time. */
export async function reapFramework(o: ReapOptions): Promise<boolean> {
  const store = new RedisWorkerStore(o.redis, o.keyPrefix, o.jobId);
  const frameworkId = await store.frameworkId();
  if (!frameworkId) { await store.clear(); return true; }
  const m = parseMesosSettings(o.configuration, o.defaults);
  const client = new SchedulerClient({
    masters: m.masters, contentType: m.contentType, frameworkId, principal: m.principal, secret: m.secret, logger: o.logger,
    backoffInitialMs: 200, backoffMaxMs: 2000,
    frameworkInfo: jobFrameworkInfo(m, o.jobId),
  });
  const gone = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), o.timeoutMs ?? 15_000);
    const finish = (ok: boolean) => { clearTimeout(timer); resolve(ok); };
    client.once('removed', () => finish(true));
    client.once('failedOver', () => finish(false));
    client.once('subscribed', () => {
      client.call({ type: 'TEARDOWN' }).then(() => finish(true), (err: Error) => { o.logger.warn({ err: err.message }, 'TEARDOWN failed'); finish(false); });
    });
    client.start();
  });
  client.stop();
  if (gone) {
    await store.clear();
    o.logger.info({ jobId: o.jobId, frameworkId }, 'Mesos framework of a dead job process torn down');
  } else {
    o.logger.warn({ jobId: o.jobId, frameworkId }, 'could not tear down the Mesos framework of a dead job process; Mesos removes it after its failover timeout (mesos.failover-timeout)');
  }
  return gone;
}
