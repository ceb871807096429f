import type { AlertSeverity } from './events.js';

/** The components scored; the first four are the specification's `*_performance` fields. */
export const COMPONENTS = [
  'authentication',
  'token_refresh',
  'memory',
  'concurrency',
  'cache',
  'connections',
] as const;
/** One scored component. */
export type Component = (typeof COMPONENTS)[number];

/** Weights of the overall score (a weighted mean over the components that have data). */
export const WEIGHTS: Readonly<Record<Component, number>> = {
  authentication: 0.25,
  token_refresh: 0.2,
  memory: 0.15,
  concurrency: 0.15,
  cache: 0.15,
  connections: 0.1,
};

/** The overall score is at most this while a critical alert fires… */
export const CRITICAL_CAP = 25;
/** …and at most this while a warning fires. */
export const WARNING_CAP = 80;

/** Measured figures the scores are computed from (see docs/monitoring.md). */
export interface HealthInputs {
  thresholds: {
    authenticationMs: number;
    cacheHitRate: number;
    memoryPerAgentMb: number;
    maxMemoryMb: number;
    gcThresholdMb: number;
  };
  /** Below this many samples a ratio or percentile is not judged. */
  minSamples: number;
  /** Authentication latency over the alert window. */
  auth: { p99Ms: number; samples: number };
  /** Refreshes over the last 10 minutes, and the credential state now. */
  refresh: {
    succeeded: number;
    failed: number;
    reauthRequired: boolean;
    circuitsOpen: number;
    circuitsHalfOpen: number;
  };
  /** Memory now; `known` is false before anything reported memory. */
  memory: { known: boolean; usedMb: number; largestAgentMb: number };
  /** Time to a connection (pool queue + connect) p99, and throttled share of admitted requests. */
  concurrency: { poolP99Ms: number; poolSamples: number; admitted: number; throttled: number };
  cache: { hits: number; misses: number };
  connections: { requests: number; opened: number; avgConnectMs: number };
  /** Severities of the firing alerts. */
  firing: readonly AlertSeverity[];
}

/** One component's score. */
export interface ComponentHealth {
  /** 0–100; 100 when there is no data yet (nothing measured is wrong). */
  score: number;
  status: 'meets_target' | 'degraded' | 'failing' | 'no_data';
  /** The key figure the score maps. */
  value: number;
  /** What `value` is. */
  figure: string;
}

/** Scores of every component and the overall score. */
export interface HealthReport {
  score: number;
  components: Record<Component, ComponentHealth>;
  /** Why the overall score was capped, or null. */
  capped_by: 'critical_alert' | 'warning_alert' | null;
}

