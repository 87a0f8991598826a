/** Configuration: option declarations and their tables, the reader with range checks, errors, docs rendering. */
export { opt, defaultOf } from './option.js';
export type { OptionDecl, OptionScope, OptionType, OptionValue } from './option.js';
export { readOption, readKey, parseDuration, describeValue, MAX_DURATION_MS } from './read-option.js';
export { compileOption, compileOptions, configKeyDefaults } from './compile-options.js';
export type { OptionTable, GivenOptions, CompiledOptions } from './compile-options.js';
export { ConfigError } from './errors.js';
export type { ConfigErrorCode } from './errors.js';
export { closestKey, editDistance, unknownKeyWarning } from './closest-key.js';
export { JOB_OPTIONS, RESTART_STRATEGIES } from './job-options.js';
export { AUTOSCALER_OPTIONS } from './autoscaler-options.js';
export { ADDRESS_OPTIONS, parseAddressSettings } from './address-options.js';
export type { AddressSettings } from './address-options.js';
export { DISPATCHER_OPTIONS, CLIENT_OPTIONS, LOG_LEVELS, MIN_REMOTE_TOKEN_LENGTH } from './dispatcher-options-table.js';
export { renderKeyTable, renderDispatcherTable, defaultText, updateBlocks } from './docs.js';
export { MASK, SENSITIVE_KEY_FRAGMENTS, isSensitiveKey, maskConfiguration, maskUrl, maskProgramArgs, maskText, maskDeep, secretsOf } from './secrets.js';
export { growingMaskingLogOptions, maskingLogOptions } from './log-masking.js';
