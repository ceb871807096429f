import type { CacheStats } from '../cache/AuthenticationCache.js';
import type { ConnectionPoolStats } from '../pool/stats.js';
import type { AlertView } from './AlertEngine.js';
import type { HealthReport } from './health.js';
import type { SeriesField } from './MonitorData.js';
import type { CircuitView } from './RefreshTracker.js';
import type { Stage } from './RequestStats.js';

/** The specification's dashboard JSON, with real values, plus `details`. Times are epoch ms. */
export interface Dashboard {
  overall_performance: {
    /** 0–100: weighted mean of the component scores, capped while alerts fire. */
    score: number;
    /** Component scores 0–100 (docs/monitoring.md); the specification showed status strings here. */
    authentication_performance: number;
    token_refresh_performance: number;
    memory_performance: number;
    concurrency_performance: number;
  };
  component_health: {
    cache: { hit_rate: number; avg_lookup_ms: number };
    memory: { utilization: number; efficiency: number };
    connections: { reuse_rate: number; avg_time_ms: number };
  };
  /** Pending and firing alerts. */
  active_alerts: AlertView[];
  recommendations: string[];
  details: DashboardDetails;
}

/** One row of the agents table. */
export interface AgentRow {
  agent: string;
  requests: number;
  errors: number;
  upstream_429: number;
  upstream_529: number;
  avg_ms: number;
  max_ms: number;
  bytes_in: number;
  bytes_out: number;
  last_seen: number | null;
  reserved_mb: number | null;
  observed_mb: number | null;
}

/** A latency summary in ms. */
export interface LatencySummary {
  count: number;
  avg_ms: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** Everything behind the headline figures. */
export interface DashboardDetails {
  /** False for the no-op monitor (`enable_monitoring = false`). */
  monitoring: boolean;
  generated_at: number;
  uptime_seconds: number;
  /** Seconds the windowed figures and alert rules cover. */
  window_seconds: number;
  health: HealthReport;
  /** Pending, firing and recently resolved alerts. */
  alerts: AlertView[];
  agents: AgentRow[];
  stages: Record<Stage, LatencySummary>;
  counts: {
    requests: number;
    upstream_429: number;
    upstream_529: number;
    upstream_errors: number;
    concurrency_refused: number;
    bytes_in: number;
    bytes_out: number;
    active_agents: number;
  };
  /** Library authentications (the hook): since start, and the alert window (gateway lookups too). */
  authentication: {
    count: number;
    avg_ms: number;
    p50_ms: number;
    p99_ms: number;
    hits: number;
    misses: number;
    window_p99_ms: number;
    window_samples: number;
  };
  cache: CacheStats | null;
  refresh: {
    succeeded: number;
    failed: number;
    batches: number;
    consecutive_failures: number;
    last_failure: { at: number; code: string; message: string } | null;
    queued: number;
    coalesced: number;
    token_state: string;
  };
  circuits: CircuitView[];
  reauth_required: string[];
  pool: ConnectionPoolStats | null;
  memory: {
    reserved_mb: number;
    observed_mb: number | null;
    max_mb: number;
    largest_agent_mb: number;
  } | null;
  /** Per-second points, oldest first, as columns: `t` in epoch seconds. */
  series: { t: number[] } & Record<SeriesField, number[]>;
  /** Headline keys that had nothing to measure yet (their value reads 0). */
  no_data: string[];
}
