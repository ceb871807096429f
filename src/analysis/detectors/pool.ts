import { fmt } from '../format.js';
import { round3, severityOf } from '../impact.js';
import type { Finding } from '../types.js';
import { type DetectorContext, enoughRequests, offeredConcurrency, readStage } from './context.js';

/** Headroom of the suggested connection limit over the offered concurrency. */
const HEADROOM = 1.25;

/**
 * pool_saturated: requests wait for an upstream connection beyond the pool budget (`poolMs`,
 * 250 ms: pool queue plus connect). Lost time is that stage's excess. When the pool signal shows no
 * queueing at all and connects themselves are slow, it is slow_connect instead (network or TLS).
 * Severity: from impact, at least medium when the typical (p50) request breaches.
 */
export function detectPoolSaturated(ctx: DetectorContext): Finding | null {
  if (!enoughRequests(ctx)) return null;
  const { view, thresholds: t } = ctx;
  const r = readStage(ctx, 'pool', t.poolMs);
  if (r.impact < t.minImpact) return null;
  const pool = view.pool();
  const p99 = r.evidence.p99Ms as number;
  const severity = severityOf(r.impact, r.typicalBreach ? 'medium' : 'low');
  const evidence = {
    ...r.evidence,
    queuedPeak: pool?.queuedPeak ?? -1,
    connectedPeak: pool?.connectedPeak ?? -1,
    runningPeak: pool?.runningPeak ?? -1,
    avgConnectMs: round3(pool?.avgConnectMs ?? -1),
  };
  if (pool !== null && pool.queuedPeak === 0 && pool.avgConnectMs > t.poolMs / 2) {
    return {
      id: 'slow_connect',
      kind: 'slow_connect',
      title: `Upstream connects are slow: ${fmt(pool.avgConnectMs)} on average, pool stage p99 ${fmt(p99)}`,
      stage: 'pool',
      impact: r.impact,
      severity,
      evidence,
      trend: r.trend,
      recommendation: {
        text:
          'Not a pool limit: nothing queued, but each new connection takes long (network path, TLS, proxy). ' +
          'Keep connections warm with a longer keep-alive (ClaudeConnectionPool keepAliveTimeoutMs) and check the network.',
        configKey: null,
        setting: 'ClaudeConnectionPool option keepAliveTimeoutMs (no config key)',
        suggestedValue: null,
        why: `Connects average ${fmt(pool.avgConnectMs)} with no request queued for a connection.`,
      },
    };
  }
  const limit = pool?.maxConnections ?? ctx.poolConnections ?? (pool !== null ? pool.connectedPeak : null);
  const offered = Math.max(offeredConcurrency(view), pool === null ? 0 : pool.runningPeak + pool.queuedPeak);
  const suggested = Math.max(Math.ceil(offered * HEADROOM), limit === null ? 1 : limit + 1);
  return {
    id: 'pool_saturated',
    kind: 'pool_saturated',
    title: `Requests queue for upstream connections: pool stage p50 ${fmt(r.evidence.p50Ms as number)}, p99 ${fmt(p99)}${limit === null ? '' : ` with ${limit} connections`}`,
    stage: 'pool',
    impact: r.impact,
    severity,
    evidence: { ...evidence, connectionLimit: limit ?? -1, offeredConcurrency: round3(offered) },
    trend: r.trend,
    recommendation: {
      text:
        `Raise [gateway] max_connections_per_host${limit === null ? '' : ` from ${limit}`} to ${suggested}. ` +
        'Upstream may also limit concurrency per key.',
      configKey: 'gateway.max_connections_per_host',
      setting: '[gateway] max_connections_per_host',
      suggestedValue: suggested,
      why:
        `Agents keep about ${offered.toFixed(1)} requests in the gateway at once (arrival rate × time in the ` +
        `gateway, Little's law)${limit === null ? '' : ` but the pool opens at most ${limit} connections`}, so the rest wait; ` +
        `${suggested} serves them with ${Math.round((HEADROOM - 1) * 100)}% headroom.`,
    },
  };
}
