import type { AlertView } from './AlertEngine.js';
import { BUCKETS, quantileOf } from './buckets.js';
import type { AgentRow, Dashboard, LatencySummary } from './dashboardShape.js';
import type { HealthReport } from './health.js';
import { type MonitorData, SERIES_FIELDS } from './MonitorData.js';
import { STAGES, type Stage } from './RequestStats.js';

export type { AgentRow, Dashboard, DashboardDetails, LatencySummary } from './dashboardShape.js';

/** Inputs of {@link buildDashboard} besides the data. */
export interface DashboardInputs {
  now: number;
  health: HealthReport;
  alerts: AlertView[];
  recommendations: readonly string[];
  activeAgents: number;
  /** Per-second points to include (default all kept). */
  seriesSeconds?: number;
  /** Rows of the agents table, busiest first (default 200). */
  maxAgentRows?: number;
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;

function latency(s: { count: number; avg: number; p50: number; p99: number; max: number }): LatencySummary {
  return { count: s.count, avg_ms: r3(s.avg), p50_ms: r3(s.p50), p99_ms: r3(s.p99), max_ms: r3(s.max) };
}

/** Builds the dashboard JSON from the monitor's data, its health report and alerts. */
export function buildDashboard(data: MonitorData, i: DashboardInputs): Dashboard {
  const noData: string[] = [];
  const h = i.health.components;
  const s = data.series;
  const rq = data.requests;

  const windowLookups = data.cacheLookups();
  const cacheAll = data.managerStats?.cache;
  const allHits = cacheAll ? cacheAll.hits : data.authHit.count;
  const allLookups = cacheAll ? cacheAll.hits + cacheAll.misses : data.authHit.count + data.authMiss.count;
  const windowTotal = windowLookups.hits + windowLookups.misses;
  const hitRate =
    windowTotal > 0 ? windowLookups.hits / windowTotal : allLookups > 0 ? allHits / allLookups : 0;
  if (allLookups === 0) noData.push('component_health.cache.hit_rate');

  const gatewayAuth = rq.stages.auth.summary();
  const hookCount = data.authHit.count + data.authMiss.count;
  const authCount = hookCount + gatewayAuth.count;
  const authSum = data.authHit.sum + data.authMiss.sum + gatewayAuth.avg * gatewayAuth.count;
  const managerLookups = data.managerStats?.lookups;
  const avgLookup = authCount > 0 ? authSum / authCount : (managerLookups?.avg ?? 0);
  if (authCount === 0 && !managerLookups?.count) noData.push('component_health.cache.avg_lookup_ms');

  const mem = data.memory;
  const maxMb = data.config.performance.memory.max_memory_mb;
  const usedMb = mem === null ? 0 : Math.max(mem.reservedMb, mem.observedMb ?? 0);
  if (mem === null) noData.push('component_health.memory.utilization');
  const efficiency =
    mem !== null && mem.observedMb !== undefined && mem.reservedMb > 0
      ? Math.min(1, mem.observedMb / mem.reservedMb)
      : 0;
  if (efficiency === 0) noData.push('component_health.memory.efficiency');

  const poolReqWindow = s.windowSum('pool_requests');
  const reuse =
    poolReqWindow > 0
      ? Math.max(0, 1 - s.windowSum('connections_opened') / poolReqWindow)
      : (data.poolStats?.reuseRate ?? 0);
  if (!data.poolStats?.requests) noData.push('component_health.connections.reuse_rate');
  const poolStage = rq.stages.pool.summary();
  if (poolStage.count === 0) noData.push('component_health.connections.avg_time_ms');

  const alerts = i.alerts;
  const active = alerts.filter((a) => a.state !== 'resolved');
  const recommendations =
    i.recommendations.length > 0
      ? [...i.recommendations]
      : active.length === 0 && i.health.score >= 90
        ? ['System performance is optimal']
        : [];
  const m = data.managerStats;
  const rt = data.refresh;

  return {
    overall_performance: {
      score: i.health.score,
      authentication_performance: h.authentication.score,
      token_refresh_performance: h.token_refresh.score,
      memory_performance: h.memory.score,
      concurrency_performance: h.concurrency.score,
    },
    component_health: {
      cache: { hit_rate: r3(hitRate), avg_lookup_ms: r3(avgLookup) },
      memory: { utilization: r3(usedMb / maxMb), efficiency: r3(efficiency) },
      connections: { reuse_rate: r3(reuse), avg_time_ms: r3(poolStage.avg) },
    },
    active_alerts: active,
    recommendations,
    details: {
      monitoring: true,
      generated_at: i.now,
      uptime_seconds: Math.round((i.now - data.startedAt) / 1000),
      window_seconds: data.windowSeconds,
      health: i.health,
      alerts,
      agents: agentRows(data, i.maxAgentRows ?? 200),
      stages: Object.fromEntries(STAGES.map((st) => [st, latency(rq.stages[st].summary())])) as Record<
        Stage,
        LatencySummary
      >,
      counts: {
        requests: rq.total,
        upstream_429: rq.upstream429,
        upstream_529: rq.upstream529,
        upstream_errors: rq.upstreamErrors,
        concurrency_refused: rq.concurrencyRefused,
        bytes_in: rq.bytesIn,
        bytes_out: rq.bytesOut,
        active_agents: i.activeAgents,
      },
      authentication: {
        count: hookCount,
        avg_ms: r3(hookCount === 0 ? 0 : (data.authHit.sum + data.authMiss.sum) / hookCount),
        p50_ms: r3(authQuantile(data, 0.5)),
        p99_ms: r3(authQuantile(data, 0.99)),
        hits: data.authHit.count,
        misses: data.authMiss.count,
        window_p99_ms: r3(data.authWindow.quantile(0.99)),
        window_samples: data.authWindow.count,
      },
      cache: m?.cache ?? null,
      refresh: {
        succeeded: rt.succeeded,
        failed: rt.failed,
        batches: rt.batches,
        consecutive_failures: rt.consecutiveFailures,
        last_failure: rt.lastFailure,
        queued: m?.refresh.queued ?? 0,
        coalesced: m?.refresh.coalesced ?? 0,
        token_state: data.tokenState,
      },
      circuits: rt.circuits(),
      reauth_required: [...rt.reauth],
      pool: data.poolStats,
      memory:
        mem === null
          ? null
          : {
              reserved_mb: mem.reservedMb,
              observed_mb: mem.observedMb ?? null,
              max_mb: maxMb,
              largest_agent_mb: data.largestAgent()?.mb ?? 0,
            },
      series: s.columns(SERIES_FIELDS, i.seriesSeconds),
      no_data: noData,
    },
  };
}

/** A quantile over every hook sample, hits and misses together. */
function authQuantile(data: MonitorData, q: number): number {
  const merged = new Float64Array(BUCKETS);
  for (let k = 0; k < BUCKETS; k++) merged[k] = data.authHit.counts[k]! + data.authMiss.counts[k]!;
  return quantileOf(merged, 0, data.authHit.count + data.authMiss.count, q);
}

function agentRows(data: MonitorData, max: number): AgentRow[] {
  const rows = new Map<string, AgentRow>();
  for (const [agent, a] of data.requests.agents) {
    rows.set(agent, {
      agent,
      requests: a.requests,
      errors: a.errors,
      upstream_429: a.upstream429,
      upstream_529: a.upstream529,
      avg_ms: r3(a.requests === 0 ? 0 : a.totalMs / a.requests),
      max_ms: r3(a.maxMs),
      bytes_in: a.bytesIn,
      bytes_out: a.bytesOut,
      last_seen: a.lastSeen,
      reserved_mb: null,
      observed_mb: null,
    });
  }
  for (const m of data.memory?.agents ?? []) {
    const row = rows.get(m.agent) ?? {
      agent: m.agent,
      requests: 0,
      errors: 0,
      upstream_429: 0,
      upstream_529: 0,
      avg_ms: 0,
      max_ms: 0,
      bytes_in: 0,
      bytes_out: 0,
      last_seen: null,
      reserved_mb: null,
      observed_mb: null,
    };
    row.reserved_mb = m.reservedMb;
    row.observed_mb = m.observedMb ?? null;
    rows.set(m.agent, row);
  }
  return [...rows.values()]
    .sort((a, b) => b.requests - a.requests || a.agent.localeCompare(b.agent))
    .slice(0, max);
}
