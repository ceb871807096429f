/**
 * A fixed log-scale histogram of durations, as plain counts in a typed array (no allocation per
 * sample). Bins are quarter octaves of whole microseconds: exact below 4 µs, then four bins per
 * doubling up to 2^31 µs (≈36 min), so a bin is at most 25% wide and a percentile read back with
 * linear interpolation inside its bin is within a few percent of the true one.
 */

/** Number of bins. */
export const HISTOGRAM_BINS = 120;

const MAX_US = 0x7fffffff;

/** The bin of a duration in ms (negative and NaN count as 0, huge values land in the last bin). */
export function binOf(ms: number): number {
  let us = ms * 1000;
  if (!(us >= 1)) return 0;
  if (us > MAX_US) us = MAX_US;
  const u = us | 0;
  if (u < 4) return u;
  const e = 31 - Math.clz32(u);
  return 4 * (e - 1) + ((u >>> (e - 2)) & 3);
}

/** Lower edge of `bin`, in ms. */
export function binLowerMs(bin: number): number {
  if (bin < 4) return bin / 1000;
  const e = (bin >> 2) + 1;
  return (2 ** e + (bin & 3) * 2 ** (e - 2)) / 1000;
}

/** Upper edge of `bin` (exclusive), in ms. */
export function binUpperMs(bin: number): number {
  if (bin < 4) return (bin + 1) / 1000;
  const e = (bin >> 2) + 1;
  return binLowerMs(bin) + 2 ** (e - 2) / 1000;
}

/**
 * The `p` quantile (0–1) of the `HISTOGRAM_BINS` counts at `offset` in `counts`, holding `total`
 * samples, in ms: nearest rank, interpolated linearly inside its bin, the bin narrowed to
 * [`minMs`, `maxMs`] (the smallest and largest samples, when known). 0 when there are no samples.
 */
export function quantileMs(
  counts: ArrayLike<number>,
  offset: number,
  total: number,
  p: number,
  maxMs = Number.POSITIVE_INFINITY,
  minMs = 0,
): number {
  if (total <= 0) return 0;
  const rank = Math.min(total, Math.max(1, Math.ceil(p * total)));
  let seen = 0;
  for (let b = 0; b < HISTOGRAM_BINS; b++) {
    const c = counts[offset + b] as number;
    if (c === 0) continue;
    if (seen + c >= rank) {
      const lo = Math.max(binLowerMs(b), Math.min(minMs, maxMs));
      const hi = Math.max(lo, Math.min(binUpperMs(b), maxMs));
      return lo + ((hi - lo) * (rank - seen)) / c;
    }
    seen += c;
  }
  return Math.min(binUpperMs(HISTOGRAM_BINS - 1), maxMs);
}
