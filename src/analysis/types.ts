import type { Trend } from './trend.js';

/**
 * The stages of one proxied request, in order. Each is timed by the gateway (RequestRecord):
 * - `key_check`: the virtual key check;
 * - `auth`: the credential lookup when it did not wait (a cache hit, or a miss served from the
 *   current credential);
 * - `refresh_wait`: the credential lookup when it waited for a credential fetch (its `authMs`
 *   exceeded `refreshWaitFloorMs`: the record has one auth time, and only a fetch takes that long);
 * - `pool`: pool queue plus connect;
 * - `ttfb`: upstream time to the response headers of a streamed response (time to first byte);
 * - `answer`: the same for a non-streamed response, which includes the whole generation;
 * - `stream`: from the headers until the last byte reached the agent;
 * - `total`: arrival to done.
 */
export const ANALYZER_STAGES = [
  'key_check',
  'auth',
  'refresh_wait',
  'pool',
  'ttfb',
  'answer',
  'stream',
  'total',
] as const;
export type AnalyzerStage = (typeof ANALYZER_STAGES)[number];

/** What a finding is about. */
export type FindingKind =
  /** Upstream (the API or the LLM gateway behind us) is slow to answer: not ours to fix. */
  | 'slow_upstream'
  /** Requests wait for credential refreshes (a slow or failing token endpoint or key helper). */
  | 'slow_token_endpoint'
  /** The authentication cache holds fewer entries than there are active agents, so it thrashes. */
  | 'cache_too_small'
  /** Requests queue for an upstream connection: the pool's connection limit is too low. */
  | 'pool_saturated'
  /** Opening upstream connections is slow (network, TLS), with no queueing. */
  | 'slow_connect'
  /** The virtual key check is slow (it should be a map lookup). */
  | 'slow_key_check'
  /** Agent sessions reserve memory above `gc_threshold_mb`, towards `max_memory_mb`. */
  | 'memory_pressure'
  /** Upstream answers 429: the organisation's rate limit. */
  | 'rate_limited'
  /** Upstream answers 529: the API is overloaded. */
  | 'upstream_overloaded'
  /** Upstream answers 5xx or breaks connections. */
  | 'upstream_errors';

/** Severity, from the impact and the detector's own threshold breaches (see impact.ts). */
export type FindingSeverity = 'low' | 'medium' | 'high' | 'critical';

/** Where a finding's time goes: a request stage, memory, or answers lost to rejections. */
export type FindingStage = Exclude<AnalyzerStage, 'total'> | 'memory' | 'rejections';

/** What to change. */
export interface Recommendation {
  /** The advice, one or two sentences. */
  readonly text: string;
  /** A key of config.toml (src/config/schema.ts) to change, or null when no key governs it. */
  readonly configKey: string | null;
  /**
   * Where to change it when it is not a config key (e.g. a `createGateway` option), or null. Says
   * so explicitly when the setting has no config key yet.
   */
  readonly setting: string | null;
  /** The value to set, computed from the evidence; null when there is nothing of ours to set. */
  readonly suggestedValue: number | string | null;
  /** Why this value. */
  readonly why: string;
}

/** One bottleneck the analyzer found in the window. */
export interface Finding {
  /** Stable for a kind, so a dashboard can follow a finding from one analysis to the next. */
  readonly id: string;
  readonly kind: FindingKind;
  readonly title: string;
  readonly stage: FindingStage;
  /**
   * 0–100: this bottleneck's share of lost time in the window (see impact.ts for the formula).
   * Findings are sorted by it.
   */
  readonly impact: number;
  readonly severity: FindingSeverity;
  /** The numbers the finding rests on (durations in ms, rates 0–1, counts). */
  readonly evidence: Readonly<Record<string, number>>;
  readonly trend: Trend;
  readonly recommendation: Recommendation;
}

/** Cumulative authentication cache counters (a subset of the manager's CacheStats). */
export interface CacheSignal {
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
  readonly size: number;
  readonly maxSize: number;
}

/** Connection pool figures (a subset of ConnectionPoolStats: live figures and cumulative counters). */
export interface PoolSignal {
  /** Open connections now. */
  readonly connected: number;
  /** Requests queued in the pool now, waiting for a connection. */
  readonly queued: number;
  /** Requests running now. */
  readonly running: number;
  /** Mean connect time so far, ms. */
  readonly avgConnectMs?: number;
  /** The pool's connection limit per origin, when the caller knows it. */
  readonly maxConnections?: number;
}

/** Agent session memory, from the memory governor. */
export interface MemorySignal {
  /** MB reserved by agent sessions now. */
  readonly reservedMb: number;
  /** Resident memory observed for launched agents now, MB, if measured. */
  readonly observedMb?: number;
  /** Agent sessions now. */
  readonly sessions?: number;
  /** Sessions refused for lack of memory so far (cumulative). */
  readonly refusedTotal?: number;
  /** Sessions evicted under pressure so far (cumulative). */
  readonly evictedTotal?: number;
}

/** One finished credential refresh. */
export interface RefreshSample {
  readonly durationMs: number;
  readonly ok: boolean;
  /** Lifetime of the credential it produced (expiresAt − now), ms; null when unknown or none. */
  readonly lifetimeMs: number | null;
}

/**
 * Periodic non-request signals, all optional: pass what you have (the composer calls
 * `observeSignals` about once a second). Cumulative counters may start anywhere; the analyzer
 * works on their differences within the window.
 */
export interface AnalyzerSignals {
  readonly cache?: CacheSignal | null;
  readonly pool?: PoolSignal;
  readonly memory?: MemorySignal;
  /** Refreshes finished since the previous call (or feed events with `observeEvent` instead). */
  readonly refreshes?: readonly RefreshSample[];
  /** Refresh circuits open now. */
  readonly circuitsOpen?: number;
  /** Agents with a live session now, if known (the analyzer also counts distinct agents it sees). */
  readonly activeAgents?: number;
}
