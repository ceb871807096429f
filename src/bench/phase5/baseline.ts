import type { Phase5Json, Phase5TestJson } from './report.js';
import { TEST_SPECS } from './score.js';
import { PHASE5_TESTS, type Phase5TestName } from './types.js';

/** One figure that got worse than the baseline by more than the tolerance and the floor. */
export interface Regression {
  readonly test: string;
  readonly figure: 'p99_ms' | 'value' | 'success_rate';
  readonly baseline: number;
  readonly current: number;
  /** Relative change, e.g. 0.4 = 40 % worse. */
  readonly change: number;
}

/** What a comparison found. */
export interface BaselineComparison {
  readonly regressions: Regression[];
  /** Tests present in both runs. */
  readonly compared: string[];
  /** Tests of the current run missing from the baseline. */
  readonly missing: string[];
}

/** A success rate drop larger than this (absolute) is a regression. */
const SUCCESS_RATE_DROP = 0.01;

function isTestName(name: string): name is Phase5TestName {
  return (PHASE5_TESTS as readonly string[]).includes(name);
}

/** Worse by more than `tolerance` (relative) and more than `floor` (absolute), in the bad direction. */
function worse(
  baseline: number | null,
  current: number | null,
  tolerance: number,
  floor: number,
  higherIsWorse: boolean,
): number | null {
  if (baseline === null || current === null || !Number.isFinite(baseline) || !Number.isFinite(current))
    return null;
  const delta = higherIsWorse ? current - baseline : baseline - current;
  if (delta <= floor) return null;
  const change = baseline === 0 ? Number.POSITIVE_INFINITY : delta / Math.abs(baseline);
  return change > tolerance ? change : null;
}

/**
 * Compares a run with a saved one. A test regresses when its p99 grew by more than `tolerancePct`
 * percent AND by more than the test's absolute floor (`TEST_SPECS[name].floorP99Ms`, e.g. 0.01 ms
 * for the authentication cache, so microsecond noise is not flagged); when its judged figure got
 * worse the same way (non-ms tests: MB per agent up, agents served down); or when its success rate
 * fell by more than one point.
 */
export function compareWithBaseline(
  current: Phase5Json,
  baseline: Phase5Json,
  tolerancePct: number,
): BaselineComparison {
  const tolerance = tolerancePct / 100;
  const byName = new Map<string, Phase5TestJson>(baseline.tests.map((t) => [t.name, t]));
  const regressions: Regression[] = [];
  const compared: string[] = [];
  const missing: string[] = [];
  for (const cur of current.tests) {
    const base = byName.get(cur.name);
    if (base === undefined || !isTestName(cur.name)) {
      missing.push(cur.name);
      continue;
    }
    compared.push(cur.name);
    const spec = TEST_SPECS[cur.name];
    const p99 = worse(base.p99_ms, cur.p99_ms, tolerance, spec.floorP99Ms, true);
    if (p99 !== null)
      regressions.push({
        test: cur.name,
        figure: 'p99_ms',
        baseline: base.p99_ms as number,
        current: cur.p99_ms as number,
        change: p99,
      });
    if (spec.unit !== 'ms') {
      const higherIsWorse = spec.target.kind === 'max';
      const v = worse(base.value, cur.value, tolerance, spec.floorValue, higherIsWorse);
      if (v !== null)
        regressions.push({
          test: cur.name,
          figure: 'value',
          baseline: base.value as number,
          current: cur.value as number,
          change: v,
        });
    }
    if (cur.success_rate < base.success_rate - SUCCESS_RATE_DROP)
      regressions.push({
        test: cur.name,
        figure: 'success_rate',
        baseline: base.success_rate,
        current: cur.success_rate,
        change: (base.success_rate - cur.success_rate) / Math.max(base.success_rate, 1e-9),
      });
  }
  return { regressions, compared, missing };
}

/** Checks that parsed JSON looks like a saved run; returns it typed, or throws an Error saying why. */
export function parseBaseline(value: unknown): Phase5Json {
  const v = value as Partial<Phase5Json> | null;
  if (v === null || typeof v !== 'object' || !Array.isArray(v.tests))
    throw new Error('not a saved `claude-auth bench` run (no "tests" array)');
  for (const t of v.tests as unknown[]) {
    const x = t as Partial<Phase5TestJson> | null;
    if (x === null || typeof x !== 'object' || typeof x.name !== 'string')
      throw new Error('a test in "tests" has no "name"');
  }
  return v as Phase5Json;
}
