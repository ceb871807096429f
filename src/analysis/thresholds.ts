import { type Config, defaultConfig } from '../config/schema.js';

/**
 * Everything the detectors compare against. Where config.toml has a key the value comes from it
 * (named below); the rest are documented constants, overridable through `AnalyzerOptions.thresholds`
 * (e.g. a deployment behind an LLM gateway with a known time to first byte).
 *
 * A stage's budget is the time a healthy request spends in it: time beyond it is lost time (the
 * impact), and a window p99 beyond it is a breach (the trend's threshold).
 */
export interface AnalyzerThresholds {
  /** Virtual key check budget, ms. Constant 1: it is a map lookup and a constant-time compare. */
  readonly keyCheckMs: number;
  /** What a cache hit costs, ms: auth time beyond it is a cache miss's cost. Constant 0.05. */
  readonly authHitMs: number;
  /**
   * An auth time above this (ms) means the request waited for a credential fetch, so it is counted
   * as `refresh_wait` rather than `auth`. Constant 2 (a miss on a fresh credential is one microtask).
   */
  readonly refreshWaitFloorMs: number;
  /** Refresh wait budget, ms: `[performance.monitoring] authentication_threshold_ms`. */
  readonly refreshWaitMs: number;
  /** Pool queue plus connect budget, ms. Constant 250: one TCP+TLS connect to a distant API. */
  readonly poolMs: number;
  /**
   * Upstream time to first byte of a streamed response, ms. Constant 2000: the Messages API sends
   * its headers with `message_start`, typically well within a second or two.
   */
  readonly ttfbMs: number;
  /** Upstream time to a non-streamed answer (the whole generation), ms. Constant 60 000. */
  readonly answerMs: number;
  /** Cache hit rate below which the cache breaches: `[performance.monitoring] cache_hit_rate_threshold`. */
  readonly cacheHitRate: number;
  /** Share of answers rejected (429, 529, 5xx) above which a rejection finding breaches. Constant 0.02. */
  readonly rejectedShare: number;
  /** `[performance.memory] gc_threshold_mb`: above it idle sessions are evicted. */
  readonly memoryGcMb: number;
  /** `[performance.memory] max_memory_mb`: at it new sessions are refused. */
  readonly memoryMaxMb: number;
  /** Requests in the window below which request-based detectors say nothing. Constant 20. */
  readonly minRequests: number;
  /** Impact below which a time-based finding is not reported. Constant 1 (1% of request time). */
  readonly minImpact: number;
}

/** The thresholds for `config` (default: the specification's defaults), with `overrides` applied. */
export function resolveThresholds(
  config: Config = defaultConfig(),
  overrides: Partial<AnalyzerThresholds> = {},
): AnalyzerThresholds {
  const perf = config.performance;
  return {
    keyCheckMs: 1,
    authHitMs: 0.05,
    refreshWaitFloorMs: 2,
    refreshWaitMs: perf.monitoring.authentication_threshold_ms,
    poolMs: 250,
    ttfbMs: 2000,
    answerMs: 60_000,
    cacheHitRate: perf.monitoring.cache_hit_rate_threshold,
    rejectedShare: 0.02,
    memoryGcMb: perf.memory.gc_threshold_mb,
    memoryMaxMb: perf.memory.max_memory_mb,
    minRequests: 20,
    minImpact: 1,
    ...overrides,
  };
}
