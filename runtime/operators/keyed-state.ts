/**
 * Keyed state and event-time timers of one operator, held per key group (the
 * unit that checkpoints and rescaling move):
 *
 *   state:  keyGroup → canonical key → { key, values, maps, lists }
 *   timers: keyGroup → canonical key → { key, timestamps }
 *
 * State handles (`value`, `map`, `list`) are made once per name and resolve the
 * current key on every call, so a handle kept across calls follows the key (as
 * Flink's do). Named states live in `Map`s rather than plain objects so that
 * any name (even "__proto__") is just a name; node:v8 serializes Maps as they are.
 *
 * Timers are also kept in one min-heap ordered by (timestamp, canonical key)
 * for firing; a deleted timer stays in the heap and is skipped when popped, and
 * the heap is rebuilt when such stale entries dominate.
 */
import type { ListState, MapState, ValueState } from '../../sdk/types.js';
import { canonicalKey, type Key } from '../../state/key-groups.js';

type MapKey = string | number;

/** The state of one key. */
export interface KeyState {
  key: Key;
  values: Map<string, unknown>;
  maps: Map<string, Map<MapKey, unknown>>;
  lists: Map<string, unknown[]>;
}

/** The pending timers of one key. */
export interface KeyTimers { key: Key; timestamps: Set<number> }

/** What one key group snapshots to (structured-clone-able). */
export interface KeyGroupSnapshot {
  state: Map<string, KeyState>;
  timers: Map<string, KeyTimers>;
}

export interface CurrentKey { keyGroup: number; ck: string; key: Key }

export interface DueTimer extends CurrentKey { ts: number }

const before = (a: DueTimer, b: DueTimer): boolean => a.ts < b.ts || (a.ts === b.ts && a.ck < b.ck);

/** A binary min-heap of timers by (ts, canonical key). */
class TimerHeap {
  items: DueTimer[] = [];
  get size(): number { return this.items.length; }
  peek(): DueTimer | undefined { return this.items[0]; }

