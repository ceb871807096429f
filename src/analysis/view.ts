import { HISTOGRAM_BINS, quantileMs } from './histogram.js';
import type { TrendPoint } from './trend.js';
import { ANALYZER_STAGES, type AnalyzerStage } from './types.js';
import { type BucketRing, RQ, SC, SG } from './window.js';

/** One stage over the window. Durations in ms. */
export interface StageSummary {
  readonly count: number;
  readonly meanMs: number;
  readonly stddevMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Σ over requests of the time spent beyond the stage's budget. */
  readonly lostMs: number;
}

/** The cache over the window: counter differences, or the counters since start with one report. */
export interface CacheWindow {
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
  readonly hitRate: number;
  readonly size: number;
  readonly maxSize: number;
}

/** Refreshes finished in the window. */
export interface RefreshWindow {
  readonly count: number;
  readonly failures: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Shortest credential lifetime a refresh produced, ms, or null. */
  readonly minLifetimeMs: number | null;
}

/** Pool figures over the window. */
export interface PoolWindow {
  readonly queuedPeak: number;
  readonly connectedPeak: number;
  readonly runningPeak: number;
  /** Last reported connection limit, or null. */
  readonly maxConnections: number | null;
  readonly avgConnectMs: number;
}

/** Memory over the window. */
export interface MemoryWindow {
  readonly reservedPeakMb: number;
  readonly reservedLastMb: number;
  readonly observedPeakMb: number;
  readonly sessions: number;
  /** Sessions refused / evicted within the window (counter differences). */
  readonly refused: number;
  readonly evicted: number;
}

const stageIndex = new Map<AnalyzerStage, number>(ANALYZER_STAGES.map((s, i) => [s, i]));

/**
 * The window as detectors read it: totals over the buckets that fall inside it, per-bucket series
 * for trends, and the signals. Built by `BottleneckAnalyzer.analyze`; summaries are computed once.
 */
export class WindowView {
  /** Slots in the window, oldest first. */
  readonly slots: readonly number[];
  private readonly summaries = new Map<AnalyzerStage, StageSummary>();

  constructor(
    private readonly ring: BucketRing,
    readonly now: number,
    /** Distinct agents seen in the window. */
    readonly agents: number,
  ) {
    this.slots = ring.slotsUpTo(now);
  }

  /** Requests counter `field` (see RQ) summed over the window. */
  sum(field: number): number {
    let t = 0;
    for (const slot of this.slots) t += this.ring.reqAt(slot, field);
    return t;
  }

  /** Requests in the window. */
  get requests(): number {
    return this.sum(RQ.requests);
  }

  /**
   * Time lost to rejected answers beyond their own duration: each 429, 529, 5xx or broken answer
   * must be redone, which costs about what a successful request costs (its mean total time).
   */
  redoMs(count: number): number {
    const ok = this.sum(RQ.ok);
    return ok === 0 ? 0 : (count * this.sum(RQ.okMs)) / ok;
  }

  /**
   * The impact denominator: all request time in the window (Σ total) plus the redo time of every
   * rejected answer. See impact.ts.
   */
  get requestTimeMs(): number {
    const rejected = this.sum(RQ.n429) + this.sum(RQ.n529) + this.sum(RQ.n5xx);
    return this.stage('total').meanMs * this.stage('total').count + this.redoMs(rejected);
  }

  /** Summary of `stage` over the window. */
  stage(stage: AnalyzerStage): StageSummary {
    let s = this.summaries.get(stage);
    if (s === undefined) this.summaries.set(stage, (s = this.summarize(stage)));
    return s;
  }

  /** Per-bucket `q` quantile of `stage` (buckets with at least `minCount` samples). */
  stageSeries(stage: AnalyzerStage, q = 0.99, minCount = 1): TrendPoint[] {
    const i = stageIndex.get(stage) as number;
    const out: TrendPoint[] = [];
    for (const slot of this.slots) {
      const n = this.ring.stageAt(slot, i, SC.count);
      if (n < minCount) continue;
      const max = this.ring.stageAt(slot, i, SC.max);
      out.push({
        at: this.mid(slot),
        value: quantileMs(this.ring.hist, this.ring.histOffset(slot, i), n, q, max),
      });
    }
    return out;
  }

