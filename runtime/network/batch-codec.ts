/**
 * The encoding of a data batch between TaskManagers (the payload of a data frame, frames.ts).
 *
 * Most batches hold records whose values are strings, numbers, booleans, null/undefined and plain
 * objects of those (the fraud job's transfers are `{from, to, cents, ts}`). For them a compact
 * format: each element a tag byte and its fields, strings as their one-byte (Latin-1) or UTF-16
 * code units (so every string, lone surrogates included, comes back as it was), numbers as int32 or
 * float64 (-0, NaN and ±Infinity intact), and objects by shape: a batch lists each distinct key
 * list once and later objects of that shape refer to it by number. Encoding and decoding it take a
 * fraction of the time of node:v8's structured clone, which was 8–9 % of a TaskManager's CPU at
 * parallelism 2 (bench/README.md, "Profile (issue 18)").
 *
 * Anything else anywhere in a batch (a bigint, an array, a Map, a class instance, a Date, …) and
 * the whole batch goes through node:v8's structured clone as before. A v8 payload starts with its
 * version tag 0xFF, a compact one with COMPACT (0x01), so the decoder tells them apart by the first
 * byte. Malformed input of either kind is a FrameDecodeError (frames.ts), never a crash.
 */
export { encodeBatchPayload } from './batch-encoder.js';
export { decodeBatchPayload } from './batch-decoder.js';
