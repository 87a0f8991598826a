/**
 * The compact format of a data batch between TaskManagers (batch-encoder.ts writes it,
 * batch-decoder.ts reads it; batch-codec.ts says why it exists).
 *
 * Header: COMPACT, the element count and the structure's length, u32 LE each. Then the structure:
 * per element a tag byte and its fields; values as a tag and their bytes (int32 or float64 numbers,
 * strings as a length and, for UTF-16 ones, their code units; one-byte (Latin-1) strings' characters
 * go in one block after the structure); objects by shape (V_NEW_SHAPE with its key list the first
 * time in a batch, V_SHAPE and its number after that), then their values in key order.
 */
/** First byte of a compact batch (a v8 payload starts with 0xFF). */
export const COMPACT = 0x01;
/** COMPACT, the element count and the structure's length (where the one-byte strings' characters begin), u32 LE each. */
export const HEADER_BYTES = 9;

// Element tags. A record's tag carries whether a timestamp and a key group follow.
export const E_WATERMARK = 1, E_END = 2, E_BARRIER = 3, E_IDLE_ON = 4, E_IDLE_OFF = 5;
export const E_RECORD = 0x10, R_TS = 0x01, R_KG = 0x02;

// Value tags.
export const V_UNDEFINED = 0, V_NULL = 1, V_TRUE = 2, V_FALSE = 3, V_INT = 4, V_DOUBLE = 5, V_LATIN1 = 6, V_UTF16 = 7, V_NEW_SHAPE = 8, V_SHAPE = 9;

/** Deepest nesting of plain objects encoded compactly (deeper: the batch goes through v8). */
export const MAX_DEPTH = 16;
