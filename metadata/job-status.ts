/** Job and execution states, with Flink's names and spellings (CANCELLING vs CANCELED). */
export const JOB_STATES = ['INITIALIZING', 'CREATED', 'RUNNING', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED', 'FINISHED', 'RESTARTING', 'SUSPENDED', 'RECONCILING'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Globally terminal: the job will never run again. */
export const TERMINAL_STATES: readonly JobState[] = ['FAILED', 'CANCELED', 'FINISHED'];
export const isTerminal = (s: string): boolean => (TERMINAL_STATES as readonly string[]).includes(s);

export const EXECUTION_STATES = ['CREATED', 'SCHEDULED', 'DEPLOYING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED', 'RECONCILING', 'INITIALIZING'] as const;
export type ExecutionStateName = (typeof EXECUTION_STATES)[number];
