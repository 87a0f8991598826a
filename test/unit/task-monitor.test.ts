/**
 * The task monitor's decision table (resourcemanager/mesos/task-monitor.ts) for every Mesos task
 * state: tasks we want progress, start, or are lost (and killed when they may come back); a dropped
 * launch is retried while retries are left; released and unknown tasks are killed while live and
 * forgotten once gone.
 */
import { describe, expect, it } from 'vitest';
import { isLive, taskAction } from '../../resourcemanager/mesos/task-monitor.js';
import type { TaskState } from '../../resourcemanager/mesos/types.js';

const ALL: TaskState[] = ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_UNREACHABLE', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN'];

describe('task monitor', () => {
  it('decides for every state of a task we want', () => {
    const table = Object.fromEntries(ALL.map((s) => [s, taskAction('Launched', s, true)]));
    expect(table).toEqual({
      TASK_STAGING: 'progress', TASK_STARTING: 'progress', TASK_RUNNING: 'started', TASK_KILLING: 'progress',
      TASK_FINISHED: 'lost', TASK_FAILED: 'lost', TASK_KILLED: 'lost', TASK_ERROR: 'lost', TASK_LOST: 'lost',
      TASK_DROPPED: 'relaunch', TASK_UNREACHABLE: 'lost-and-kill', TASK_GONE: 'lost', TASK_GONE_BY_OPERATOR: 'lost', TASK_UNKNOWN: 'lost-and-kill',
    });
    expect(taskAction('Launched', 'TASK_DROPPED', false)).toBe('lost');
  });

  it('kills released and unknown tasks while they may run, and forgets released ones once gone', () => {
    for (const s of ALL) {
      const live = isLive(s);
      expect(taskAction('Released', s, true)).toBe(live ? (s === 'TASK_KILLING' ? 'progress' : 'kill') : 'forget');
      expect(taskAction(undefined, s, true)).toBe(live && s !== 'TASK_KILLING' ? 'kill' : 'progress');
    }
    expect(ALL.filter(isLive)).toEqual(['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING']);
  });
});
