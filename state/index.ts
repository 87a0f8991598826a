/** Key-group maths, key-group ownership tables and keyed state. Snapshots and checkpoint storage arrive with the distributed runtime. */
export {
  DEFAULT_LOWER_BOUND_MAX_PARALLELISM, UPPER_BOUND_MAX_PARALLELISM, canonicalKey, keyHash, assignToKeyGroup,
  operatorIndexForKeyGroup, keyGroupRangeForSubtask, defaultMaxParallelism, checkParallelism,
} from './key-groups.js';
export type { Key, KeyGroupRange } from './key-groups.js';
export {
  contiguousTable, rescaleTable, minimumMoves, countMoves, keyGroupsOf, rangesOf, compressToRanges, expandRanges, checkTable,
} from './key-group-assignment.js';
export type { KeyGroupTable } from './key-group-assignment.js';
