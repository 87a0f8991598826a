/**
 * The known key closest to an unknown one (Levenshtein edit distance), for
 * "did you mean …?" in the warnings about keys ebbflow does not know.
 */

/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The known key nearest to `key`, or undefined when none is near enough to be a likely typo: a
 * key at most 2 edits away (case and separators `-`, `_` count less), else a known key that ends
 * with the unknown one's last segments, else one within a third of the key's length.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(norm(key), norm(k));
    if (d < bestDistance) { best = k; bestDistance = d; }
  }
  if (best !== undefined && bestDistance <= 2) return best;
  // Same last part under another prefix (e.g. Flink's `taskmanager.heartbeat.timeout` → `heartbeat.timeout`):
  // a stronger hint than a long edit distance, which keys sharing a prefix and a suffix also have.
  const tail = key.split('.').slice(-2).join('.');
  const sameTail = known.find((k) => k.endsWith(tail));
  if (sameTail) return sameTail;
  return best !== undefined && bestDistance <= Math.floor(key.length / 3) ? best : undefined;
}

/** The warning for a key ebbflow does not know: it is ignored, with the closest known key if there is one. */
export function unknownKeyWarning(key: string, known: readonly string[]): string {
  const near = closestKey(key, known);
  return `unknown configuration key "${key}" ignored${near ? `; did you mean "${near}"?` : ''}`;
}
