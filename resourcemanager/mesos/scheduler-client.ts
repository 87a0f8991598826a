/**
 * A Mesos v1 scheduler HTTP client (Flink's ConnectionMonitor and scheduler
 * driver in one): keeps a SUBSCRIBE stream open to the leading master and
 * sends calls on separate connections.
 *
 * - The stream is read with the byte-level RecordIO decoder; the first event
 *   decides (SUBSCRIBED or ERROR). Every record resets a watchdog; silence for
 *   `heartbeatMisses` × the heartbeat interval counts as a partition.
 * - A broken or silent stream is closed and SUBSCRIBE is retried with
 *   exponential backoff and jitter, with the stored framework id, trying each
 *   configured master in turn and following 307 redirects to the leader.
 * - Every call carries the current `Mesos-Stream-Id` and framework id. Network
 *   errors and 5xx are retried within the same subscription; a call that cannot
 *   be delivered rejects, it is never dropped silently.
 * - ERROR "Framework has been removed" forgets the framework id and emits
 *   `removed`; "Framework failed over" means another instance took over, so the
 *   client stops (`failedOver`).
 */
import { EventEmitter } from 'node:events';
import { request, type ClientRequest } from 'node:http';
import type { Logger } from 'pino';
import { ConfigError } from '../../config/index.js';
import { CallType, decodeMessage, encodeMessage, EventType, JSON_TYPE, type ContentType } from './codec.js';
import { MesosCallError, MesosNotSubscribedError, MesosTimeoutError } from './errors.js';
import { post, resolveRedirect, schedulerEndpoint } from './http-post.js';
import { RecordIODecoder } from './recordio.js';
import type { Call, Event, FrameworkInfo } from './types.js';

export interface SchedulerClientOptions {
  /** Master addresses (`host:port` or `http://host:port`), tried in turn. */
  masters: string[];
  contentType: ContentType;
  frameworkInfo: FrameworkInfo;
  /** A framework id to re-subscribe with (failover of the scheduler). */
  frameworkId?: string;
  /** Basic auth credential for masters with HTTP framework authentication. */
  principal?: string;
  secret?: string;
  /** Missed heartbeat intervals before the stream counts as dead. @default 5 */
  heartbeatMisses?: number;
  /** Reconnect backoff. @default 1000 / 15000 */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** @default 75000 */
  callTimeoutMs?: number;
  /** Attempts per call on network errors and 5xx. @default 4 */
  callAttempts?: number;
  logger: Logger;
}

export interface SchedulerClientEvents {
  subscribed: [frameworkId: string, resubscribed: boolean];
  event: [Event];
  disconnected: [reason: string];
  removed: [message: string];
  failedOver: [message: string];
}

export class SchedulerClient extends EventEmitter<SchedulerClientEvents> {
  private readonly masters: URL[];
  private leader: URL;
  private masterIndex = 0;
  private streamId: string | undefined;
  private current: ClientRequest | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private stopped = false;
  private everSubscribed = false;
  frameworkId: string | undefined;
  /** Counters for logs and tests. */
  readonly stats = { subscribes: 0, reconnects: 0, redirects: 0, callsRetried: 0 };

  constructor(private readonly opts: SchedulerClientOptions) {
    super();
    if (!opts.masters.length) throw new ConfigError('EBBFLOW_CONFIG_MISSING', 'mesos.master', 'no Mesos master configured: set mesos.master (or --mesos-master, env EBBFLOW_MESOS_MASTER)');
    this.masters = opts.masters.map(schedulerEndpoint);
    this.leader = this.masters[0];
    this.frameworkId = opts.frameworkId;
  }

  get connected(): boolean { return this.streamId !== undefined; }
  get leaderUrl(): string { return this.leader.href; }

  start(): void {
    this.stopped = false;
    this.subscribe();
  }

