/**
 * The job's rescale history as its job process recorded it (metadata/rescale-history.ts), for
 * `GET /jobs/:jobid/rescales/*`, with the settings that shape rescales (Flink's JobRescaleConfigInfo).
 */
import { compileJobConfig } from '../jobmaster/job-config.js';
import type { JobRegistry } from '../metadata/index.js';
import type { RescaleDetailsView, RescaleHistoryView, RescaleSettings } from './dispatcher-gateway.js';
import { dispatcherConfiguration, type CompiledDispatcherOptions } from './dispatcher-options.js';
import { NotFound } from './errors.js';
import { HEX_ID, type JobService } from './job-service.js';

/** How long a rescale waits for its TaskManagers when the job does not say (the job spec's slot request timeout). */
const DEFAULT_RESOURCE_WAIT_MS = 60_000;

export class RescaleHistoryService {
  constructor(
    private readonly registry: JobRegistry,
    private readonly jobs: JobService,
    private readonly options: Pick<CompiledDispatcherOptions, 'providerDefaults' | 'defaultConfiguration'>,
  ) {}

  async history(jobId: string): Promise<RescaleHistoryView> {
    const job = await this.jobs.getJob(jobId);
    const { rescales, counts } = await this.registry.rescaleHistory(job.id);
    return { job, rescales, counts, settings: this.settings(job.configuration) };
  }

  async details(jobId: string, rescaleId: string): Promise<RescaleDetailsView> {
    const job = await this.jobs.getJob(jobId);
    const rescale = HEX_ID.test(rescaleId) ? (await this.registry.rescaleHistory(job.id)).rescales.find((r) => r.id === rescaleId) : undefined;
    if (!rescale) throw new NotFound(`Job ${job.id} has no rescale ${rescaleId} in its history (it keeps the newest ${this.settings(job.configuration).historySize})`);
    return { job, rescale };
  }

  /** The job's settings as its job process compiled them: the dispatcher's defaults under the job's own keys. */
  private settings(configuration: Record<string, unknown>): RescaleSettings {
    const c = compileJobConfig({ ...dispatcherConfiguration(this.options), ...configuration });
    return {
      historySize: c.rescaleHistorySize,
      resourceWaitTimeoutMs: c.resourceWaitTimeoutMs ?? DEFAULT_RESOURCE_WAIT_MS,
      resourceStabilizationTimeoutMs: c.resourceStabilizationTimeoutMs,
    };
  }
}
