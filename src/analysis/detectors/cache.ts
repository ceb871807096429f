import { pct } from '../format.js';
import { impactOf, round3, severityOf } from '../impact.js';
import { trendOf } from '../trend.js';
import type { Finding } from '../types.js';
import { SG } from '../window.js';
import type { DetectorContext } from './context.js';

/** Headroom of the suggested cache size over the active agents. */
const HEADROOM = 1.25;

/**
 * cache_too_small: the authentication cache's hit rate over the window is below
 * `cache_hit_rate_threshold` while it evicts entries for size (cold misses and invalidations after
 * a refresh do not count: only evictions show the cache is too small). Lost time is what auth
 * lookups cost beyond a hit (`authHitMs`), which is small here: a miss on a fresh credential costs
 * microseconds. So the severity comes mostly from the breach: medium, high below half the
 * threshold.
 */
export function detectCacheTooSmall(ctx: DetectorContext): Finding | null {
  const { view, thresholds: t } = ctx;
  const cache = view.cache();
  if (cache === null || cache.hits + cache.misses < t.minRequests) return null;
  const breached = cache.hitRate < t.cacheHitRate;
  if (!breached || cache.evictions === 0) return null;
  const auth = view.stage('auth');
  const impact = impactOf(auth.lostMs, view.requestTimeMs);
  const agents = Math.max(view.agents, view.peak(SG.activeAgentsPeak));
  const suggested =
    agents > cache.maxSize ? Math.ceil(agents * HEADROOM) : Math.max(cache.maxSize * 2, cache.maxSize + 1);
  return {
    id: 'cache_too_small',
    kind: 'cache_too_small',
    title: `Authentication cache too small: hit rate ${pct(cache.hitRate)} with ${cache.evictions} evictions, ${agents} active agents for ${cache.maxSize} entries`,
    stage: 'auth',
    impact,
    severity: severityOf(impact, cache.hitRate < t.cacheHitRate / 2 ? 'high' : 'medium'),
    evidence: {
      hitRate: round3(cache.hitRate),
      hitRateThreshold: t.cacheHitRate,
      hits: cache.hits,
      misses: cache.misses,
      evictions: cache.evictions,
      size: cache.size,
      maxSize: cache.maxSize,
      activeAgents: agents,
      authP50Ms: round3(auth.p50Ms),
      authP99Ms: round3(auth.p99Ms),
      lostMs: round3(auth.lostMs),
    },
    trend: trendOf('cache hit rate', view.cacheHitRateSeries(), t.cacheHitRate, view.now, 'below', breached),
    recommendation: {
      text: `Raise performance.cache.max_size from ${cache.maxSize} to ${suggested}.`,
      configKey: 'performance.cache.max_size',
      setting: null,
      suggestedValue: suggested,
      why:
        agents > cache.maxSize
          ? `${agents} agents were active in the window but the cache holds ${cache.maxSize}: each agent's entry ` +
            `is evicted before its next request. ${suggested} covers them with ${Math.round((HEADROOM - 1) * 100)}% headroom.`
          : `The cache evicted ${cache.evictions} entries with ${agents} agents active: agents come and go ` +
            'faster than it holds them; doubling it keeps their entries.',
    },
  };
}