  /** Closes the stream and stops reconnecting (the framework stays registered until its failover timeout). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.dropStream();
  }

  private authHeader(): Record<string, string> {
    if (!this.opts.principal) return {};
    return { Authorization: `Basic ${Buffer.from(`${this.opts.principal}:${this.opts.secret ?? ''}`).toString('base64')}` };
  }

  private subscribe(redirects = 0): void {
    if (this.stopped) return;
    const info: FrameworkInfo = { ...this.opts.frameworkInfo, ...(this.frameworkId ? { id: { value: this.frameworkId } } : {}) };
    const call: Call = { type: 'SUBSCRIBE', subscribe: { framework_info: info }, ...(this.frameworkId ? { framework_id: { value: this.frameworkId } } : {}) };
    const body = encodeMessage(CallType, call, this.opts.contentType);
    const url = this.leader;
    this.stats.subscribes++;
    const req = request(url, {
      method: 'POST',
      headers: { 'Content-Type': this.opts.contentType, Accept: this.opts.contentType, 'Content-Length': String(body.length), Connection: 'close', ...this.authHeader() },
    });
    this.current = req;
    let settled = false;
    const fail = (reason: string, nextMaster: boolean) => {
      if (settled) return;
      settled = true;
      if (this.current === req) this.current = undefined;
      req.destroy();
      this.lost(reason, nextMaster);
    };
    req.on('error', (err) => fail(`subscription to ${url.host} failed: ${err.message}`, true));
    req.on('response', (res) => {
      if (res.statusCode === 307 && res.headers.location && redirects < 5) {
        res.resume();
        settled = true;
        this.leader = resolveRedirect(res.headers.location, url);
        this.stats.redirects++;
        this.opts.logger.info({ leader: this.leader.host }, 'redirected to the leading Mesos master');
        this.subscribe(redirects + 1);
        return;
      }
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => fail(`SUBSCRIBE to ${url.host} answered ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`, res.statusCode === 503 || res.statusCode === 307));
        return;
      }
      const streamId = String(res.headers['mesos-stream-id'] ?? '');
      const ct = String(res.headers['content-type'] ?? '') as ContentType;
      const decoder = new RecordIODecoder();
      let first = true;
      this.armWatchdog(15, req);
      res.on('data', (chunk: Buffer) => {
        let records: Buffer[];
        let events: Event[];
        try {
          records = decoder.push(chunk);
          events = records.map((r) => decodeMessage<Event>(EventType, r, ct === JSON_TYPE ? JSON_TYPE : this.opts.contentType));
        } catch (err) {
          fail(`the event stream from ${url.host} is corrupt: ${(err as Error).message}`, false);
          return;
        }
        for (const ev of events) {
          if (settled || this.stopped) return;
          this.armWatchdog(this.heartbeatSeconds, req);
          if (first) {
            first = false;
            if (ev.type === 'ERROR') { settled = true; this.onSubscribeError(ev.error.message, req); return; }
            if (ev.type !== 'SUBSCRIBED') { fail(`the first event from ${url.host} was ${ev.type}, not SUBSCRIBED`, false); return; }
            this.streamId = streamId;
            this.frameworkId = ev.subscribed.framework_id.value;
            this.heartbeatSeconds = ev.subscribed.heartbeat_interval_seconds ?? 15;
            this.attempt = 0;
            const again = this.everSubscribed;
            this.everSubscribed = true;
            this.armWatchdog(this.heartbeatSeconds, req);
            this.opts.logger.info({ frameworkId: this.frameworkId, master: url.host, resubscribed: again }, 'subscribed to Mesos');
            this.emit('subscribed', this.frameworkId, again);
            continue;
          }
          if (ev.type === 'ERROR') { settled = true; this.onStreamError(ev.error.message, req); return; }
          if (ev.type === 'HEARTBEAT') continue;
          this.emit('event', ev);
        }
      });
      res.on('end', () => fail(`the Mesos master ${url.host} closed the event stream`, false));
      res.on('error', (err) => fail(`the event stream from ${url.host} broke: ${err.message}`, false));
      res.on('close', () => fail(`the event stream from ${url.host} closed`, false));
    });
    req.end(body);
  }

  private heartbeatSeconds = 15;

  private armWatchdog(intervalSeconds: number, req: ClientRequest): void {
    clearTimeout(this.watchdog);
    const ms = intervalSeconds * 1000 * (this.opts.heartbeatMisses ?? 5);
    this.watchdog = setTimeout(() => {
      if (this.current !== req) return;
      this.opts.logger.warn({ silentMs: ms }, 'no heartbeat from the Mesos master; reconnecting');
      req.destroy(new MesosTimeoutError(`no event or heartbeat for ${ms} ms`));
    }, ms);
    this.watchdog.unref();
  }

  private onSubscribeError(message: string, req: ClientRequest): void {
    req.destroy();
    if (this.current === req) this.current = undefined;
    clearTimeout(this.watchdog);
    if (/has been removed/i.test(message)) {
      this.opts.logger.warn({ frameworkId: this.frameworkId, message }, 'the Mesos framework was removed; subscribing as a new framework');
      this.frameworkId = undefined;
      this.emit('removed', message);
      this.scheduleReconnect(false);
      return;
    }
    this.opts.logger.error({ message }, 'Mesos refused the subscription');
    this.lost(`Mesos refused the subscription: ${message}`, false);
  }

  private onStreamError(message: string, req: ClientRequest): void {
    req.destroy();
    if (this.current === req) this.current = undefined;
    this.streamId = undefined;
    clearTimeout(this.watchdog);
    if (/failed over/i.test(message)) {
      this.stopped = true;
      this.opts.logger.error({ message }, 'another scheduler took this framework over; stopping');
      this.emit('failedOver', message);
      return;
    }
    this.lost(`Mesos sent ERROR: ${message}`, false);
  }

  private lost(reason: string, nextMaster: boolean): void {
    clearTimeout(this.watchdog);
    const wasConnected = this.streamId !== undefined;
    this.streamId = undefined;
    if (this.stopped) return;
    this.opts.logger.warn({ reason }, 'Mesos subscription lost');
    if (wasConnected || this.attempt === 0) this.emit('disconnected', reason);
    if (nextMaster && this.masters.length > 1) {
      this.masterIndex = (this.masterIndex + 1) % this.masters.length;
      this.leader = this.masters[this.masterIndex];
    }
    this.scheduleReconnect(true);
  }

  private scheduleReconnect(backoff: boolean): void {
    clearTimeout(this.reconnectTimer);
    const base = this.opts.backoffInitialMs ?? 1000;
    const delay = backoff ? Math.min(base * 2 ** this.attempt, this.opts.backoffMaxMs ?? 15000) * (1 + Math.random() * 0.2) : 0;
    this.attempt++;
    this.stats.reconnects++;
    this.reconnectTimer = setTimeout(() => this.subscribe(), delay);
  }

  private dropStream(): void {
    clearTimeout(this.watchdog);
    this.streamId = undefined;
    const req = this.current;
    this.current = undefined;
    req?.destroy();
  }

  /** Drops the current stream on purpose (tests), as a network failure would. */
  breakStream(): void {
    this.current?.destroy(new Error('stream dropped on purpose'));
  }

