/**
 * What keeps the autoscaler from flapping and from repeating what did not work, closed loop against
 * the simulated job: the scale-down interval and max factor, the cooldown, ineffective scale-ups,
 * unsatisfiable scale-ups backed off, recommend-only, rescales done by someone else, lost outcomes.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_AUTOSCALER_OPTIONS, PENDING_LIMIT_MS } from '../../autoscaler/index.js';
import { closedLoop, expectCooldown, JobSim, pipeline, policyFor } from '../helpers/autoscaler-sim.js';

const step = (at: number, before: number, after: number) => (t: number) => (t < at ? before : after);

describe('autoscaler guards', () => {
  it('scales down only after the load stayed low for the interval, at most half per step, and follows on after each cooldown', () => {
    const sim = new JobSim(pipeline({ parallelism: 12 }), () => 55);
    const { requests } = closedLoop(sim, policyFor(sim), 600_000);
    // Stabilisation (10 s) + a full window (30 s) + the interval (3 min) before the first.
    expect(requests[0]!.at).toBeGreaterThanOrEqual(10_000 + 30_000 + 180_000);
    expect(requests.map((r) => r.parallelism.enrich)).toEqual([6, 3, 2, 1]);
    // The next steps need no new interval (the load stayed low all along), only the cooldown and a full window.
    for (let i = 1; i < requests.length; i++) expect(requests[i]!.at - requests[i - 1]!.completedAt!).toBeLessThanOrEqual(10_000 + 30_000 + 2000);
    expect(sim.oracle('enrich', 55)).toBe(1);
    expectCooldown(requests);
  });

  it('sizes a scale-down by the last window, not by a burst earlier in the interval', () => {
    // 55/s needs 1 subtask, 250/s needs 4 (357/s at 100/s each); a burst of 250/s in the middle of the interval.
    const load = (t: number) => (t >= 100_000 && t < 140_000 ? 250 : 55);
    const sim = new JobSim(pipeline({ parallelism: 12 }), load);
    const { requests } = closedLoop(sim, policyFor(sim, { scaleDownMaxFactor: 1 }), 600_000);
    // The burst wanted 4, still below 12: the interval runs on, and its end sizes by the load then.
    expect(requests.map((r) => r.parallelism.enrich)).toEqual([1]);
    expect(requests[0]!.at).toBeGreaterThanOrEqual(10_000 + 30_000 + 180_000);
    expect(requests[0]!.at).toBeLessThan(140_000 + 180_000);
  });

  it('starts the interval over when the load needs the current parallelism again', () => {
    const load = (t: number) => (t >= 100_000 && t < 140_000 ? 250 : 55);
    const sim = new JobSim(pipeline({ parallelism: 4 }), load);
    const { requests } = closedLoop(sim, policyFor(sim, { scaleDownMaxFactor: 1 }), 600_000);
    expect(requests.map((r) => r.parallelism.enrich)).toEqual([1]);
    expect(requests[0]!.at).toBeGreaterThanOrEqual(140_000 + 180_000);
  });

  it('follows a ramp down in at most two steps: the interval decides whether, the last window how far', () => {
    // 270/s needs 4 subtasks; down to 55/s (1) over 60 s, then night.
    const load = (t: number) => (t < 120_000 ? 270 : t < 180_000 ? 270 - ((270 - 55) * (t - 120_000)) / 60_000 : 55);
    const sim = new JobSim(pipeline({ parallelism: 4 }), load);
    expect(sim.oracle('enrich', 270)).toBe(4);
    const { requests } = closedLoop(sim, policyFor(sim, { scaleDownIntervalMs: 60_000 }), 500_000);
    expect(requests.map((r) => r.parallelism.enrich)).toEqual([2, 1]);
    // The second step is cut short by the max factor only: it follows the cooldown and a confirmation period, no new window.
    expect(requests[1]!.at - requests[0]!.completedAt!).toBeLessThanOrEqual(10_000 + 6000 + 2000);
    expectCooldown(requests);
  });

  it('keeps the cooldown after a rescale, whatever the load does meanwhile', () => {
    const sim = new JobSim(pipeline(), (t) => (t < 60_000 ? 55 : t < 72_000 ? 300 : 440));
    const { requests, events } = closedLoop(sim, policyFor(sim), 300_000);
    expect(requests.length).toBeGreaterThanOrEqual(2);
    const first = requests[0]!;
    const during = events.filter((e) => e.at > first.completedAt! && e.at < first.completedAt! + 10_000);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((e) => e.evaluation.action === 'none' && e.evaluation.code === 'stabilizing')).toBe(true);
    expectCooldown(requests);
  });

  it('records a scale-up that did not raise the capacity as ineffective and does not repeat it', () => {
    // One key carries 80 % of the records: a second or third subtask takes almost nothing off the one holding it.
    const sim = new JobSim(pipeline({ parallelism: 2, hotShare: 0.8 }), () => 100);
    const policy = policyFor(sim);
    const { requests, events } = closedLoop(sim, policy, 600_000);
    expect(requests.map((r) => r.parallelism)).toEqual([{ enrich: 3 }]);
    const [record] = policy.status().decisions;
    expect(record).toMatchObject({ outcome: 'ineffective', requestId: 'req-1' });
    expect(record!.ineffective![0]).toMatchObject({ vertexId: 'enrich', from: 2, to: 3 });
    expect(record!.ineffective![0]!.capacityAfter).toBeLessThan(record!.ineffective![0]!.predicted);
    expect(policy.status().ineffective).toEqual([{ vertexId: 'enrich', parallelism: 3 }]);
    // It still wants more, and says why it does not ask.
    const last = events[events.length - 1]!.evaluation;
    expect(last).toMatchObject({ action: 'none', code: 'ineffective' });
  });

  it('backs off after a scale-up the resource provider could not satisfy, doubling, and then succeeds', () => {
    const sim = new JobSim(pipeline(), step(60_000, 55, 440));
    let failures = 2;
    const fail = () => (failures-- > 0 ? { message: 'no TaskManagers within 60 s', unsatisfiable: true, afterMs: 60_000 } : undefined);
    const policy = policyFor(sim);
    const { requests } = closedLoop(sim, policy, 900_000, { fail });
    const [a, b, c] = requests;
    expect(b!.at - a!.failedAt!).toBeGreaterThanOrEqual(60_000);
    expect(b!.at - a!.failedAt!).toBeLessThan(60_000 + 20_000);
    expect(c!.at - b!.failedAt!).toBeGreaterThanOrEqual(120_000);
    expect(c!.at - b!.failedAt!).toBeLessThan(120_000 + 20_000);
    expect(c!.completedAt).toBeDefined();
    const oldestFirst = policy.status().decisions.reverse();
    expect(oldestFirst.slice(0, 3).map((d) => d.outcome)).toEqual(['unsatisfiable', 'unsatisfiable', 'completed']);
    expect(oldestFirst[0]!.error).toBe('no TaskManagers within 60 s');
    // Meanwhile the backlog grew (340/s for 5 minutes): the scale-ups after it catch up within the catch-up
    // duration, each step at most 11 times the subtasks (scale-up.max-factor 10).
    expect(c!.parallelism.enrich).toBe(11);
  });

  it('in recommend-only mode never asks for a rescale, and shows each recommendation once', () => {
    const sim = new JobSim(pipeline(), step(60_000, 55, 440));
    const policy = policyFor(sim, { scalingEnabled: false });
    const { requests, events } = closedLoop(sim, policy, 300_000);
    expect(requests).toEqual([]);
    const recommended = events.flatMap((e) => (e.evaluation.action === 'none' && e.evaluation.code === 'recommend-only' ? [e.evaluation.recommended] : []));
    expect(recommended[0]).toEqual({ enrich: 7 });
    const history = policy.status().decisions;
    expect(history.every((d) => d.outcome === 'recommend-only')).toBe(true);
    expect(history.length).toBeGreaterThan(0);
    expect(history.length).toBeLessThan(recommended.length);
    expect(events[events.length - 1]!.parallelism.enrich).toBe(1);
  });

  it('stabilises again when the parallelism changed without it (a user\'s rescale, a lost TaskManager)', () => {
    const sim = new JobSim(pipeline({ parallelism: 7 }), () => 440);
    const policy = policyFor(sim);
    closedLoop(sim, policy, 100_000);
    sim.setParallelism({ enrich: 5 });
    const e = policy.evaluate(sim.t + 2000, { ...sim.tick() });
    expect(e).toMatchObject({ action: 'none', code: 'stabilizing' });
  });

  it('does nothing while off, and stabilises first when turned on at runtime', () => {
    const sim = new JobSim(pipeline(), () => 440);
    const policy = policyFor(sim, { enabled: false });
    const off = closedLoop(sim, policy, 60_000);
    expect(off.requests).toEqual([]);
    expect(off.events.every((e) => e.evaluation.action === 'none' && e.evaluation.code === 'disabled')).toBe(true);
    policy.setOptions({ ...DEFAULT_AUTOSCALER_OPTIONS, enabled: true }, sim.t);
    expect(policy.evaluate(sim.t + 2000, sim.tick())).toMatchObject({ code: 'stabilizing' });
  });

  it('gives up on a rescale whose outcome never comes, and decides again', () => {
    const sim = new JobSim(pipeline(), () => 440);
    const policy = policyFor(sim);
    let asked: number | undefined;
    while (asked === undefined) {
      const e = policy.evaluate(sim.t, sim.tick());
      if (e.action === 'rescale') asked = sim.t;
    }
    expect(policy.evaluate(sim.t + 2000, sim.tick())).toMatchObject({ code: 'rescale-pending' });
    const late = asked + PENDING_LIMIT_MS + 2000;
    expect(policy.evaluate(late, sim.tick())).toMatchObject({ code: 'stabilizing' });
    expect(policy.status(late).decisions[0]).toMatchObject({ outcome: 'lost' });
  });
});
