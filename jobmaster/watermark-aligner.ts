/**
 * Watermark alignment (Flink's FLIP-182, `WatermarkStrategy.withWatermarkAlignment`), the JobMaster's
 * side: the source subtasks of an alignment group report their watermarks every update interval; the
 * group's lowest watermark plus its max drift is the highest watermark any of them may read past,
 * announced to every TaskManager whenever it changes, with the member whose report is the lowest. A
 * source whose watermark is above it stops
 * reading until the others catch up, so sources reading backlogs at different speeds do not drift
 * apart in event time (which would keep every window between them open downstream).
 *
 * The slowest member is not held by the bound: the bound comes from its own last report, so holding
 * it would only let it read one update interval's worth at a time (with a group of one, the job
 * would pace itself); its reading is what moves the bound. Only its own partitions are kept within
 * the drift of each other.
 *
 * Only reports of the current executions count (a rescale or a restart replaces them); a subtask
 * that has not read anything yet reports -Infinity and so holds the group back, as Flink's does;
 * an idle one, or one that owns no stream, reports +Infinity and holds nothing back.
 */

export interface WatermarkReport {
  executionId: string;
  group: string;
  watermark: number;
  maxDriftMs: number;
}

interface GroupState {
  /** executionId → its last watermark and the drift its source was configured with. */
  readonly members: Map<string, { watermark: number; maxDriftMs: number }>;
  /** The last bound announced (undefined: none yet), and the slowest member then. */
  announced: number | undefined;
  slowest: string;
}

export class WatermarkAligner {
  private readonly groups = new Map<string, GroupState>();

  /**
   * @param isCurrent whether an execution still belongs to the running attempt.
   * @param announce sends the group's bound to every TaskManager.
   */
  constructor(
    private readonly isCurrent: (executionId: string) => boolean,
    private readonly announce: (group: string, maxAllowedWatermark: number, slowest: string) => void,
  ) {}

  /** Takes one report; announces the group's new bound when it changed. */
  report(r: WatermarkReport): void {
    if (!r.group || !Number.isFinite(r.maxDriftMs) || r.maxDriftMs < 0 || Number.isNaN(r.watermark)) return;
    let g = this.groups.get(r.group);
    if (!g) this.groups.set(r.group, (g = { members: new Map(), announced: undefined, slowest: '' }));
    // A new member (a restart's or a rescale's subtask) has not heard the bound yet: announce it again.
    const joined = !g.members.has(r.executionId);
    g.members.set(r.executionId, { watermark: r.watermark, maxDriftMs: r.maxDriftMs });
    const b = this.bound(g);
    if (b === undefined || (b.bound === g.announced && b.slowest === g.slowest && !joined)) return;
    g.announced = b.bound;
    g.slowest = b.slowest;
    this.announce(r.group, b.bound, b.slowest);
  }

  /** The group's bound: lowest watermark + the smallest drift configured, and whose it is (undefined without members). */
  private bound(g: GroupState): { bound: number; slowest: string } | undefined {
    let lowest = Infinity;
    let slowest = '';
    let drift = Infinity;
    for (const [id, m] of g.members) {
      if (!this.isCurrent(id)) { g.members.delete(id); continue; }
      if (m.watermark < lowest || slowest === '') { lowest = m.watermark; slowest = id; }
      if (m.maxDriftMs < drift) drift = m.maxDriftMs;
    }
    if (g.members.size === 0) return undefined;
    return { bound: lowest + drift, slowest }; // ±Infinity stays so
  }

  /** The bound last announced per group (for the job's log and tests). */
  bounds(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, g] of this.groups) if (g.announced !== undefined) out[name] = g.announced;
    return out;
  }
}