  /**
   * Sends a call (framework id and stream id filled in). Resolves on 2xx; retries network errors,
   * 503 and 5xx within the same subscription; rejects with MesosCallError otherwise.
   */
  async call(call: Omit<Call, 'framework_id'>): Promise<void> {
    const attempts = this.opts.callAttempts ?? 4;
    let lastError: MesosCallError | undefined;
    for (let i = 0; i < attempts; i++) {
      const streamId = this.streamId;
      if (!streamId || !this.frameworkId) throw new MesosNotSubscribedError(`${call.type} not sent: not subscribed to Mesos${lastError ? ` (${lastError.message})` : ''}`);
      const body = encodeMessage(CallType, { ...call, framework_id: { value: this.frameworkId } }, this.opts.contentType);
      let url = this.leader;
      try {
        for (let hop = 0; ; hop++) {
          const res = await post(url, body, { 'Content-Type': this.opts.contentType, 'Mesos-Stream-Id': streamId, ...this.authHeader() }, this.opts.callTimeoutMs ?? 75000);
          if (res.status === 307 && res.headers.location && hop < 3) { url = resolveRedirect(res.headers.location, url); continue; }
          if (res.status >= 200 && res.status < 300) return;
          const text = res.body.toString('utf8').slice(0, 300);
          lastError = new MesosCallError(`${call.type} answered ${res.status}: ${text}`, res.status);
          if (res.status < 500) throw lastError;
          break;
        }
      } catch (err) {
        if (err instanceof MesosCallError && (err.status ?? 500) < 500) throw err;
        lastError = err instanceof MesosCallError ? err : new MesosCallError(`${call.type} to ${url.host} failed: ${(err as Error).message}`);
      }
      this.stats.callsRetried++;
      await new Promise((r) => setTimeout(r, 200 * 2 ** i));
      if (this.streamId !== streamId) break; // re-subscribed meanwhile: the caller must re-decide (offers are gone)
    }
    throw lastError ?? new MesosCallError(`${call.type} could not be delivered`);
  }
}
