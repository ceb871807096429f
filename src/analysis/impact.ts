import type { FindingSeverity } from './types.js';

/**
 * Impact, 0–100: a bottleneck's share of lost time in the window.
 *
 *   impact = 100 × L / T
 *
 * T, the request time of the window, is Σ totalMs over every request observed in the window plus
 * the redo time of every rejected answer (429, 529, 5xx, broken upstream connection): such a
 * request has to be sent again, which costs about the mean total time of a successful request.
 *
 * L, the finding's lost time:
 * - a stage finding (slow upstream, slow token endpoint, pool saturated, slow connect, slow key
 *   check, cache too small): Σ over requests of max(0, time in the stage − the stage's budget),
 *   the budget being what a healthy request spends there (thresholds.ts);
 * - a rejection finding (rate limited, overloaded, upstream errors): Σ totalMs of the rejected
 *   answers plus their redo time;
 * - memory pressure slows no request until sessions are refused, so its impact is instead the
 *   share of the eviction band in use, 100 × (reserved − gc_threshold_mb) / (max_memory_mb −
 *   gc_threshold_mb), clamped to 0–100 (see detectors/memory.ts).
 *
 * Stage budgets partition a request's time, so the impacts of time-based findings add up to at
 * most 100.
 */
export function impactOf(lostMs: number, requestTimeMs: number): number {
  if (!(requestTimeMs > 0) || !(lostMs > 0)) return 0;
  return round1(Math.min(100, (100 * lostMs) / requestTimeMs));
}

/** Rounds to one decimal. */
export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

const RANK: Record<FindingSeverity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** Severity from impact alone: ≥ 50 critical, ≥ 25 high, ≥ 10 medium, else low. */
export function severityFromImpact(impact: number): FindingSeverity {
  return impact >= 50 ? 'critical' : impact >= 25 ? 'high' : impact >= 10 ? 'medium' : 'low';
}

/**
 * A finding's severity: the higher of its impact's and `floor`, the floor a detector sets from
 * its own threshold breaches (a hit rate under `cache_hit_rate_threshold`, reservations above
 * `gc_threshold_mb`, …) for problems whose cost is not request time.
 */
export function severityOf(impact: number, floor: FindingSeverity = 'low'): FindingSeverity {
  const s = severityFromImpact(impact);
  return RANK[s] >= RANK[floor] ? s : floor;
}

/** Orders severities: negative when `a` is less severe than `b`. */
export function compareSeverity(a: FindingSeverity, b: FindingSeverity): number {
  return RANK[a] - RANK[b];
}

/** Rounds evidence numbers to 3 decimals (they are for people). */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
