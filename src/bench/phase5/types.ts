import type { OptimizedAuthManager } from '../../manager.js';

/** The specification's seven Phase 5 tests, in the order they run. */
export const PHASE5_TESTS = [
  'authentication_cache',
  'token_refresh',
  'memory_per_agent',
  'concurrent_agents',
  'network_latency',
  'end_to_end_flow',
  'stress_test',
] as const;

/** One of the seven tests. */
export type Phase5TestName = (typeof PHASE5_TESTS)[number];

/** Unit of the figure a test is judged on. */
export type Phase5Unit = 'ms' | 'MB' | 'agents';

/**
 * What one test measured, before judging: a latency distribution (always milliseconds) and the
 * figure compared with the target (`value`, in the test's unit; for latency tests it is the p99).
 */
export interface Measurement {
  /** Latencies of the timed operation, ms (one per sample). */
  readonly latenciesMs: ArrayLike<number>;
  /** Samples that succeeded (the rest count against the success rate). */
  readonly succeeded: number;
  /** Samples attempted. */
  readonly attempted: number;
  /** The figure judged against target and goal; undefined = the p99 of `latenciesMs`. */
  readonly value?: number;
  /** Further figures worth printing (rates, counts, comparisons), named in snake_case. */
  readonly details: Record<string, number | string>;
}

/** One test's result, judged. */
export interface Phase5TestResult {
  readonly name: Phase5TestName;
  /** Human name, e.g. "Authentication cache". */
  readonly title: string;
  /** One sentence: exactly what was timed or counted. */
  readonly measures: string;
  readonly samples: number;
  readonly avgMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Successful samples / attempted, 0..1. */
  readonly successRate: number;
  /** The figure judged (p99 ms, MB per agent, or agents at once). */
  readonly value: number;
  readonly unit: Phase5Unit;
  /** The specification's target as text, e.g. "< 100 ms". */
  readonly target: string;
  readonly targetValue: number;
  /** Target met and success rate at least {@link MIN_SUCCESS_RATE}. */
  readonly passed: boolean;
  /** Our own, stricter goal as text, e.g. "p99 < 0.05 ms". */
  readonly goal: string;
  readonly goalValue: number;
  /** Goal met and every sample succeeded. */
  readonly goalMet: boolean;
  /** 0..100, see `scoreTest` in score.ts. */
  readonly score: number;
  readonly details: Record<string, number | string>;
  /** Set when the test could not run to the end (it then fails). */
  readonly error?: string;
}

/** The whole run. */
export interface Phase5Report {
  /** Mean of the per-test scores, 0..100. */
  readonly overallScore: number;
  /** Every test passed (the specification's targets). */
  readonly targetsMet: boolean;
  /** Every one of our stricter goals met. */
  readonly goalsMet: boolean;
  readonly testsPassed: number;
  readonly tests: readonly Phase5TestResult[];
  /** `quick` runs far fewer samples (smoke tests); its figures are not for publication. */
  readonly mode: 'full' | 'quick';
  /** Whether the authentication cache test ran on a manager the caller gave. */
  readonly manager: 'given' | 'own';
  readonly durationMs: number;
  readonly startedAt: string;
  readonly node: string;
  /** The machine: CPUs, and its 1-minute load average when the run started and ended (other work shares it). */
  readonly machine: { cpus: number; loadAverageStart: number; loadAverageEnd: number };
}

/** Progress of a run, for a progress bar. */
export interface Phase5Progress {
  /** 0-based index of the current test. */
  readonly index: number;
  readonly total: number;
  readonly name: Phase5TestName;
  readonly title: string;
  /** Fraction of the current test done, 0..1. */
  readonly fraction: number;
  /** Set once the test is over. */
  readonly result?: Phase5TestResult;
}

/** Options of `runPhase5ComplianceBenchmark`. */
export interface Phase5Options {
  /**
   * A manager to measure the authentication cache test on (the library contract). Sessions the test
   * starts in it are ended afterwards; it is never closed. Everything else runs on a gateway the
   * benchmark composes itself (simulator, temp CLAUDE_AUTH_HOME), removed at the end.
   */
  manager?: OptimizedAuthManager;
  /** Far fewer samples, for smoke tests. Default false. */
  quick?: boolean;
  /** Told as the run advances (at most a few hundred times per test). */
  onProgress?: (progress: Phase5Progress) => void;
}

/** Success rate below which a test fails even when its figure meets the target. */
export const MIN_SUCCESS_RATE = 0.99;
