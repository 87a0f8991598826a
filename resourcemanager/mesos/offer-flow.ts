/**
 * The offer-flow calls of the Mesos driver (ACCEPT, DECLINE, SUPPRESS, REVIVE),
 * sent one at a time and in order: each rides its own HTTP connection, so two
 * in flight could reach the master in either order, and a SUPPRESS overtaking a
 * REVIVE would leave the framework without offers while requests wait.
 */
import type { Logger } from 'pino';
import type { SchedulerClient } from './scheduler-client.js';

export class OfferFlow {
  private chain: Promise<void> = Promise.resolve();
  private suppressed = false;
  declined = 0;

  constructor(private readonly client: SchedulerClient, private readonly role: string, private readonly logger: Logger) {}

  /** Runs `step` after every offer call queued before it. */
  inOrder(step: () => Promise<void>): Promise<void> {
    const next = this.chain.then(step).catch((err) => this.logger.warn({ err: (err as Error).message }, 'a Mesos offer call failed'));
    this.chain = next;
    return next;
  }

  /** A new subscription starts unsuppressed, and calls queued for the old one are moot. */
  resubscribed(): void {
    this.chain = Promise.resolve();
    this.suppressed = false;
  }

  /** Brings SUPPRESS/REVIVE in line with whether requests wait (queued behind earlier offer calls). */
  sync(wantOffers: () => boolean): void {
    void this.inOrder(async () => {
      if (!this.client.connected) return;
      const want = wantOffers();
      if (want && this.suppressed) {
        this.suppressed = false;
        await this.client.call({ type: 'REVIVE', revive: { roles: [this.role] } }).catch((err) => { this.suppressed = true; throw err; });
      } else if (!want && !this.suppressed) {
        this.suppressed = true;
        await this.client.call({ type: 'SUPPRESS', suppress: { roles: [this.role] } }).catch((err) => { this.suppressed = false; throw err; });
      }
    });
  }

  /** DECLINE with a refuse filter; a failure only costs the filter (the offers return with the subscription). */
  async decline(offerIds: string[], refuseSeconds: number): Promise<void> {
    if (!offerIds.length) return;
    this.declined += offerIds.length;
    await this.client.call({ type: 'DECLINE', decline: { offer_ids: offerIds.map((value) => ({ value })), filters: { refuse_seconds: refuseSeconds } } })
      .catch((err) => this.logger.warn({ err: err.message }, 'DECLINE failed (the offers return to Mesos with the subscription)'));
  }
}
