/**
 * The checkpoint coordinator's cadence: a periodic tick that finds a checkpoint in progress is not
 * dropped; the next checkpoint starts as soon as that one ends, not an interval later.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointCoordinator } from '../../jobmaster/checkpoint-coordinator.js';
import { SubtaskState } from '../../runtime/checkpoint/snapshot-io.js';
import type { JobGraph } from '../../runtime/job-graph.js';
import { waitFor } from '../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'ebbflow-cadence-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const graph = { name: 'g', maxParallelism: 128, vertices: [{ id: 'v', name: 'v', parallelism: 1 }] } as unknown as JobGraph;
const target = { executionId: 'e0', vertexId: 'v' };
const ack = () => SubtaskState.encode({ subtaskIndex: 0 }).finish();

/** A coordinator whose subtask acknowledges each checkpoint `ackAfterMs` after its trigger; records trigger and completion times. */
function coordinator(intervalMs: number, ackAfterMs: number, sub: string, triggerOnCaughtUp = false, triggerOnOutput = false) {
  const triggered: Array<{ id: number; at: number }> = [];
  const completed: Array<{ id: number; at: number }> = [];
  const c: CheckpointCoordinator = new CheckpointCoordinator(
    { jobId: 'f'.repeat(32), graph, baseDir: join(dir, sub), savepointDir: join(dir, `${sub}-sp`), intervalMs, timeoutMs: 10_000, retained: 1, tolerableFailures: 5, triggerOnCaughtUp, triggerOnOutput, logger: pino({ level: 'silent' }) },
    {
      participants: () => ({ all: [target], sources: [target] }),
      trigger: (_s, id) => { triggered.push({ id, at: Date.now() }); setTimeout(() => c.acknowledge('e0', id, ack(), 0), ackAfterMs); },
      notifyComplete: (id) => { completed.push({ id, at: Date.now() }); },
      onFailureLimit: () => {}, statsChanged: () => {}, scaleFor: () => new Map(),
    },
  );
  return { c, triggered, completed };
}

