import { binOf, HISTOGRAM_BINS } from './histogram.js';
import { ANALYZER_STAGES } from './types.js';

/** Number of stages kept per bucket. */
export const STAGE_COUNT = ANALYZER_STAGES.length;

/** Per-stage scalars of one bucket, at these offsets. */
export const SC = { count: 0, sum: 1, sumSq: 2, max: 3, lost: 4, min: 5 } as const;
const SC_FIELDS = 6;

/** Per-bucket request counters, at these offsets. */
export const RQ = {
  /** Requests observed. */
  requests: 0,
  /** Completed with a 2xx from upstream. */
  ok: 1,
  /** Σ totalMs of those. */
  okMs: 2,
  /** Upstream 429 answers and Σ their totalMs. */
  n429: 3,
  ms429: 4,
  /** Upstream 529 answers and Σ their totalMs. */
  n529: 5,
  ms529: 6,
  /** Upstream 5xx (other than 529) answers plus broken upstream connections, and Σ their totalMs. */
  n5xx: 7,
  ms5xx: 8,
  /** Refused because no credential came (the auth stage ran, no credential kind was set). */
  credentialFailed: 9,
  /** The agent went away first. */
  clientAborted: 10,
  /** Refused by the gateway for lack of memory (memory_budget_exceeded). */
  memoryRefused: 11,
  /** Epoch ms of the bucket's first observed request (0 before any). */
  firstAt: 12,
} as const;
const RQ_FIELDS = 13;

/**
 * Per-bucket signals, at these offsets. "last" fields hold the last value seen in the bucket,
 * "peak" fields the largest; the `*Seen` flags say whether the group was reported at all.
 */
export const SG = {
  cacheSeen: 0,
  cacheHits: 1,
  cacheMisses: 2,
  cacheEvictions: 3,
  cacheSize: 4,
  cacheMaxSize: 5,
  poolSeen: 6,
  poolQueuedPeak: 7,
  poolConnectedPeak: 8,
  poolRunningPeak: 9,
  poolMaxConnections: 10,
  poolAvgConnectMs: 11,
  memSeen: 12,
  memReservedPeak: 13,
  memReservedLast: 14,
  memObservedPeak: 15,
  memSessions: 16,
  memRefusedTotal: 17,
  memEvictedTotal: 18,
  refreshes: 19,
  refreshFailures: 20,
  refreshMaxMs: 21,
  refreshMinLifetimeMs: 22,
  circuitsOpenPeak: 23,
  activeAgentsPeak: 24,
} as const;
const SG_FIELDS = 25;

/**
 * The sliding window's storage: a ring of fixed-size buckets, each `bucketMs` wide, holding
 * aggregates only (per stage: count, sum, sum of squares, min, max, lost time beyond the stage's budget
 * and a log histogram; request counters; signal peaks and last values). Memory is fixed at
 * construction and independent of the request rate. A bucket is cleared when its slot is reused,
 * so data older than the window is never read (readers check each slot's bucket index).
 */
export class BucketRing {
  /** Buckets in the ring (the window is this many buckets). */
  readonly size: number;
  readonly bucketMs: number;
  /** Absolute bucket index (floor(epoch ms / bucketMs)) each slot holds, or -1. */
  readonly index: Float64Array;
  readonly stage: Float64Array;
  readonly hist: Uint32Array;
  readonly req: Float64Array;
  readonly sig: Float64Array;
  /** Refresh duration histogram per bucket. */
  readonly refreshHist: Uint32Array;
  private currentIdx = -1;
  private currentSlot = 0;

  constructor(windowMs: number, bucketMs: number) {
    if (!(bucketMs > 0) || !(windowMs >= bucketMs)) {
      throw new TypeError('bucketMs must be positive and windowMs at least bucketMs');
    }
    this.bucketMs = bucketMs;
    this.size = Math.ceil(windowMs / bucketMs);
    if (this.size > 10_000) throw new TypeError('windowMs / bucketMs must be at most 10 000 buckets');
    this.index = new Float64Array(this.size).fill(-1);
    this.stage = new Float64Array(this.size * STAGE_COUNT * SC_FIELDS);
    this.hist = new Uint32Array(this.size * STAGE_COUNT * HISTOGRAM_BINS);
    this.req = new Float64Array(this.size * RQ_FIELDS);
    this.sig = new Float64Array(this.size * SG_FIELDS);
    this.refreshHist = new Uint32Array(this.size * HISTOGRAM_BINS);
  }

  /** Bytes held by the typed arrays (fixed). */
  get bytes(): number {
    return (
      this.index.byteLength +
      this.stage.byteLength +
      this.hist.byteLength +
      this.req.byteLength +
      this.sig.byteLength +
      this.refreshHist.byteLength
    );
  }

