import type { Finding, FindingKind, FindingSeverity } from '../analysis/types.js';
import { type RigSetup, runRig } from './analyzerRig.js';

/** One labeled scenario: the bottleneck it injects (null for the healthy run) and how. */
export interface Scenario {
  name: string;
  /** The finding kind that must come out on top; null: no finding above low severity. */
  expected: FindingKind | null;
  /** What is injected, for people. */
  injects: string;
  setup: RigSetup;
}

/** Options of {@link analyzerScenarios}. */
export interface ScenarioOptions {
  /** Multiplies every load duration (the test suite runs shorter). Default 1. */
  scale?: number;
}

/**
 * The labeled suite: each scenario injects ONE known bottleneck through simulator knobs or config
 * and runs real traffic on loopback (a few seconds, a capped number of requests).
 */
export function analyzerScenarios(options: ScenarioOptions = {}): Scenario[] {
  const scale = options.scale ?? 1;
  const ms = (n: number) => Math.round(n * scale);
  return [
    {
      name: 'healthy',
      expected: null,
      injects: 'nothing: 24 agents, 5 ms upstream, paced streams',
      setup: { agents: 24, durationMs: ms(2500), maxRequests: 4000 },
    },
    {
      name: 'slow upstream',
      expected: 'slow_upstream',
      injects: 'simulator latencyMs.messages = 2400 (budget 2000)',
      // not scaled: a request must take longer than the 2 s budget; the deadline falls inside the
      // second round of 18 agents, so there are 36 requests whatever the machine's speed, and 18
      // agents stay under the pool's 20 connections, so only upstream is slow
      setup: { agents: 18, durationMs: 3000, maxRequests: 4000, faults: { latencyMs: { messages: 2400 } } },
    },
    {
      name: 'slow token endpoint',
      expected: 'slow_token_endpoint',
      injects: 'oauth2 with 2 s access tokens, simulator latencyMs.token = 1500',
      setup: {
        agents: 24,
        durationMs: Math.max(ms(4500), 3500),
        maxRequests: 4000,
        oauthTokenTtlSeconds: 2,
        faults: { latencyMs: { token: 1500 } },
      },
    },
    {
      name: 'cache too small',
      expected: 'cache_too_small',
      injects: 'performance.cache.max_size = 8 for 48 agents',
      setup: {
        agents: 48,
        durationMs: ms(2500),
        maxRequests: 4000,
        config: (c) => ({
          ...c,
          performance: { ...c.performance, cache: { ...c.performance.cache, max_size: 8 } },
        }),
      },
    },
    {
      name: 'pool saturated',
      expected: 'pool_saturated',
      injects: 'pool connections = 2, 32 agents, latencyMs.messages = 100',
      setup: {
        agents: 32,
        durationMs: ms(3000),
        maxRequests: 4000,
        poolConnections: 2,
        faults: { latencyMs: { messages: 100 } },
      },
    },
    {
      name: 'memory pressure',
      expected: 'memory_pressure',
      injects: 'memory signal: reservations rising from 410 to 470 MB (gc_threshold_mb 400, max 500)',
      setup: {
        agents: 24,
        durationMs: ms(2500),
        maxRequests: 4000,
        memory: (elapsed, duration, agents) => ({
          reservedMb: 410 + 60 * Math.min(1, elapsed / duration),
          sessions: agents,
        }),
      },
    },
    {
      name: '429 storm',
      expected: 'rate_limited',
      injects: 'simulator rateLimitRate = 0.3',
      setup: { agents: 24, durationMs: ms(2500), maxRequests: 4000, faults: { rateLimitRate: 0.3 } },
    },
  ];
}

/** One scenario's outcome. */
export interface ScenarioResult {
  name: string;
  expected: FindingKind | null;
  injects: string;
  top: Finding | null;
  findings: Finding[];
  requests: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  /** The expected kind is among the findings above low severity. */
  truePositive: boolean;
  /** Findings above low severity of another kind. */
  falsePositives: FindingKind[];
  /** The target: the expected kind is the top finding, and the healthy run has nothing above low. */
  targetMet: boolean;
}

/** The suite's score. */
export interface SuiteScore {
  results: ScenarioResult[];
  /** TP / (TP + FP): of the findings above low severity, the share that were the injected one. */
  precision: number;
  /** TP / (TP + FN): of the injected bottlenecks, the share found above low severity. */
  recall: number;
  /** Scenarios meeting their target / all. */
  targetsMet: number;
}

const ABOVE_LOW: ReadonlySet<FindingSeverity> = new Set(['medium', 'high', 'critical']);

/** Scores one scenario's findings against its label. */
export function scoreScenario(
  s: Pick<Scenario, 'name' | 'expected' | 'injects'>,
  run: { findings: Finding[]; requests: number; statuses: Record<string, number>; elapsedMs: number },
): ScenarioResult {
  const reported = run.findings.filter((f) => ABOVE_LOW.has(f.severity));
  const truePositive = s.expected !== null && reported.some((f) => f.kind === s.expected);
  const falsePositives = reported.filter((f) => f.kind !== s.expected).map((f) => f.kind);
  const top = run.findings[0] ?? null;
  const targetMet = s.expected === null ? reported.length === 0 : top?.kind === s.expected && truePositive;
  return { ...s, ...run, top, truePositive, falsePositives, targetMet };
}

/** Precision and recall over scored scenarios (see SuiteScore). */
export function scoreSuite(results: ScenarioResult[]): SuiteScore {
  const tp = results.filter((r) => r.truePositive).length;
  const fp = results.reduce((n, r) => n + r.falsePositives.length, 0);
  const fn = results.filter((r) => r.expected !== null && !r.truePositive).length;
  return {
    results,
    precision: tp + fp === 0 ? 1 : tp / (tp + fp),
    recall: tp + fn === 0 ? 1 : tp / (tp + fn),
    targetsMet: results.filter((r) => r.targetMet).length,
  };
}

/** Runs every scenario in turn (each a few seconds on loopback) and scores the suite. */
export async function runAnalyzerSuite(
  options: ScenarioOptions & { onResult?: (r: ScenarioResult) => void } = {},
): Promise<SuiteScore> {
  const results: ScenarioResult[] = [];
  for (const s of analyzerScenarios(options)) {
    const r = scoreScenario(s, await runRig(s.setup));
    options.onResult?.(r);
    results.push(r);
  }
  return scoreSuite(results);
}
