import type { SessionRegistry } from '../agents/SessionRegistry.js';
import type { BottleneckAnalyzer } from '../analysis/BottleneckAnalyzer.js';
import type { CacheStats } from '../cache/AuthenticationCache.js';
import type { PoolSource } from './MonitorData.js';
import type { PerformanceMonitor } from './PerformanceMonitor.js';

export interface SignalSources {
  sessions: SessionRegistry;
  cache: { stats(): CacheStats } | null;
  pool: (PoolSource & { readonly maxConnections?: number }) | undefined;
  monitor: PerformanceMonitor;
  analyzer: BottleneckAnalyzer | null;
}

/** Memory to the monitor; cache, pool and memory signals to the analyzer. Called once a second. */
export function feedSignals({ sessions, cache, pool, monitor, analyzer }: SignalSources): void {
  const stats = sessions.stats();
  const agents = sessions.list().map((s) => ({
    agent: s.agentId,
    reservedMb: s.reservedMb,
    ...(s.observedRssMb === null ? {} : { observedMb: s.observedRssMb }),
  }));
  const observed = agents.reduce((n, a) => n + (a.observedMb ?? 0), 0);
  monitor.setMemory({
    reservedMb: stats.reservedMb,
    ...(observed > 0 ? { observedMb: observed } : {}),
    agents,
  });
  if (analyzer === null) return;
  const p = pool?.stats();
  analyzer.observeSignals({
    cache: cache?.stats() ?? null,
    ...(p
      ? {
          pool: {
            connected: p.connected,
            queued: p.queued,
            running: p.running,
            avgConnectMs: p.avgConnectMs,
            ...(pool?.maxConnections ? { maxConnections: pool.maxConnections } : {}),
          },
        }
      : {}),
    memory: {
      reservedMb: stats.reservedMb,
      ...(observed > 0 ? { observedMb: observed } : {}),
      sessions: stats.sessions,
      refusedTotal: stats.refused,
      evictedTotal: stats.evictedForMemory,
    },
    activeAgents: stats.sessions,
  });
}
