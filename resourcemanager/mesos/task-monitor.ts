/**
 * The task monitor's decision table (Flink's TaskMonitor): what the driver does
 * with a status update, from the worker's goal and the reported state. Every
 * TaskState has a row. Updates are at-least-once, so every action is safe to
 * repeat.
 */
import { TERMINAL_STATES, type TaskState } from './types.js';
import type { WorkerGoal } from './worker-store.js';

export type TaskAction =
  /** Progress of a task we want (STAGING, STARTING, KILLING). */
  | 'progress'
  /** A task we want runs. */
  | 'started'
  /** A live task that must not run: released, of an earlier job process, or unknown to us. */
  | 'kill'
  /** A task we gave up on is gone. */
  | 'forget'
  /** A launch failed for a passing reason (TASK_DROPPED): launch the worker again. */
  | 'relaunch'
  /** A task we want ended or cannot be reached: the JobMaster lost a TaskManager. */
  | 'lost'
  /** As 'lost', and the task may come back (UNREACHABLE, UNKNOWN): kill it too. */
  | 'lost-and-kill';

/** The task may still be running (terminal, unreachable and unknown tasks are not counted on). */
export function isLive(state: TaskState): boolean {
  return !TERMINAL_STATES.has(state) && state !== 'TASK_UNREACHABLE' && state !== 'TASK_UNKNOWN';
}

/** `goal` undefined: the task is not one the driver tracks. */
export function taskAction(goal: WorkerGoal | undefined, state: TaskState, canRelaunch: boolean): TaskAction {
  const live = isLive(state);
  if (goal === undefined || goal === 'Released') {
    if (live) return state === 'TASK_KILLING' ? 'progress' : 'kill';
    return goal === undefined ? 'progress' : 'forget';
  }
  if (state === 'TASK_RUNNING') return 'started';
  if (live) return 'progress';
  if (state === 'TASK_DROPPED' && canRelaunch) return 'relaunch';
  return state === 'TASK_UNREACHABLE' || state === 'TASK_UNKNOWN' ? 'lost-and-kill' : 'lost';
}