/** Linear interpolation through (x, score) points sorted by x; flat beyond the ends. */
export function piecewise(x: number, points: ReadonlyArray<readonly [number, number]>): number {
  const first = points[0]!;
  if (x <= first[0]) return first[1];
  for (let i = 1; i < points.length; i++) {
    const [x1, y1] = points[i]!;
    const [x0, y0] = points[i - 1]!;
    if (x <= x1) return x1 === x0 ? y1 : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  return points[points.length - 1]![1];
}

function scored(score: number, value: number, figure: string): ComponentHealth {
  const s = Math.round(Math.max(0, Math.min(100, score)) * 10) / 10;
  const status = s >= 80 ? 'meets_target' : s >= 50 ? 'degraded' : 'failing';
  return { score: s, status, value: Math.round(value * 1000) / 1000, figure };
}

function noData(figure: string): ComponentHealth {
  return { score: 100, status: 'no_data', value: 0, figure };
}

/** Computes every component's score and the overall score, as docs/monitoring.md describes. */
export function computeHealth(h: HealthInputs): HealthReport {
  const t = h.thresholds;
  const min = h.minSamples;
  const c = {} as Record<Component, ComponentHealth>;

  const authFigure = 'authentication p99 ms';
  c.authentication =
    h.auth.samples < min
      ? noData(authFigure)
      : scored(
          piecewise(h.auth.p99Ms, [
            [t.authenticationMs / 2, 100],
            [t.authenticationMs, 50],
            [t.authenticationMs * 4, 0],
          ]),
          h.auth.p99Ms,
          authFigure,
        );

  const r = h.refresh;
  const attempts = r.succeeded + r.failed;
  const success = attempts === 0 ? 1 : r.succeeded / attempts;
  let refresh =
    attempts === 0
      ? 100
      : piecewise(success, [
          [0.5, 0],
          [0.9, 50],
          [1, 100],
        ]);
  if (r.circuitsHalfOpen > 0) refresh = Math.min(refresh, 60);
  if (r.circuitsOpen > 0) refresh = Math.min(refresh, 25);
  if (r.reauthRequired) refresh = 0;
  c.token_refresh =
    attempts === 0 && refresh === 100
      ? noData('refresh success ratio')
      : scored(refresh, success, 'refresh success ratio');

  const m = h.memory;
  if (!m.known) c.memory = noData('memory utilization');
  else {
    const utilization = m.usedMb / t.maxMemoryMb;
    const gc = t.gcThresholdMb / t.maxMemoryMb;
    const byTotal = piecewise(utilization, [
      [Math.min(0.5, gc), 100],
      [gc, 60],
      [1, 0],
    ]);
    const byAgent = piecewise(m.largestAgentMb, [
      [t.memoryPerAgentMb * 0.8, 100],
      [t.memoryPerAgentMb, 50],
      [t.memoryPerAgentMb * 2, 0],
    ]);
    c.memory = scored(Math.min(byTotal, byAgent), utilization, 'memory utilization');
  }

  const k = h.concurrency;
  const throttledShare = k.admitted === 0 ? 0 : k.throttled / k.admitted;
  const byWait =
    k.poolSamples < min
      ? 100
      : piecewise(k.poolP99Ms, [
          [10, 100],
          [100, 50],
          [1000, 0],
        ]);
  const byThrottle =
    k.admitted < min
      ? 100
      : piecewise(throttledShare, [
          [0.01, 100],
          [0.1, 50],
          [0.5, 0],
        ]);
  c.concurrency =
    k.poolSamples < min && k.admitted < min
      ? noData('throttled share')
      : scored(Math.min(byWait, byThrottle), throttledShare, 'throttled share');

  const lookups = h.cache.hits + h.cache.misses;
  const hitRate = lookups === 0 ? 0 : h.cache.hits / lookups;
  c.cache =
    lookups < min
      ? noData('cache hit rate')
      : scored(
          piecewise(hitRate, [
            [0, 0],
            [t.cacheHitRate, 50],
            [t.cacheHitRate + (1 - t.cacheHitRate) / 2, 100],
          ]),
          hitRate,
          'cache hit rate',
        );

  const n = h.connections;
  const reuse = n.requests === 0 ? 0 : Math.max(0, 1 - n.opened / n.requests);
  c.connections =
    n.requests < min
      ? noData('connection reuse rate')
      : scored(
          Math.min(
            piecewise(reuse, [
              [0, 0],
              [0.5, 50],
              [0.9, 100],
            ]),
            piecewise(n.avgConnectMs, [
              [100, 100],
              [1000, 50],
              [5000, 0],
            ]),
          ),
          reuse,
          'connection reuse rate',
        );

  let weighted = 0;
  let weights = 0;
  for (const name of COMPONENTS) {
    if (c[name].status === 'no_data') continue;
    weighted += c[name].score * WEIGHTS[name];
    weights += WEIGHTS[name];
  }
  let score = weights === 0 ? 100 : weighted / weights;
  let capped_by: HealthReport['capped_by'] = null;
  if (h.firing.includes('critical') && score > CRITICAL_CAP) {
    score = CRITICAL_CAP;
    capped_by = 'critical_alert';
  } else if (h.firing.includes('warning') && score > WARNING_CAP) {
    score = WARNING_CAP;
    capped_by = 'warning_alert';
  }
  return { score: Math.round(score * 10) / 10, components: c, capped_by };
}
