import type { Config } from '../config/schema.js';
import type { AlertRule } from './AlertEngine.js';

/** Tunables of the rules that have no `[performance.monitoring]` key. */
export interface AlertTuning {
  /** Samples a window needs before a latency p99, a hit rate or a ratio is judged. Default 20. */
  minSamples?: number;
  /** Share of admitted requests answered 429 or 529 upstream above which `rate_limited` breaches. Default 0.1. */
  rateLimitedRatio?: number;
  /** Share of admitted requests that failed upstream above which `upstream_errors` breaches. Default 0.05. */
  upstreamErrorRatio?: number;
}

/** What the rules measure; the monitor implements it over its windows. */
export interface RuleSources {
  /** Seconds the windowed figures cover. */
  readonly windowSeconds: number;
  /** Authentication latency over the window: p99 in ms and the number of samples. */
  authLatency(): { p99: number; samples: number };
  /** The agent using the most memory (observed, else reserved), or null before any report. */
  largestAgent(): { agent: string; mb: number } | null;
  /** Cache lookups over the window. */
  cacheLookups(): { hits: number; misses: number };
  /** Failed refreshes since the last successful one, and the last failure's message. */
  refreshFailures(): { consecutive: number; message: string | null };
  /** Token endpoints whose circuit is open (or half open). */
  openCircuits(): string[];
  /** Credentials that need a new login. */
  reauthRequired(): string[];
  /** Admitted requests over the window, and how many were throttled or failed upstream. */
  upstream(): { admitted: number; r429: number; r529: number; errors: number };
}

const fmt = (v: number, digits = 1) => Number(v.toFixed(digits)).toString();
const pct = (v: number) => `${fmt(v * 100)} %`;

/**
 * The rules, from `[performance.monitoring]` and the tuning: authentication latency (p99 of the
 * window), memory per agent, cache hit rate, refresh failures, open circuits, re-login required
 * (critical), 429/529 rate and upstream error rate. Ratios and percentiles return null (no
 * judgement) below `minSamples` samples in the window.
 */
export function buildAlertRules(
  monitoring: Config['performance']['monitoring'],
  src: RuleSources,
  tuning: AlertTuning = {},
): AlertRule[] {
  const min = tuning.minSamples ?? 20;
  const limitedRatio = tuning.rateLimitedRatio ?? 0.1;
  const errorRatio = tuning.upstreamErrorRatio ?? 0.05;
  const w = `${src.windowSeconds} s`;
  return [
    {
      id: 'authentication_latency',
      severity: 'warning',
      direction: 'above',
      threshold: monitoring.authentication_threshold_ms,
      measure: () => {
        const { p99, samples } = src.authLatency();
        return samples >= min ? p99 : null;
      },
      describe: (v) =>
        `authentication p99 ${fmt(v, 2)} ms over the last ${w} (threshold ${monitoring.authentication_threshold_ms} ms)`,
    },
    {
      id: 'memory_per_agent',
      severity: 'warning',
      direction: 'above',
      threshold: monitoring.memory_threshold_mb,
      measure: () => src.largestAgent()?.mb ?? null,
      describe: (v) =>
        `agent ${src.largestAgent()?.agent ?? '?'} uses ${fmt(v)} MB (per-agent threshold ${monitoring.memory_threshold_mb} MB)`,
    },
    {
      id: 'cache_hit_rate',
      severity: 'warning',
      direction: 'below',
      threshold: monitoring.cache_hit_rate_threshold,
      measure: () => {
        const { hits, misses } = src.cacheLookups();
        return hits + misses >= min ? hits / (hits + misses) : null;
      },
      describe: (v) => {
        const { hits, misses } = src.cacheLookups();
        return `cache hit rate ${pct(v)} over the last ${w} (${hits + misses} lookups; threshold ${pct(monitoring.cache_hit_rate_threshold)})`;
      },
    },
    {
      id: 'refresh_failures',
      severity: 'warning',
      direction: 'above',
      threshold: 0,
      measure: () => src.refreshFailures().consecutive,
      describe: (v) => {
        const { message } = src.refreshFailures();
        return `${v} token refresh${v === 1 ? '' : 'es'} failed in a row${message ? `: ${message}` : ''}`;
      },
    },
    {
      id: 'circuit_open',
      severity: 'warning',
      direction: 'above',
      threshold: 0,
      measure: () => src.openCircuits().length,
      describe: (v) =>
        v === 0
          ? 'no token endpoint circuit is open'
          : `circuit open for ${src.openCircuits().join(', ')}: refreshes fail fast until it closes`,
    },
    {
      id: 'reauth_required',
      severity: 'critical',
      direction: 'above',
      threshold: 0,
      measure: () => src.reauthRequired().length,
      describe: (v) =>
        v === 0
          ? 'no credential needs a new login'
          : `re-login required for ${src.reauthRequired().join(', ')}: run \`claude-auth login\``,
    },
    {
      id: 'rate_limited',
      severity: 'warning',
      direction: 'above',
      threshold: limitedRatio,
      measure: () => {
        const u = src.upstream();
        return u.admitted >= min ? (u.r429 + u.r529) / u.admitted : null;
      },
      describe: (v) => {
        const u = src.upstream();
        return `${pct(v)} of requests over the last ${w} were throttled upstream (${u.r429}× 429, ${u.r529}× 529 of ${u.admitted}; threshold ${pct(limitedRatio)})`;
      },
    },
    {
      id: 'upstream_errors',
      severity: 'warning',
      direction: 'above',
      threshold: errorRatio,
      measure: () => {
        const u = src.upstream();
        return u.admitted >= min ? u.errors / u.admitted : null;
      },
      describe: (v) => {
        const u = src.upstream();
        return `${pct(v)} of requests over the last ${w} failed upstream (${u.errors} of ${u.admitted}; threshold ${pct(errorRatio)})`;
      },
    },
  ];
}
