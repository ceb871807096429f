/**
 * One latency bucket scheme for every histogram of the monitor: the Renard R10 series (ten steps per
 * decade, each ≈1.26× the last) from 1 µs to 100 s. Fine enough for a p99 within ≈13 %, coarse
 * enough that a bucket index is one log10 and a compare or two: the hot path records a sample with a
 * few array increments instead of prom-client's `observe` (≈700 ns, measured in
 * monitor-cost.test.ts). Prometheus gets a subset of these edges (1, 2.5 and 5 per decade), so the
 * exported cumulative counts are exact.
 */

const R10 = [1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8];
const FIRST_DECADE = -3; // 0.001 ms
const LAST_EDGE_MS = 100_000; // 100 s

function buildEdges(): Float64Array {
  const edges: number[] = [];
  for (let d = FIRST_DECADE; 10 ** d < LAST_EDGE_MS; d++) {
    for (const m of R10) edges.push(Number((m * 10 ** d).toPrecision(6)));
  }
  edges.push(LAST_EDGE_MS);
  return Float64Array.from(edges);
}

/** Upper bucket edges in ms; bucket `i` holds samples in (EDGES_MS[i-1], EDGES_MS[i]]. */
export const EDGES_MS: Float64Array = buildEdges();
/** Buckets per histogram: one per edge plus one for samples above the last edge. */
export const BUCKETS = EDGES_MS.length + 1;
const LAST = EDGES_MS.length - 1;

/** The bucket of a sample by search: the reference for the table below, and its fallback. */
function bucketBySearch(ms: number): number {
  if (!(ms > EDGES_MS[0]!)) return 0;
  if (ms > LAST_EDGE_MS) return BUCKETS - 1;
  let i = Math.ceil((Math.log10(ms) - FIRST_DECADE) * 10);
  if (i > LAST) i = LAST;
  while (i < LAST && ms > EDGES_MS[i]!) i++;
  while (i > 0 && ms <= EDGES_MS[i - 1]!) i--;
  return i;
}

// A sample's binary exponent and top four mantissa bits, read from its IEEE 754 bits, index a table
// of the first bucket that sixteenth of an octave can fall in; one compare finishes the job (a
// sixteenth of an octave, ×1.044, is narrower than a bucket, ×1.26). Math.log10 costs ten times more.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const exponentOf = (v: number) => {
  f64[0] = v;
  return u32[HI]! >>> 20;
};
const MIN_EXP = exponentOf(EDGES_MS[0]!);
const MAX_EXP = exponentOf(LAST_EDGE_MS);
const TABLE = new Uint8Array((MAX_EXP - MIN_EXP + 1) * 16);
for (let e = MIN_EXP; e <= MAX_EXP; e++) {
  for (let m = 0; m < 16; m++) TABLE[(e - MIN_EXP) * 16 + m] = bucketBySearch(2 ** (e - 1023) * (1 + m / 16));
}

/** The bucket of a sample in ms (negative and NaN count as 0). */
export function bucketOf(ms: number): number {
  if (!(ms > EDGES_MS[0]!)) return 0;
  if (ms > LAST_EDGE_MS) return BUCKETS - 1;
  f64[0] = ms;
  const hi = u32[HI]!;
  let i = TABLE[((hi >>> 20) - MIN_EXP) * 16 + ((hi >>> 16) & 15)]!;
  while (ms > EDGES_MS[i]!) i++;
  return i;
}

/**
 * The `q` quantile (0–1) of bucket counts, interpolated linearly inside its bucket; 0 when empty.
 * Samples above the last edge read as the last edge.
 */
export function quantileOf(counts: ArrayLike<number>, offset: number, total: number, q: number): number {
  if (total <= 0) return 0;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    const c = counts[offset + i] ?? 0;
    if (c > 0 && seen + c >= rank) {
      if (i >= EDGES_MS.length) return LAST_EDGE_MS;
      const lower = i === 0 ? 0 : EDGES_MS[i - 1]!;
      const upper = EDGES_MS[i]!;
      return lower + ((upper - lower) * Math.max(0, rank - seen)) / c;
    }
    seen += c;
  }
  return LAST_EDGE_MS;
}

/** Indexes of the edges exported to Prometheus: 1, 2.5 and 5 per decade from 10 µs, and 100 s. */
export const EXPORT_EDGES: readonly number[] = Array.from(EDGES_MS.keys()).filter((i) => {
  const ms = EDGES_MS[i]!;
  if (ms < 0.01) return false;
  const mantissa = Number((ms / 10 ** Math.floor(Math.log10(ms) + 1e-9)).toPrecision(3));
  return mantissa === 1 || mantissa === 2.5 || mantissa === 5;
});

/** Cumulative bucket counts since start, with sum and count: what a Prometheus histogram exports. */
export class LatencyHistogram {
  readonly counts = new Float64Array(BUCKETS);
  /** Sum of samples, ms. */
  sum = 0;
  count = 0;

  /** Records one sample in ms. */
  observe(ms: number): void {
    this.counts[bucketOf(ms)]!++;
    this.sum += ms;
    this.count++;
  }

  /** Records a sample whose bucket the caller already computed. */
  observeAt(bucket: number, ms: number): void {
    this.counts[bucket]!++;
    this.sum += ms;
    this.count++;
  }

  /** The `q` quantile in ms over every sample since start. */
  quantile(q: number): number {
    return quantileOf(this.counts, 0, this.count, q);
  }
}

/**
 * Bucket counts of the last `seconds` seconds at one-second resolution, plus running totals over
 * them. Recording is two increments; `roll()` (once a second, from the monitor's tick) retires the
 * oldest second. Quantiles over the window cost one pass over the buckets.
 */
export class WindowedHistogram {
  private readonly rows: Uint32Array;
  private readonly totals = new Float64Array(BUCKETS);
  private readonly rowCounts: Uint32Array;
  private pos = 0;
  /** Samples in the window. */
  count = 0;

  constructor(readonly seconds: number) {
    this.rows = new Uint32Array(seconds * BUCKETS);
    this.rowCounts = new Uint32Array(seconds);
  }

  /** Records a sample in the current second by bucket index. */
  add(bucket: number): void {
    this.rows[this.pos * BUCKETS + bucket]!++;
    this.rowCounts[this.pos]!++;
    this.totals[bucket]!++;
    this.count++;
  }

  /** The `q` quantile in ms over the whole window. */
  quantile(q: number): number {
    return quantileOf(this.totals, 0, this.count, q);
  }

  /** The `q` quantile in ms of the current second alone. */
  currentQuantile(q: number): number {
    return quantileOf(this.rows, this.pos * BUCKETS, this.rowCounts[this.pos]!, q);
  }

  /** Samples in the current second. */
  get currentCount(): number {
    return this.rowCounts[this.pos]!;
  }

  /** Starts a new second, dropping the one that leaves the window. */
  roll(): void {
    this.pos = (this.pos + 1) % this.seconds;
    const base = this.pos * BUCKETS;
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.rows[base + i]!;
      if (c !== 0) {
        this.totals[i]! -= c;
        this.rows[base + i] = 0;
      }
    }
    this.count -= this.rowCounts[this.pos]!;
    this.rowCounts[this.pos] = 0;
  }
}
