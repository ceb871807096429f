import type { CacheStats } from '../cache/AuthenticationCache.js';
import type { Config } from '../config/schema.js';
import type { RequestRecord } from '../gateway/record.js';
import type { ConnectionPoolStats } from '../pool/stats.js';
import type { RuleSources } from './alertRules.js';
import { bucketOf, LatencyHistogram, WindowedHistogram } from './buckets.js';
import type { AlertSeverity } from './events.js';
import type { HealthInputs } from './health.js';
import { type CircuitState, RefreshTracker } from './RefreshTracker.js';
import { RequestKind, RequestStats } from './RequestStats.js';
import { SecondSeries } from './SecondSeries.js';

/** The parts of OptimizedAuthManager the monitor samples once a second. */
export interface ManagerSource {
  stats(): {
    cache: CacheStats | null;
    lookups: { count: number; avg: number; p50: number; p99: number; max: number };
    refresh: { started: number; succeeded: number; failed: number; coalesced: number; queued: number };
    circuits: Record<string, CircuitState>;
  };
  tokenState(): { value: string };
}

/** The part of ClaudeConnectionPool the monitor samples. */
export interface PoolSource {
  stats(): ConnectionPoolStats;
}

/** Memory as the agent session registry sees it (set by the composer; figures in MB). */
export interface MemoryReport {
  /** Reserved by every session. */
  reservedMb: number;
  /** Measured (RSS of launched agents), when measured. */
  observedMb?: number;
  agents?: ReadonlyArray<{ agent: string; reservedMb: number; observedMb?: number }>;
}

/** Columns of the per-second series (the dashboard's charts and the rules' windows). */
export const SERIES_FIELDS = [
  'requests',
  'admitted',
  'errors',
  'upstream_429',
  'upstream_529',
  'upstream_errors',
  'concurrency_refused',
  'latency_p50_ms',
  'latency_p99_ms',
  'auth_lookups',
  'auth_p99_ms',
  'cache_hits',
  'cache_misses',
  'cache_hit_rate',
  'refreshes',
  'refresh_failures',
  'connections_open',
  'connections_opened',
  'pool_requests',
  'pool_pending',
  'reuse_rate',
  'memory_reserved_mb',
  'memory_observed_mb',
  'memory_largest_agent_mb',
] as const;
/** One column of the per-second series. */
export type SeriesField = (typeof SERIES_FIELDS)[number];

/** Seconds of per-second history kept (10 minutes). */
export const HISTORY_SECONDS = 600;

const col = (s: SecondSeries<SeriesField>, f: SeriesField) => s.column(f);

/**
 * Everything the monitor measures, with the cheap ingestion paths and no timers: the facade
 * (Monitor) owns the clock ticks and the alert engine. Implements the alert rules' sources.
 */
export class MonitorData implements RuleSources {
  readonly windowSeconds: number;
  readonly series: SecondSeries<SeriesField>;
  readonly requests: RequestStats;
  readonly refresh = new RefreshTracker();
  /** Authentication latency since start, by cache outcome (the hook's samples). */
  readonly authHit = new LatencyHistogram();
  readonly authMiss = new LatencyHistogram();
  /** Authentication latency over the alert window (hook and gateway samples). */
  readonly authWindow: WindowedHistogram;
  /** Request total latency of the current second. */
  private readonly requestSecond = new WindowedHistogram(1);
  memory: MemoryReport | null = null;
  managerStats: ReturnType<ManagerSource['stats']> | null = null;
  poolStats: ConnectionPoolStats | null = null;
  tokenState = 'unknown';
  readonly startedAt: number;
  private readonly c: Record<SeriesField, number>;
  private prevCache = { hits: 0, misses: 0 };
  private prevPool = { opened: 0, requests: 0 };