describe('checkpoint cadence', () => {
  it('starts the next checkpoint right after one that outlasted the interval, not at the tick after', async () => {
    // Interval 100 ms, each checkpoint takes ~150 ms: with ticks dropped while one is in progress the
    // cadence would be 200 ms (every other tick); held back, the next starts when the previous completes.
    const { c, triggered, completed } = coordinator(100, 150, 'slow');
    c.start();
    try {
      await waitFor('six completed checkpoints', () => (completed.length >= 6 ? true : undefined), 10_000);
    } finally {
      c.stop();
    }
    for (let i = 1; i < 6; i++) {
      const next = triggered.find((t) => t.id === completed[i - 1]!.id + 1)!;
      // Triggered right after the completion of the one before (a setImmediate later), well before a tick would come.
      expect(next.at - completed[i - 1]!.at).toBeLessThan(40);
    }
  });

  it('keeps the interval when checkpoints are faster than it', async () => {
    const { c, triggered } = coordinator(150, 10, 'fast');
    c.start();
    try {
      await waitFor('five triggers', () => (triggered.length >= 5 ? true : undefined), 10_000);
    } finally {
      c.stop();
    }
    for (let i = 1; i < triggered.length; i++) expect(triggered[i]!.at - triggered[i - 1]!.at).toBeGreaterThanOrEqual(120);
  });

  it('lets a savepoint waiting for the checkpoint in progress go before the held-back periodic one', async () => {
    const { c, completed } = coordinator(50, 120, 'sp');
    c.start();
    try {
      await waitFor('a checkpoint in progress', () => (completed.length >= 1 ? true : undefined), 10_000);
      // Ticks keep coming while each checkpoint outlasts the interval: the savepoint must not starve.
      const t0 = Date.now();
      const path = await c.trigger(true, join(dir, 'sp-target'));
      expect(path).toContain('savepoint-');
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      c.stop();
    }
  });

  it('holds ticks while a reserved checkpoint is prepared: it stands in for them when triggered, else a held tick runs on release', async () => {
    // Interval 300 ms, ticks at 300, 600, 900, … after start.
    const { c, triggered } = coordinator(300, 5, 'held');
    c.start();
    try {
      const { release } = c.holdTicks();
      const reserved = c.reserve();
      await new Promise((r) => setTimeout(r, 350));
      // The tick at 300 came and started nothing (it would take a later id than the reserved one).
      expect(triggered).toHaveLength(0);
      const done = c.trigger(false, undefined, { reserved });
      release(true);
      await done;
      expect(triggered[0]!.id).toBe(reserved.id);
      // The held tick does not run after it: the next checkpoint is the tick at 600.
      await waitFor('the next periodic checkpoint', () => (triggered.length > 1 ? true : undefined), 10_000);
      expect(triggered[1]!.at - triggered[0]!.at).toBeGreaterThan(150);

      await c.idle();
      const { release: release2, tick } = c.holdTicks();
      const tHeld = Date.now();
      await tick;
      // `tick` resolves at the tick held (at 900), ~a tick after the hold began.
      expect(Date.now() - tHeld).toBeGreaterThan(150);
      await new Promise((r) => setTimeout(r, 20));
      expect(triggered).toHaveLength(2);
      const t = Date.now();
      release2(false);
      // Given up without triggering: the tick held (at 900) runs at once, not at 1200.
      await waitFor('the held tick', () => (triggered.length > 2 ? true : undefined), 10_000);
      expect(triggered[2]!.at - t).toBeLessThan(100);
    } finally {
      c.stop();
    }
  });

  it('starts a checkpoint at once when the last source that was behind catches up, and counts the interval from it', async () => {
    const { c, triggered, completed } = coordinator(60_000, 5, 'caught-up', true);
    c.start();
    try {
      // A source that never fell behind (steady input) catching up is no news.
      c.sourceCaughtUp('e0', true);
      c.sourceCaughtUp('e0', false);
      expect(c.caughtUpTriggers).toBe(0);
      const t0 = Date.now();
      c.sourceCaughtUp('e0', true);
      await waitFor('the early checkpoint to complete', () => (completed.length >= 1 ? true : undefined), 5000);
      expect(triggered[0]!.at - t0).toBeLessThan(100);
      expect(c.caughtUpTriggers).toBe(1);
      // Reported once more without falling behind in between: nothing.
      c.sourceCaughtUp('e0', true);
      expect(c.caughtUpTriggers).toBe(1);
      expect(triggered).toHaveLength(1);
    } finally {
      c.stop();
    }
  });

  it('waits for every source that was behind, forgets sources no longer running, and does nothing when turned off', async () => {
    const two = coordinator(60_000, 5, 'caught-up-2', true);
    let sources = [{ executionId: 'e0', vertexId: 'v' }, { executionId: 'e1', vertexId: 'v' }];
    (two.c as unknown as { hooks: { participants: () => unknown } }).hooks.participants = () => ({ all: sources, sources });
    two.c.start();
    try {
      two.c.sourceCaughtUp('e0', false);
      two.c.sourceCaughtUp('e1', false);
      two.c.sourceCaughtUp('e0', true);
      expect(two.c.caughtUpTriggers).toBe(0); // e1 is still behind
      // e1 was replaced (a restart): a new source e2 catching up after falling behind is the last one.
      sources = [{ executionId: 'e0', vertexId: 'v' }, { executionId: 'e2', vertexId: 'v' }];
      two.c.sourceCaughtUp('e2', false);
      two.c.sourceCaughtUp('e2', true);
      await waitFor('the early checkpoint', () => (two.triggered.length >= 1 ? true : undefined), 5000);
      expect(two.c.caughtUpTriggers).toBe(1);
    } finally {
      two.c.stop();
    }
    const off = coordinator(60_000, 5, 'caught-up-off', false);
    off.c.start();
    try {
      off.c.sourceCaughtUp('e0', false);
      off.c.sourceCaughtUp('e0', true);
      expect(off.c.caughtUpTriggers).toBe(0);
    } finally {
      off.c.stop();
    }
  });

  it('starts a checkpoint for output waiting after a quiet one, unless a later checkpoint is already under way', async () => {
    const { c, triggered, completed } = coordinator(60_000, 40, 'output', false, true);
    c.start();
    try {
      // The sink's last snapshot (none yet: 0) took no output: checkpoint 1 now.
      c.outputWaiting(0);
      await waitFor('checkpoint 1', () => (triggered.length >= 1 ? true : undefined), 5000);
      // Reported by another subtask whose last snapshot is also older than checkpoint 1 (in progress, barrier not there yet): nothing more.
      c.outputWaiting(0);
      expect(c.outputTriggers).toBe(1);
      // A sink whose snapshot of checkpoint 1 took nothing while more output waits: the next one right after checkpoint 1.
      c.outputWaiting(1);
      await waitFor('checkpoint 2', () => (completed.length >= 2 ? true : undefined), 5000);
      expect(triggered.map((t) => t.id)).toEqual([1, 2]);
      expect(triggered[1]!.at - completed[0]!.at).toBeLessThan(40);
      expect(c.outputTriggers).toBe(2);
    } finally {
      c.stop();
    }
    const off = coordinator(60_000, 5, 'output-off', false, false);
    off.c.start();
    try {
      off.c.outputWaiting(0);
      expect(off.c.outputTriggers).toBe(0);
    } finally {
      off.c.stop();
    }
  });
});
