/**
 * Runs a user's KeyedProcessFunction behind a keyBy: each record is processed
 * with state scoped to its key (see keyed-state.ts), and event-time timers call
 * `onTimer` once the watermark reaches them — in (timestamp, key) order, each
 * once — before the watermark is forwarded, so what a timer emits is never
 * behind the watermark that fired it.
 *
 * Unlike windows, a process function sees late records too (as in Flink): it
 * can compare `ctx.timestamp` with `ctx.currentWatermark` itself.
 */
import type { KeyedContext, KeyedProcessFunction } from '../../sdk/types.js';
import { assignToKeyGroup, type Key } from '../../state/key-groups.js';
import type { Collector } from '../elements.js';
import { KeyedStateStore, type KeyGroupSnapshot } from './keyed-state.js';
import { KeyGroupHold, type CheckpointedOperator, type HeldElement, type KeyGroupHolder } from './operator.js';

export class KeyedProcessOperator implements Collector, CheckpointedOperator, KeyGroupHolder {
  private readonly store = new KeyedStateStore();
  private currentWatermark = -Infinity;
  /** Key groups held back by a rescale, and the output watermark. */
  private readonly hold: KeyGroupHold;
  get snapshotGuard(): ((keyGroup: number) => void) | undefined { return this.store.guard; }
  set snapshotGuard(g: ((keyGroup: number) => void) | undefined) { this.store.guard = g; }
  /** Event time of the record or timer being processed. */
  private currentTs: number | undefined;
  /** One context for all calls: it reads the operator's current key, time and watermark. */
  private readonly ctx: KeyedContext<Key, unknown>;

  constructor(
    readonly operatorId: number,
    private readonly selector: (v: unknown) => Key,
    private readonly fn: KeyedProcessFunction<unknown, Key, unknown>,
    private readonly maxParallelism: number,
    private readonly out: Collector,
  ) {
    this.hold = new KeyGroupHold(out);
    const self = this;
    const store = this.store;
    this.ctx = {
      get key(): Key { return self.active().key; },
      get timestamp() { return self.currentTs; },
      get currentWatermark() { return self.hold.replayWm ?? self.currentWatermark; },
      emit(value: unknown, timestamp?: number) {
        self.active();
        self.out.collect(value, timestamp ?? self.currentTs);
      },
      state: {
        value: (name) => store.value(name),
        map: (name) => store.map(name),
        list: (name) => store.list(name),
      },
      timers: {
        registerEventTimeTimer: (ts) => store.registerTimer(ts),
        deleteEventTimeTimer: (ts) => store.deleteTimer(ts),
      },
    };
  }

  private active() {
    if (!this.store.current) throw new Error('the KeyedContext can only be used inside processElement or onTimer');
    return this.store.current;
  }

  collect(v: unknown, ts: number | undefined, keyGroup?: number): void {
    const key = this.selector(v);
    this.store.setCurrentKey(key, keyGroup ?? assignToKeyGroup(key, this.maxParallelism));
    this.currentTs = ts;
    try {
      this.fn.processElement(v, this.ctx);
    } finally {
      this.store.current = undefined;
    }
  }

  watermark(wm: number): void {
    if (wm <= this.currentWatermark) return;
    // onTimer sees the watermark that fires it (as Flink's timer service does).
    this.currentWatermark = wm;
    const held = this.hold.keyGroups;
    this.fireTimers(wm, held && ((kg) => !held.has(kg)));
    this.hold.emit(wm);
  }

  holdKeyGroups(keyGroups: ReadonlySet<number>): void {
    this.hold.hold(keyGroups, this.currentWatermark);
  }

  releaseKeyGroups(queue: ReadonlyArray<HeldElement>): void {
    const held = this.hold.keyGroups;
    const mine = held && ((kg: number) => held.has(kg));
    this.hold.release(queue, this.currentWatermark, (el) => this.collect(el.v, el.ts, el.kg), (wm) => this.fireTimers(wm, mine));
    this.fireTimers(this.currentWatermark, mine);
    this.hold.emit(this.currentWatermark);
  }

  /** Fires due timers (of the key groups `which` accepts); timers registered while firing, if due, fire in the same loop. */
  private fireTimers(wm: number, which?: (kg: number) => boolean): void {
    for (let t = this.store.pollTimer(wm, which); t; t = this.store.pollTimer(wm, which)) {
      if (!this.fn.onTimer) continue; // no onTimer: timers simply expire
      this.store.current = t;
      this.currentTs = t.ts;
      try {
        this.fn.onTimer(t.ts, this.ctx);
      } finally {
        this.store.current = undefined;
      }
    }
    this.store.unpark();
  }

  end(): void { this.out.end(); }
  idle(idle: boolean): void { this.out.idle?.(idle); }

  snapshotKeyedState(): Map<number, unknown> {
    return this.store.snapshot();
  }

  restoreKeyedState(keyGroup: number, state: unknown): void {
    this.store.restore(keyGroup, state as KeyGroupSnapshot);
  }

  dropKeyGroups(keyGroups: ReadonlySet<number>): void {
    this.store.drop(keyGroups);
  }

  /** Keys with state and pending timers (for metrics and tests). */
  stats(): { keys: number; timers: number } {
    return this.store.stats();
  }
}