  push(t: DueTimer): void {
    const h = this.items;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  pop(): DueTimer | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

export class KeyedStateStore {
  private readonly state = new Map<number, Map<string, KeyState>>();
  private readonly timers = new Map<number, Map<string, KeyTimers>>();
  private readonly heap = new TimerHeap();
  private liveTimers = 0;
  private readonly handles = { value: new Map<string, ValueState<unknown>>(), map: new Map<string, MapState<MapKey, unknown>>(), list: new Map<string, ListState<unknown>>() };
  /** The key that state calls and timer registrations apply to; undefined outside a user call. */
  current: CurrentKey | undefined;
  /** Due timers that `pollTimer` passed over; `unpark` puts them back. */
  private parked: DueTimer[] = [];
  /** While a snapshot's key groups are being serialized: called before a key group's state or timers change. */
  guard: ((keyGroup: number) => void) | undefined;

  /** The user code that follows may change anything of this key's key group: it is guarded here. */
  setCurrentKey(key: Key, keyGroup: number): void {
    this.guard?.(keyGroup);
    this.current = { keyGroup, ck: canonicalKey(key), key };
  }

  private cur(): CurrentKey {
    if (!this.current) throw new Error('keyed state and timers can only be used inside processElement or onTimer');
    return this.current;
  }

  /** The current key's state, or undefined when it has none (reads never create entries). */
  private read(): KeyState | undefined {
    const c = this.cur();
    return this.state.get(c.keyGroup)?.get(c.ck);
  }

  private write(): KeyState {
    const c = this.cur();
    let byKey = this.state.get(c.keyGroup);
    if (!byKey) this.state.set(c.keyGroup, (byKey = new Map()));
    let ks = byKey.get(c.ck);
    if (!ks) byKey.set(c.ck, (ks = { key: c.key, values: new Map(), maps: new Map(), lists: new Map() }));
    return ks;
  }

  /** Drops the current key's entry (and its key group's) once nothing is left in it, so cleared keys cost nothing. */
  private prune(): void {
    const c = this.cur();
    const byKey = this.state.get(c.keyGroup);
    const ks = byKey?.get(c.ck);
    if (!byKey || !ks || ks.values.size || ks.maps.size || ks.lists.size) return;
    byKey.delete(c.ck);
    if (byKey.size === 0) this.state.delete(c.keyGroup);
  }

  value<V>(name: string): ValueState<V> {
    let h = this.handles.value.get(name);
    if (!h) {
      h = {
        get: () => this.read()?.values.get(name),
        // Setting undefined is clearing: absent and undefined read the same.
        set: (v: unknown) => { if (v === undefined) h!.clear(); else this.write().values.set(name, v); },
        clear: () => { if (this.read()?.values.delete(name)) this.prune(); },
      };
      this.handles.value.set(name, h);
    }
    return h as ValueState<V>;
  }

  map<MK extends MapKey, MV>(name: string): MapState<MK, MV> {
    let h = this.handles.map.get(name);
    if (!h) {
      const m = () => this.read()?.maps.get(name);
      h = {
        get: (k) => m()?.get(k),
        set: (k, v) => {
          const ks = this.write();
          let mm = ks.maps.get(name);
          if (!mm) ks.maps.set(name, (mm = new Map()));
          mm.set(k, v);
        },
        has: (k) => m()?.has(k) ?? false,
        delete: (k) => {
          const mm = m();
          if (!mm?.delete(k)) return false;
          if (mm.size === 0) { this.read()!.maps.delete(name); this.prune(); }
          return true;
        },
        keys: () => [...(m()?.keys() ?? [])],
        entries: () => [...(m()?.entries() ?? [])],
        clear: () => { if (this.read()?.maps.delete(name)) this.prune(); },
      };
      this.handles.map.set(name, h);
    }
    return h as unknown as MapState<MK, MV>;
  }

  list<V>(name: string): ListState<V> {
    let h = this.handles.list.get(name);
    if (!h) {
      h = {
        get: () => [...(this.read()?.lists.get(name) ?? [])],
        add: (v) => {
          const ks = this.write();
          const l = ks.lists.get(name);
          if (l) l.push(v);
          else ks.lists.set(name, [v]);
        },
        clear: () => { if (this.read()?.lists.delete(name)) this.prune(); },
      };
      this.handles.list.set(name, h);
    }
    return h as ListState<V>;
  }

  registerTimer(ts: number): void {
    if (typeof ts !== 'number' || Number.isNaN(ts)) throw new TypeError(`timer timestamps must be numbers (epoch ms), got ${String(ts)}`);
    const c = this.cur();
    this.addTimer(c.keyGroup, c.ck, c.key, ts);
  }

  deleteTimer(ts: number): void {
    const c = this.cur();
    const byKey = this.timers.get(c.keyGroup);
    const kt = byKey?.get(c.ck);
    if (!byKey || !kt?.timestamps.delete(ts)) return;
    this.liveTimers--;
    if (kt.timestamps.size === 0) byKey.delete(c.ck);
    if (byKey.size === 0) this.timers.delete(c.keyGroup);
    // Stale heap entries are skipped when popped; rebuild once they outnumber live timers by far.
    if (this.heap.size > 1024 && this.heap.size > 4 * this.liveTimers) this.rebuildHeap();
  }

  private addTimer(keyGroup: number, ck: string, key: Key, ts: number): void {
    let byKey = this.timers.get(keyGroup);
    if (!byKey) this.timers.set(keyGroup, (byKey = new Map()));
    let kt = byKey.get(ck);
    if (!kt) byKey.set(ck, (kt = { key, timestamps: new Set() }));
    if (kt.timestamps.has(ts)) return;
    kt.timestamps.add(ts);
    this.liveTimers++;
    this.heap.push({ keyGroup, ck, key, ts });
  }

  private rebuildHeap(): void {
    this.heap.items = [];
    for (const [keyGroup, byKey] of this.timers) {
      for (const [ck, kt] of byKey) for (const ts of kt.timestamps) this.heap.push({ keyGroup, ck, key: kt.key, ts });
    }
  }

  /** Removes and returns the next timer with ts ≤ watermark, in (ts, canonical key) order. */
  pollTimer(watermark: number, which?: (keyGroup: number) => boolean): DueTimer | undefined {
    for (;;) {
      const top = this.heap.peek();
      if (!top || top.ts > watermark) return undefined;
      this.heap.pop();
      // A key group held back (a rescale is loading it): its timer waits, still registered.
      if (which && !which(top.keyGroup)) { this.parked.push(top); continue; }
      // The timer's removal and the onTimer call that follows change its key group.
      this.guard?.(top.keyGroup);
      const byKey = this.timers.get(top.keyGroup);
      const kt = byKey?.get(top.ck);
      if (!byKey || !kt?.timestamps.delete(top.ts)) continue; // deleted (or a duplicate of a re-registered timer)
      this.liveTimers--;
      if (kt.timestamps.size === 0) byKey.delete(top.ck);
      if (byKey.size === 0) this.timers.delete(top.keyGroup);
      return top;
    }
  }

  /** Puts the timers `pollTimer` passed over back in the heap. */
  unpark(): void {
    for (const t of this.parked) this.heap.push(t);
    this.parked = [];
  }

  /** One value per key group with state or timers: live references, serialized later under the guard. */
  snapshot(): Map<number, KeyGroupSnapshot> {
    const out = new Map<number, KeyGroupSnapshot>();
    for (const kg of new Set([...this.state.keys(), ...this.timers.keys()])) {
      out.set(kg, { state: this.state.get(kg) ?? new Map(), timers: this.timers.get(kg) ?? new Map() });
    }
    return out;
  }

  /** Merges a key group's snapshot (a restored subtask receives each of its key groups once). */
  restore(keyGroup: number, snap: KeyGroupSnapshot): void {
    this.guard?.(keyGroup);
    if (snap.state.size) {
      let byKey = this.state.get(keyGroup);
      if (!byKey) this.state.set(keyGroup, (byKey = new Map()));
      for (const [ck, ks] of snap.state) byKey.set(ck, ks);
    }
    for (const [ck, kt] of snap.timers) for (const ts of kt.timestamps) this.addTimer(keyGroup, ck, kt.key, ts);
  }

  /** Forgets key groups moved to another subtask; their heap entries become stale and are skipped. */
  drop(keyGroups: ReadonlySet<number>): void {
    for (const kg of keyGroups) {
      this.guard?.(kg);
      this.state.delete(kg);
      const byKey = this.timers.get(kg);
      if (!byKey) continue;
      for (const kt of byKey.values()) this.liveTimers -= kt.timestamps.size;
      this.timers.delete(kg);
    }
    if (this.heap.size > 1024 && this.heap.size > 4 * this.liveTimers) this.rebuildHeap();
  }

  /** Keys with state, and pending timers; for metrics and tests. */
  stats(): { keys: number; timers: number } {
    let keys = 0;
    for (const byKey of this.state.values()) keys += byKey.size;
    return { keys, timers: this.liveTimers };
  }
}
