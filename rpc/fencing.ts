/**
 * Fencing tokens (Flink's JobMasterId and registration ids). Every envelope
 * after registration carries one: JobMaster → TaskManager the JobMaster's id,
 * TaskManager → JobMaster the token of its registration. Each side drops (and
 * logs) what carries another token, so a JobMaster that was replaced, or a
 * TaskManager connection from an earlier registration, cannot act on the
 * current one.
 */
import { randomBytes } from 'node:crypto';

/** Identifies one JobMaster (one leadership of the job); new for every JobMaster. */
export type JobMasterId = string & { readonly __brand: 'JobMasterId' };

/** A fresh JobMaster id. */
export function newJobMasterId(): JobMasterId {
  return randomBytes(16).toString('hex') as JobMasterId;
}

/** A fresh registration id for one TaskManager registration. */
export function newRegistrationId(): string {
  return randomBytes(8).toString('hex');
}

/** The token a TaskManager's reports carry: its resource id and the id of its registration. */
export function taskManagerToken(resourceId: string, registrationId: string): string {
  return `${resourceId}/${registrationId}`;
}