  constructor(
    readonly config: Config,
    now: number,
    readonly manager: ManagerSource | null,
    readonly pool: PoolSource | null,
    maxAgents: number,
  ) {
    const interval = Math.round(config.performance.monitoring.health_check_interval_minutes * 60);
    this.windowSeconds = Math.min(HISTORY_SECONDS, Math.max(10, interval));
    this.series = new SecondSeries(SERIES_FIELDS, HISTORY_SECONDS, this.windowSeconds, now);
    this.authWindow = new WindowedHistogram(this.windowSeconds);
    this.requests = new RequestStats(maxAgents);
    this.startedAt = now;
    this.c = Object.fromEntries(SERIES_FIELDS.map((f) => [f, col(this.series, f)])) as Record<
      SeriesField,
      number
    >;
  }

  /** One authentication (library call): latency in ms, served from the cache or not. */
  observeAuthentication(ms: number, cached: boolean): number {
    const b = bucketOf(ms);
    (cached ? this.authHit : this.authMiss).observeAt(b, ms);
    this.authWindow.add(b);
    this.series.add(this.c.auth_lookups);
    if (this.manager === null) this.series.add(cached ? this.c.cache_hits : this.c.cache_misses);
    return b;
  }

  /** One finished gateway request; returns its RequestKind bits. */
  observeRequest(r: RequestRecord): number {
    const kind = this.requests.observe(r, r.startedAt);
    const s = this.series;
    const c = this.c;
    s.add(c.requests);
    if (kind & RequestKind.Admitted) s.add(c.admitted);
    if (kind & RequestKind.Error) s.add(c.errors);
    if (kind & RequestKind.Upstream429) s.add(c.upstream_429);
    if (kind & RequestKind.Upstream529) s.add(c.upstream_529);
    if (kind & RequestKind.UpstreamError) s.add(c.upstream_errors);
    if (kind & RequestKind.ConcurrencyRefused) s.add(c.concurrency_refused);
    if (r.totalMs >= 0) this.requestSecond.add(bucketOf(r.totalMs));
    if (r.authMs >= 0) {
      this.authWindow.add(bucketOf(r.authMs));
      s.add(c.auth_lookups);
    }
    return kind;
  }

  /** Counts a refresh outcome into the current second. */
  countRefresh(ok: boolean): void {
    this.series.add(ok ? this.c.refreshes : this.c.refresh_failures);
  }

  /** An agent's measured memory from a `memory.over_limit` event, until the next `setMemory`. */
  noteAgentMemory(agent: string, observedMb: number): void {
    const mem = this.memory ?? { reservedMb: 0 };
    const agents = (mem.agents ?? []).filter((a) => a.agent !== agent);
    const prior = mem.agents?.find((a) => a.agent === agent);
    agents.push({ agent, reservedMb: prior?.reservedMb ?? 0, observedMb });
    this.memory = { ...mem, agents };
  }

  /**
   * Samples the manager and the pool, sets the second's gauges and closes it; returns the closed
   * second's cache hits and misses.
   */
  closeSecond(now: number): { hits: number; misses: number } {
    const s = this.series;
    if (this.manager !== null) {
      const m = (this.managerStats = this.manager.stats());
      this.tokenState = this.manager.tokenState().value;
      if (m.cache !== null) {
        s.add(this.c.cache_hits, Math.max(0, m.cache.hits - this.prevCache.hits));
        s.add(this.c.cache_misses, Math.max(0, m.cache.misses - this.prevCache.misses));
        this.prevCache = { hits: m.cache.hits, misses: m.cache.misses };
      }
      this.refresh.syncCircuits(m.circuits, now);
      if (this.tokenState !== 'reauth_required') this.refresh.reauth.clear();
      else if (this.refresh.reauth.size === 0) this.refresh.reauth.add('the configured credential');
    }
    if (this.pool !== null) {
      const p = (this.poolStats = this.pool.stats());
      const opened = Math.max(0, p.connectionsOpened - this.prevPool.opened);
      const requests = Math.max(0, p.requests - this.prevPool.requests);
      this.prevPool = { opened: p.connectionsOpened, requests: p.requests };
      s.add(this.c.connections_opened, opened);
      s.add(this.c.pool_requests, requests);
      s.set('connections_open', p.connected);
      s.set('pool_pending', p.pending);
      s.set('reuse_rate', requests === 0 ? 0 : Math.max(0, 1 - opened / requests));
    }
    const hits = s.current('cache_hits');
    const misses = s.current('cache_misses');
    s.set('cache_hit_rate', hits + misses === 0 ? 0 : hits / (hits + misses));
    s.set('latency_p50_ms', this.requestSecond.currentQuantile(0.5));
    s.set('latency_p99_ms', this.requestSecond.currentQuantile(0.99));
    s.set('auth_p99_ms', this.authWindow.currentQuantile(0.99));
    const mem = this.memory;
    if (mem !== null) {
      s.set('memory_reserved_mb', mem.reservedMb);
      s.set('memory_observed_mb', mem.observedMb ?? 0);
      s.set('memory_largest_agent_mb', this.largestAgent()?.mb ?? 0);
    }
    s.roll(now);
    this.authWindow.roll();
    this.requestSecond.roll();
    return { hits, misses };
  }

