/**
 * "Did you mean …?" for mistyped config keys. Small enough to own: an optimal-string-alignment
 * Damerau–Levenshtein distance (adjacent transpositions cost 1, so `ttl_mintues` is one edit away).
 */

/** Edit distance between two strings: insertions, deletions, substitutions, adjacent swaps cost 1. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rolling rows: the transposition step looks two rows back.
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, prevPrev[j - 2]! + 1);
      }
      row.push(d);
    }
    prevPrev = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/** Case and `-`/`_` differences are not typos worth counting. */
function normalize(key: string): string {
  return key.toLowerCase().replaceAll('-', '_');
}

/**
 * The candidate a mistyped key most likely meant, or undefined when none is close enough to be a
 * useful guess. Close means: equal up to case and `-`/`_`, within about one edit per three
 * characters, or the key with its unit suffix left off (`batch_timeout` → `batch_timeout_ms`).
 */
export function closestKey(typo: string, candidates: readonly string[]): string | undefined {
  const t = normalize(typo);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const c = normalize(candidate);
    const d = editDistance(t, c);
    const limit = Math.max(1, Math.floor(Math.max(t.length, c.length) / 3));
    if (d <= limit && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best !== undefined) return best;
  const extended = candidates.filter((c) => normalize(c).startsWith(`${t}_`));
  return extended.length === 1 ? extended[0] : undefined;
}