  /** Per-bucket value of `f(slot)` for buckets where `include(slot)` holds. */
  series(f: (slot: number) => number, include: (slot: number) => boolean): TrendPoint[] {
    const out: TrendPoint[] = [];
    for (const slot of this.slots) if (include(slot)) out.push({ at: this.mid(slot), value: f(slot) });
    return out;
  }

  /** Request counter of one slot (for series). */
  reqAt(slot: number, field: number): number {
    return this.ring.reqAt(slot, field);
  }

  /** Signal field of one slot (for series). */
  sigAt(slot: number, field: number): number {
    return this.ring.sigAt(slot, field);
  }

  /** The cache over the window, or null when it was never reported. */
  cache(): CacheWindow | null {
    const seen = this.slots.filter((s) => this.ring.sigAt(s, SG.cacheSeen) === 1);
    if (seen.length === 0) return null;
    const first = seen[0] as number;
    const last = seen[seen.length - 1] as number;
    const delta = (field: number) => {
      const d = this.ring.sigAt(last, field) - (seen.length > 1 ? this.ring.sigAt(first, field) : 0);
      return d < 0 ? this.ring.sigAt(last, field) : d; // counters restarted
    };
    const hits = delta(SG.cacheHits);
    const misses = delta(SG.cacheMisses);
    return {
      hits,
      misses,
      evictions: delta(SG.cacheEvictions),
      hitRate: hits + misses === 0 ? 1 : hits / (hits + misses),
      size: this.ring.sigAt(last, SG.cacheSize),
      maxSize: this.ring.sigAt(last, SG.cacheMaxSize),
    };
  }

  /** Per-bucket cache hit rate between consecutive reports (buckets with lookups). */
  cacheHitRateSeries(): TrendPoint[] {
    const out: TrendPoint[] = [];
    let prev = -1;
    for (const slot of this.slots) {
      if (this.ring.sigAt(slot, SG.cacheSeen) !== 1) continue;
      if (prev !== -1) {
        const h = this.ring.sigAt(slot, SG.cacheHits) - this.ring.sigAt(prev, SG.cacheHits);
        const m = this.ring.sigAt(slot, SG.cacheMisses) - this.ring.sigAt(prev, SG.cacheMisses);
        if (h >= 0 && m >= 0 && h + m > 0) out.push({ at: this.mid(slot), value: h / (h + m) });
      }
      prev = slot;
    }
    return out;
  }

  /** Pool figures, or null when never reported. */
  pool(): PoolWindow | null {
    const seen = this.slots.filter((s) => this.ring.sigAt(s, SG.poolSeen) === 1);
    if (seen.length === 0) return null;
    const last = seen[seen.length - 1] as number;
    const peak = (field: number) => Math.max(...seen.map((s) => this.ring.sigAt(s, field)));
    const limit = this.ring.sigAt(last, SG.poolMaxConnections);
    return {
      queuedPeak: peak(SG.poolQueuedPeak),
      connectedPeak: peak(SG.poolConnectedPeak),
      runningPeak: peak(SG.poolRunningPeak),
      maxConnections: limit > 0 ? limit : null,
      avgConnectMs: this.ring.sigAt(last, SG.poolAvgConnectMs),
    };
  }

  /** Memory figures, or null when never reported. */
  memory(): MemoryWindow | null {
    const seen = this.slots.filter((s) => this.ring.sigAt(s, SG.memSeen) === 1);
    if (seen.length === 0) return null;
    const first = seen[0] as number;
    const last = seen[seen.length - 1] as number;
    const delta = (field: number) =>
      Math.max(0, this.ring.sigAt(last, field) - (seen.length > 1 ? this.ring.sigAt(first, field) : 0));
    return {
      reservedPeakMb: Math.max(...seen.map((s) => this.ring.sigAt(s, SG.memReservedPeak))),
      reservedLastMb: this.ring.sigAt(last, SG.memReservedLast),
      observedPeakMb: Math.max(...seen.map((s) => this.ring.sigAt(s, SG.memObservedPeak))),
      sessions: this.ring.sigAt(last, SG.memSessions),
      refused: delta(SG.memRefusedTotal),
      evicted: delta(SG.memEvictedTotal),
    };
  }

