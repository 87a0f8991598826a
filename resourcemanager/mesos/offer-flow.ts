/**
 * The offer-flow calls of the Mesos driver (ACCEPT, DECLINE, SUPPRESS, REVIVE),
 * sent one at a time and in order: each rides its own HTTP connection, so two
 * in flight could reach the master in either order, and a SUPPRESS overtaking a
 * REVIVE would leave the framework without offers while requests wait.
 *
 * Two things keep offers from a framework: SUPPRESS, and the refuse filter of
 * a DECLINE. Offers declined with nothing to launch get a long filter (they are
 * not wanted for a while), which holds that agent back just as a SUPPRESS
 * would; so when requests wait again after either, a REVIVE (which also removes
 * every filter) brings the offers back. A request can come in while such a
 * DECLINE is on its way, before the SUPPRESS that usually follows it.
 */
import type { Logger } from 'pino';
import type { SchedulerClient } from './scheduler-client.js';

/** Refuse filter on offers declined while no request waits (lifted by REVIVE as soon as one does). */
const IDLE_REFUSE_SECONDS = 120;

export class OfferFlow {
  private chain: Promise<void> = Promise.resolve();
  private suppressed = false;
  /** Offers were declined with the idle filter since the last REVIVE: Mesos may be holding agents back. */
  private idleFiltered = false;
  /** Counts subscriptions: a failed call of an earlier one must not undo what the current one knows. */
  private generation = 0;
  declined = 0;

  constructor(private readonly client: SchedulerClient, private readonly role: string, private readonly logger: Logger) {}

  /** Runs `step` after every offer call queued before it. */
  inOrder(step: () => Promise<void>): Promise<void> {
    const next = this.chain.then(step).catch((err) => this.logger.warn({ err: (err as Error).message }, 'a Mesos offer call failed'));
    this.chain = next;
    return next;
  }

  /**
   * A new subscription starts unsuppressed, and calls queued for the old one are moot. To be called as
   * soon as SUBSCRIBED arrives, before any event of the new subscription is handled. Idle filters are
   * kept in mind: a master drops them when the framework disconnects, not when it fails over while connected.
   */
  resubscribed(): void {
    this.chain = Promise.resolve();
    this.suppressed = false;
    this.generation++;
  }

  /** Brings SUPPRESS/REVIVE in line with whether requests wait (queued behind earlier offer calls). */
  sync(wantOffers: () => boolean): void {
    void this.inOrder(async () => {
      if (!this.client.connected) return;
      const want = wantOffers();
      const generation = this.generation;
      if (want && (this.suppressed || this.idleFiltered)) {
        const [suppressed, idleFiltered] = [this.suppressed, this.idleFiltered];
        this.suppressed = false;
        this.idleFiltered = false;
        await this.client.call({ type: 'REVIVE', revive: { roles: [this.role] } }).catch((err) => {
          if (generation === this.generation) [this.suppressed, this.idleFiltered] = [suppressed, idleFiltered];
          throw err;
        });
      } else if (!want && !this.suppressed) {
        this.suppressed = true;
        await this.client.call({ type: 'SUPPRESS', suppress: { roles: [this.role] } }).catch((err) => {
          if (generation === this.generation) this.suppressed = false;
          throw err;
        });
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

  /** DECLINE of offers nothing waits for, with the long idle filter; the next sync that wants offers REVIVEs. */
  declineIdle(offerIds: string[]): Promise<void> {
    if (offerIds.length) this.idleFiltered = true;
    return this.decline(offerIds, IDLE_REFUSE_SECONDS);
  }
}
