import { summarize } from './summary.js';
import {
  type Measurement,
  MIN_SUCCESS_RATE,
  type Phase5TestName,
  type Phase5TestResult,
  type Phase5Unit,
} from './types.js';

/** A bound on a test's figure: at most (`max`) or at least (`min`) `value`. */
interface Bound {
  readonly kind: 'max' | 'min';
  readonly value: number;
}

/** What each test is judged on: the specification's target and our own stricter goal. */
export interface TestSpec {
  readonly title: string;
  readonly unit: Phase5Unit;
  /** What the judged figure is, for the table ("p99", "per agent", "at once"). */
  readonly figure: string;
  readonly target: Bound;
  readonly goal: Bound;
  /**
   * Absolute change below which a baseline comparison never flags a regression, so that noise on a
   * tiny figure (a 2 µs p99 becoming 4 µs) is not reported: on p99 ms, and on the value when the
   * unit is not ms.
   */
  readonly floorP99Ms: number;
  readonly floorValue: number;
}

/**
 * The specification's targets ("Phase 5 Compliance Benchmark") and ours. The specification states
 * averages; we judge the p99 (stricter) for every latency test.
 */
export const TEST_SPECS: Readonly<Record<Phase5TestName, TestSpec>> = {
  authentication_cache: {
    title: 'Authentication cache',
    unit: 'ms',
    figure: 'p99',
    target: { kind: 'max', value: 100 },
    goal: { kind: 'max', value: 0.05 },
    floorP99Ms: 0.01,
    floorValue: 0.01,
  },
  token_refresh: {
    title: 'Token refresh',
    unit: 'ms',
    figure: 'p99',
    target: { kind: 'max', value: 500 },
    goal: { kind: 'max', value: 50 },
    floorP99Ms: 5,
    floorValue: 5,
  },
  memory_per_agent: {
    title: 'Memory per agent',
    unit: 'MB',
    figure: 'per agent',
    target: { kind: 'max', value: 50 },
    goal: { kind: 'max', value: 0.05 },
    floorP99Ms: 2,
    floorValue: 0.01,
  },
  concurrent_agents: {
    title: 'Concurrent agents',
    unit: 'agents',
    figure: 'at once',
    target: { kind: 'min', value: 10 },
    goal: { kind: 'min', value: 100 },
    floorP99Ms: 2,
    floorValue: 1,
  },
  network_latency: {
    title: 'Network latency',
    unit: 'ms',
    figure: 'p99',
    target: { kind: 'max', value: 150 },
    // loopback alone has a p99 of a few ms on a busy 2-core machine; the gateway's own share is in
    // the test's details (added_p50_ms, added_p99_ms)
    goal: { kind: 'max', value: 10 },
    floorP99Ms: 1,
    floorValue: 1,
  },
  end_to_end_flow: {
    title: 'End-to-end flow',
    unit: 'ms',
    figure: 'p99',
    target: { kind: 'max', value: 300 },
    goal: { kind: 'max', value: 10 },
    floorP99Ms: 2,
    floorValue: 2,
  },
  stress_test: {
    title: 'Stress test',
    unit: 'ms',
    figure: 'p99',
    target: { kind: 'max', value: 200 },
    goal: { kind: 'max', value: 50 },
    floorP99Ms: 2,
    floorValue: 2,
  },
};

/** "< 100 ms", "≥ 10 agents". */
export function describeBound(b: Bound, unit: Phase5Unit): string {
  return `${b.kind === 'max' ? '<' : '≥'} ${b.value} ${unit}`;
}

function meets(b: Bound, value: number): boolean {
  return Number.isFinite(value) && (b.kind === 'max' ? value < b.value : value >= b.value);
}

/** How far a figure is from a bound, capped at 1 (1 = met): bound/value for `max`, value/bound for `min`. */
function ratio(b: Bound, value: number): number {
  if (!Number.isFinite(value)) return 0;
  if (b.kind === 'max') return value <= 0 ? 1 : Math.min(1, b.value / value);
  return Math.min(1, Math.max(0, value) / b.value);
}

/**
 * Per-test score, 0..100: `success_rate × (50 × r_target + 50 × r_goal)`, where r is the figure's
 * ratio to the bound capped at 1 (`bound / figure` for "less than" bounds, `figure / bound` for
 * "at least" ones). Meeting the specification's target earns the first half, meeting our stricter
 * goal the second; a figure at twice its bound earns half of that half. A test that could not run
 * scores 0. The overall score is the mean over the seven tests.
 */
export function scoreTest(spec: TestSpec, value: number, successRate: number): number {
  return Math.round(successRate * (50 * ratio(spec.target, value) + 50 * ratio(spec.goal, value)) * 10) / 10;
}

const r3 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x);
const r6 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x);

/** Judges a measurement against its test's target and goal. */
export function judge(
  name: Phase5TestName,
  measures: string,
  m: Measurement | { error: string },
): Phase5TestResult {
  const spec = TEST_SPECS[name];
  const base = {
    name,
    title: spec.title,
    measures,
    unit: spec.unit,
    target: describeBound(spec.target, spec.unit),
    targetValue: spec.target.value,
    goal: `${spec.figure} ${describeBound(spec.goal, spec.unit)}`,
    goalValue: spec.goal.value,
  };
  if ('error' in m) {
    return {
      ...base,
      samples: 0,
      avgMs: Number.NaN,
      p50Ms: Number.NaN,
      p99Ms: Number.NaN,
      maxMs: Number.NaN,
      successRate: 0,
      value: Number.NaN,
      passed: false,
      goalMet: false,
      score: 0,
      details: {},
      error: m.error,
    };
  }
  const s = summarize(m.latenciesMs);
  const successRate = m.attempted === 0 ? 0 : m.succeeded / m.attempted;
  const value = m.value ?? s.p99;
  return {
    ...base,
    samples: m.attempted,
    avgMs: r6(s.avg),
    p50Ms: r6(s.p50),
    p99Ms: r6(s.p99),
    maxMs: r6(s.max),
    successRate: r6(successRate),
    value: spec.unit === 'ms' ? r6(value) : spec.unit === 'MB' ? r6(value) : r3(value),
    passed: successRate >= MIN_SUCCESS_RATE && meets(spec.target, value),
    goalMet: successRate === 1 && meets(spec.goal, value),
    score: scoreTest(spec, value, successRate),
    details: m.details,
  };
}
