/**
 * Two helpers shared by the decoders on the data path (the Redis source's XREAD reply parser,
 * connectors/xread-reply.ts, and the batch decoder between TaskManagers, network/batch-decoder.ts):
 * both make many short strings and many objects of a few recurring key lists, where V8's generic
 * paths were most of their time.
 */

/** V8 makes a substring of at least this many characters a slice that keeps its parent alive: longer strings are copied out instead. */
export const MIN_SLICED_STRING = 13;
/** Bytes made into one string at a time: one string over 128 KB is a large object, many times slower to make. */
const WINDOW = 32 * 1024;

/** Node's Buffer slicing method without toString's encoding lookup (on every Buffer, not in @types/node). */
interface Latin1Sliceable extends Buffer { latin1Slice(start: number, end: number): string }

/**
 * Short one-byte strings cut out of a buffer: a window of it is made into one string and the short
 * strings are substrings of that, several times faster than a Buffer-to-string call per string.
 */
export class Latin1Cutter {
  private text = '';
  private from = 0;
  private to = 0;

  constructor(private readonly b: Buffer, private readonly limit: number) {}

  /** The `n` bytes at `at` (below `limit`) as a string, one character per byte. */
  cut(at: number, n: number): string {
    if (n >= MIN_SLICED_STRING) return (this.b as Latin1Sliceable).latin1Slice(at, at + n);
    if (at < this.from || at + n > this.to) {
      this.from = at;
      this.to = Math.min(this.limit, at + WINDOW);
      this.text = (this.b as Latin1Sliceable).latin1Slice(this.from, this.to);
    }
    return this.text.substring(at - this.from, at - this.from + n);
  }
}

export type ObjectFactory = (values: unknown[]) => Record<string, unknown>;

/** Makers by key list (joined by NUL; the list is compared too), at most FACTORY_CACHE of them. */
const factories = new Map<string, { keys: string[]; make: ObjectFactory | undefined }>();
const FACTORY_CACHE = 256;
const MAX_FACTORY_KEYS = 32;

/**
 * A function making an object of these keys from the values in order, as an object literal: many
 * times faster than a property store per key under a name known only at run time (V8's generic
 * keyed store). Keys are written as JSON string literals, so a key can only ever be a property name.
 * Undefined (build key by key) for `__proto__`, repeated keys, more than MAX_FACTORY_KEYS keys, a
 * full cache, or where code generation is not allowed.
 */
export function objectFactory(keys: string[]): ObjectFactory | undefined {
  const id = keys.join('\u0000');
  const known = factories.get(id);
  if (known && sameKeys(known.keys, keys)) return known.make;
  if (keys.length > MAX_FACTORY_KEYS || keys.includes('__proto__') || new Set(keys).size !== keys.length || factories.size >= FACTORY_CACHE) return undefined;
  let make: ObjectFactory | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    make = new Function('v', `return { ${keys.map((k, i) => `${JSON.stringify(k)}: v[${i}]`).join(', ')} };`) as ObjectFactory;
  } catch {
    make = undefined;
  }
  if (!known) factories.set(id, { keys: [...keys], make });
  return make;
}

export function sameKeys(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
