/**
 * The job's autoscaler from the dispatcher's side: its state as the job process published it
 * (metadata/autoscaler-state.ts) for `GET /jobs/:jobid/autoscaler`, and changes of its settings
 * (`PATCH`), checked here against the same option table as a run request and then recorded and
 * queued for the job process like a rescale request (an operation of kind `autoscaler`), which
 * applies them and answers the settings in force.
 */
import { randomBytes } from 'node:crypto';
import { applyAutoscalerChange, autoscalerConfiguration, DEFAULT_AUTOSCALER_OPTIONS, readAutoscalerOptions, type AutoscalerOptions } from '../autoscaler/index.js';
import { ConfigError } from '../config/index.js';
import { unpublishedAutoscalerView } from '../jobmaster/autoscaler-view.js';
import type { AutoscalerInfo, JobRecord, JobRegistry } from '../metadata/index.js';
import type { OperationView, RequestRefusal } from './dispatcher-gateway.js';
import { dispatcherConfiguration, type CompiledDispatcherOptions } from './dispatcher-options.js';
import { InvalidRequest, JobNotInState, NotFound } from './errors.js';
import { HEX_ID, type JobService } from './job-service.js';

export class AutoscalerService {
  constructor(
    private readonly registry: JobRegistry,
    private readonly jobs: JobService,
    private readonly options: Pick<CompiledDispatcherOptions, 'providerDefaults' | 'defaultConfiguration'>,
  ) {}

  /** The job's configuration as its job process compiled it: the dispatcher's defaults under the job's own keys. */
  private configured(job: JobRecord): Record<string, unknown> {
    return { ...dispatcherConfiguration(this.options), ...job.configuration };
  }

  async state(jobId: string): Promise<AutoscalerInfo> {
    const job = await this.jobs.getJob(jobId);
    const published = await this.registry.getAutoscaler(job.id);
    if (published) return published;
    let options: AutoscalerOptions;
    try {
      options = readAutoscalerOptions(this.configured(job));
    } catch {
      // A job recorded before its configuration was checked this way; it runs (if at all) without an autoscaler.
      options = DEFAULT_AUTOSCALER_OPTIONS;
    }
    return unpublishedAutoscalerView(job.id, options);
  }

  async change(jobId: string, body: unknown, refusal?: RequestRefusal): Promise<{ requestId: string; options: AutoscalerInfo['options'] }> {
    const job = await this.jobs.getJob(jobId);
    if (job.state !== 'RUNNING') throw new JobNotInState(`Job ${job.id} is ${job.state}; the autoscaler's settings change only while it runs`);
    if (refusal) throw refusal;
    const change = body as Record<string, unknown>;
    const earlier = (await this.registry.getAutoscaler(job.id))?.overrides ?? {};
    let options: AutoscalerOptions;
    try {
      ({ options } = applyAutoscalerChange(this.configured(job), earlier, change));
    } catch (err) {
      if (err instanceof ConfigError) throw new InvalidRequest(err.message);
      throw err;
    }
    const id = randomBytes(16).toString('hex');
    await this.registry.createOperation({ id, jobId: job.id, kind: 'autoscaler', targetDirectory: '', cancelJob: false, configuration: change });
    return { requestId: id, options: autoscalerConfiguration(options) };
  }

  async changeStatus(jobId: string, triggerId: string): Promise<OperationView> {
    const job = await this.jobs.getJob(jobId);
    const operation = HEX_ID.test(triggerId) ? await this.registry.getOperation(job.id, triggerId) : undefined;
    if (!operation || operation.kind !== 'autoscaler') throw new NotFound(`No autoscaler change ${triggerId} for job ${job.id}`);
    return { job, operation };
  }
}
