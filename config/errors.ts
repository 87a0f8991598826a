/**
 * Configuration errors: one class with a stable `code` per kind of problem. The
 * message names what fixes it: the configuration key, the environment variable
 * or the command-line flag the value came from, and what it must be.
 */
import { EbbflowError } from '../runtime/errors.js';

/** Stable codes of configuration problems. */
export type ConfigErrorCode =
  /** A value of the wrong type (not a number, not a duration, not a string). */
  | 'EBBFLOW_CONFIG_TYPE'
  /** A number or duration outside the allowed range, or a value not among the allowed ones. */
  | 'EBBFLOW_CONFIG_RANGE'
  /** A value that has the right type but means nothing (e.g. an invalid Mesos role). */
  | 'EBBFLOW_CONFIG_INVALID'
  /** A setting that is needed is missing (e.g. the Mesos master). */
  | 'EBBFLOW_CONFIG_MISSING'
  /** A key ebbflow does not know where one is required to be known (dispatcher-wide configuration). */
  | 'EBBFLOW_CONFIG_UNKNOWN_KEY'
  /** A resource provider name no provider is registered under. */
  | 'EBBFLOW_CONFIG_UNKNOWN_PROVIDER';

export class ConfigError extends EbbflowError {
  override readonly code: ConfigErrorCode;
  /** The key, environment variable or flag the problem is about. */
  readonly setting: string;

  constructor(code: ConfigErrorCode, setting: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.setting = setting;
  }
}