  /** Refreshes finished in the window, or null when there were none. */
  refreshes(): RefreshWindow | null {
    let count = 0;
    let failures = 0;
    let max = 0;
    let minLifetime = Number.POSITIVE_INFINITY;
    const merged = new Uint32Array(HISTOGRAM_BINS);
    for (const slot of this.slots) {
      const n = this.ring.sigAt(slot, SG.refreshes);
      if (n === 0) continue;
      count += n;
      failures += this.ring.sigAt(slot, SG.refreshFailures);
      max = Math.max(max, this.ring.sigAt(slot, SG.refreshMaxMs));
      minLifetime = Math.min(minLifetime, this.ring.sigAt(slot, SG.refreshMinLifetimeMs));
      const o = slot * HISTOGRAM_BINS;
      for (let b = 0; b < HISTOGRAM_BINS; b++)
        merged[b] = (merged[b] as number) + (this.ring.refreshHist[o + b] as number);
    }
    if (count === 0) return null;
    return {
      count,
      failures,
      p50Ms: quantileMs(merged, 0, count, 0.5, max),
      p99Ms: quantileMs(merged, 0, count, 0.99, max),
      maxMs: max,
      minLifetimeMs: Number.isFinite(minLifetime) ? minLifetime : null,
    };
  }

  /** Peak of signal `field` over the window (0 when never reported). */
  peak(field: number): number {
    let p = 0;
    for (const slot of this.slots) p = Math.max(p, this.ring.sigAt(slot, field));
    return p;
  }

  /** Epoch ms of the first request observed in the window, or `now` when there was none. */
  firstRequestAt(): number {
    for (const slot of this.slots) {
      if (this.ring.reqAt(slot, RQ.requests) > 0) return this.ring.reqAt(slot, RQ.firstAt);
    }
    return this.now;
  }

  /** Middle of the bucket `slot` holds, epoch ms (capped at now for the current bucket). */
  private mid(slot: number): number {
    return Math.min(this.now, this.ring.startOf(slot) + this.ring.bucketMs / 2);
  }

  private summarize(stage: AnalyzerStage): StageSummary {
    const i = stageIndex.get(stage) as number;
    const merged = new Uint32Array(HISTOGRAM_BINS);
    let count = 0;
    let sum = 0;
    let sumSq = 0;
    let max = 0;
    let min = Number.POSITIVE_INFINITY;
    let lost = 0;
    for (const slot of this.slots) {
      const n = this.ring.stageAt(slot, i, SC.count);
      if (n === 0) continue;
      count += n;
      sum += this.ring.stageAt(slot, i, SC.sum);
      sumSq += this.ring.stageAt(slot, i, SC.sumSq);
      max = Math.max(max, this.ring.stageAt(slot, i, SC.max));
      min = Math.min(min, this.ring.stageAt(slot, i, SC.min));
      lost += this.ring.stageAt(slot, i, SC.lost);
      const o = this.ring.histOffset(slot, i);
      for (let b = 0; b < HISTOGRAM_BINS; b++)
        merged[b] = (merged[b] as number) + (this.ring.hist[o + b] as number);
    }
    const mean = count === 0 ? 0 : sum / count;
    return {
      count,
      meanMs: mean,
      stddevMs: count === 0 ? 0 : Math.sqrt(Math.max(0, sumSq / count - mean * mean)),
      p50Ms: quantileMs(merged, 0, count, 0.5, max, min),
      p99Ms: quantileMs(merged, 0, count, 0.99, max, min),
      maxMs: max,
      lostMs: lost,
    };
  }
}