  /** The absolute bucket index of epoch ms `at`. */
  bucketOf(at: number): number {
    return Math.floor(at / this.bucketMs);
  }

  /**
   * The slot to write a sample taken at `now` into, clearing it first when it held an older
   * bucket. A clock that steps back writes into the current bucket.
   */
  slotFor(now: number): number {
    const idx = Math.floor(now / this.bucketMs);
    if (idx <= this.currentIdx) return this.currentSlot;
    const slot = idx % this.size;
    if (this.index[slot] !== idx) this.clear(slot, idx);
    this.currentIdx = idx;
    this.currentSlot = slot;
    return slot;
  }

  /** Adds one stage sample of `ms`; `budget` is the stage's budget (time beyond it is lost). */
  addStage(slot: number, stage: number, ms: number, budget: number): void {
    const cell = slot * STAGE_COUNT + stage;
    const o = cell * SC_FIELDS;
    const s = this.stage;
    const n = (s[o] as number) + 1;
    s[o] = n;
    if (n === 1 || ms < (s[o + 5] as number)) s[o + 5] = ms;
    s[o + 1] = (s[o + 1] as number) + ms;
    s[o + 2] = (s[o + 2] as number) + ms * ms;
    if (ms > (s[o + 3] as number)) s[o + 3] = ms;
    if (ms > budget) s[o + 4] = (s[o + 4] as number) + (ms - budget);
    const h = cell * HISTOGRAM_BINS + binOf(ms);
    this.hist[h] = (this.hist[h] as number) + 1;
  }

  /** Adds `by` to request counter `field`. */
  addReq(slot: number, field: number, by = 1): void {
    const o = slot * RQ_FIELDS + field;
    this.req[o] = (this.req[o] as number) + by;
  }

  /** Request counter `field` of `slot`. */
  reqAt(slot: number, field: number): number {
    return this.req[slot * RQ_FIELDS + field] as number;
  }

  /** Stage scalar `field` (see SC) of `stage` in `slot`. */
  stageAt(slot: number, stage: number, field: number): number {
    return this.stage[(slot * STAGE_COUNT + stage) * SC_FIELDS + field] as number;
  }

  /** Offset of the histogram of `stage` in `slot` within `hist`. */
  histOffset(slot: number, stage: number): number {
    return (slot * STAGE_COUNT + stage) * HISTOGRAM_BINS;
  }

  /** Signal field `field` (see SG) of `slot`. */
  sigAt(slot: number, field: number): number {
    return this.sig[slot * SG_FIELDS + field] as number;
  }

  setSig(slot: number, field: number, value: number): void {
    this.sig[slot * SG_FIELDS + field] = value;
  }

  /** Raises signal field `field` of `slot` to `value` if larger. */
  peakSig(slot: number, field: number, value: number): void {
    const o = slot * SG_FIELDS + field;
    if (value > (this.sig[o] as number)) this.sig[o] = value;
  }

  /** Adds one refresh duration to the refresh histogram of `slot`. */
  addRefreshDuration(slot: number, ms: number): void {
    const h = slot * HISTOGRAM_BINS + binOf(ms);
    this.refreshHist[h] = (this.refreshHist[h] as number) + 1;
  }

  /** Slots holding buckets in the window ending at `now`, oldest first. */
  slotsUpTo(now: number): number[] {
    const last = Math.floor(now / this.bucketMs);
    const first = last - this.size + 1;
    const out: number[] = [];
    for (let idx = Math.max(first, 0); idx <= last; idx++) {
      const slot = idx % this.size;
      if (this.index[slot] === idx) out.push(slot);
    }
    return out;
  }

  /** Start (epoch ms) of the bucket `slot` holds. */
  startOf(slot: number): number {
    return (this.index[slot] as number) * this.bucketMs;
  }

  private clear(slot: number, idx: number): void {
    this.index[slot] = idx;
    this.stage.fill(0, slot * STAGE_COUNT * SC_FIELDS, (slot + 1) * STAGE_COUNT * SC_FIELDS);
    this.hist.fill(0, slot * STAGE_COUNT * HISTOGRAM_BINS, (slot + 1) * STAGE_COUNT * HISTOGRAM_BINS);
    this.req.fill(0, slot * RQ_FIELDS, (slot + 1) * RQ_FIELDS);
    this.sig.fill(0, slot * SG_FIELDS, (slot + 1) * SG_FIELDS);
    this.refreshHist.fill(0, slot * HISTOGRAM_BINS, (slot + 1) * HISTOGRAM_BINS);
    this.sig[slot * SG_FIELDS + SG.refreshMinLifetimeMs] = Number.POSITIVE_INFINITY;
  }
}