  // RuleSources

  authLatency(): { p99: number; samples: number } {
    return { p99: this.authWindow.quantile(0.99), samples: this.authWindow.count };
  }

  largestAgent(): { agent: string; mb: number } | null {
    const agents = this.memory?.agents;
    if (agents === undefined || agents.length === 0) return null;
    let best: { agent: string; mb: number } | null = null;
    for (const a of agents) {
      const mb = a.observedMb ?? a.reservedMb;
      if (best === null || mb > best.mb) best = { agent: a.agent, mb };
    }
    return best;
  }

  cacheLookups(): { hits: number; misses: number } {
    return { hits: this.series.windowSum('cache_hits'), misses: this.series.windowSum('cache_misses') };
  }

  refreshFailures(): { consecutive: number; message: string | null } {
    return {
      consecutive: this.refresh.consecutiveFailures,
      message: this.refresh.lastFailure?.message ?? null,
    };
  }

  openCircuits(): string[] {
    return this.refresh.open();
  }

  reauthRequired(): string[] {
    return [...this.refresh.reauth];
  }

  upstream(): { admitted: number; r429: number; r529: number; errors: number } {
    const s = this.series;
    return {
      admitted: s.windowSum('admitted'),
      r429: s.windowSum('upstream_429'),
      r529: s.windowSum('upstream_529'),
      errors: s.windowSum('upstream_errors'),
    };
  }

  /** The health scores' inputs from the windows and the last samples. */
  healthInputs(firing: readonly AlertSeverity[], minSamples: number): HealthInputs {
    const perf = this.config.performance;
    const s = this.series;
    const mem = this.memory;
    const pool = this.requests.stages.pool.summary();
    const u = this.upstream();
    return {
      thresholds: {
        authenticationMs: perf.monitoring.authentication_threshold_ms,
        cacheHitRate: perf.monitoring.cache_hit_rate_threshold,
        memoryPerAgentMb: perf.monitoring.memory_threshold_mb,
        maxMemoryMb: perf.memory.max_memory_mb,
        gcThresholdMb: perf.memory.gc_threshold_mb,
      },
      minSamples,
      firing,
      auth: { p99Ms: this.authWindow.quantile(0.99), samples: this.authWindow.count },
      refresh: {
        succeeded: s.sum('refreshes', HISTORY_SECONDS),
        failed: s.sum('refresh_failures', HISTORY_SECONDS),
        reauthRequired: this.refresh.reauth.size > 0,
        circuitsOpen: this.refresh.count('open'),
        circuitsHalfOpen: this.refresh.count('half_open'),
      },
      memory: {
        known: mem !== null,
        usedMb: mem === null ? 0 : Math.max(mem.reservedMb, mem.observedMb ?? 0),
        largestAgentMb: this.largestAgent()?.mb ?? 0,
      },
      concurrency: {
        poolP99Ms: pool.p99,
        poolSamples: Math.min(pool.count, 2048),
        admitted: u.admitted,
        throttled: u.r429 + u.r529 + s.windowSum('concurrency_refused'),
      },
      cache: this.cacheLookups(),
      connections: {
        requests: s.windowSum('pool_requests'),
        opened: s.windowSum('connections_opened'),
        avgConnectMs: this.poolStats?.avgConnectMs ?? 0,
      },
    };
  }
}
