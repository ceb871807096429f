import type { Phase5Report, Phase5TestResult } from './types.js';

/** One test as `claude-auth bench --json` prints it (the specification's fields first). */
export interface Phase5TestJson {
  name: string;
  avg_ms: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  success_rate: number;
  target: string;
  passed: boolean;
  samples: number;
  value: number | null;
  unit: string;
  target_value: number;
  goal: string;
  goal_value: number;
  goal_met: boolean;
  score: number;
  title: string;
  measures: string;
  max_ms: number | null;
  details: Record<string, number | string>;
  error?: string;
}

/** The run as `claude-auth bench --json` prints it, and as `--save-baseline` stores it. */
export interface Phase5Json {
  overall_score: number;
  targets_met: boolean;
  tests: Phase5TestJson[];
  goals_met: boolean;
  tests_passed: number;
  mode: 'full' | 'quick';
  manager: 'given' | 'own';
  duration_ms: number;
  started_at: string;
  node: string;
  machine: { cpus: number; load_average_start: number; load_average_end: number };
}

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** The snake_case form of a report (NaN figures become null). */
export function toPhase5Json(report: Phase5Report): Phase5Json {
  return {
    overall_score: report.overallScore,
    targets_met: report.targetsMet,
    tests: report.tests.map(testJson),
    goals_met: report.goalsMet,
    tests_passed: report.testsPassed,
    mode: report.mode,
    manager: report.manager,
    duration_ms: report.durationMs,
    started_at: report.startedAt,
    node: report.node,
    machine: {
      cpus: report.machine.cpus,
      load_average_start: report.machine.loadAverageStart,
      load_average_end: report.machine.loadAverageEnd,
    },
  };
}

function testJson(t: Phase5TestResult): Phase5TestJson {
  return {
    name: t.name,
    avg_ms: num(t.avgMs),
    p50_ms: num(t.p50Ms),
    p99_ms: num(t.p99Ms),
    success_rate: t.successRate,
    target: t.target,
    passed: t.passed,
    samples: t.samples,
    value: num(t.value),
    unit: t.unit,
    target_value: t.targetValue,
    goal: t.goal,
    goal_value: t.goalValue,
    goal_met: t.goalMet,
    score: t.score,
    title: t.title,
    measures: t.measures,
    max_ms: num(t.maxMs),
    details: t.details,
    ...(t.error === undefined ? {} : { error: t.error }),
  };
}

/** A millisecond figure with as many decimals as its size needs: 0.0021, 0.412, 12.3. */
export function formatMs(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '–';
  if (x < 0.01) return x.toFixed(4);
  if (x < 1) return x.toFixed(3);
  if (x < 100) return x.toFixed(2);
  return x.toFixed(0);
}

function formatValue(t: Phase5TestJson): string {
  if (t.value === null) return '–';
  if (t.unit === 'ms') return `${formatMs(t.value)} ms`;
  if (t.unit === 'MB') return `${t.value < 0.1 ? t.value.toFixed(4) : t.value.toFixed(2)} MB`;
  return `${t.value} ${t.unit}`;
}

/** The results as a Markdown table, plus the summary lines (what BENCHMARKS.md shows). */
export function formatTable(r: Phase5Json): string {
  const lines = [
    '| test | samples | avg ms | p50 ms | p99 ms | success | figure judged | spec target | pass | our goal | met |',
    '|---|---:|---:|---:|---:|---:|---:|---:|:---:|---:|:---:|',
  ];
  for (const t of r.tests) {
    lines.push(
      `| ${t.title} | ${t.samples.toLocaleString('en-US')} | ${formatMs(t.avg_ms)} | ${formatMs(t.p50_ms)} | ${formatMs(t.p99_ms)} | ${(t.success_rate * 100).toFixed(1)}% | ${formatValue(t)} | ${t.target} | ${t.passed ? 'yes' : 'NO'} | ${t.goal} | ${t.goal_met ? 'yes' : 'no'} |`,
    );
  }
  lines.push('');
  lines.push(
    `Overall score ${r.overall_score.toFixed(1)} / 100 · tests passed ${r.tests_passed}/${r.tests.length} · targets met: ${r.targets_met ? 'YES' : 'NO'} · our goals met: ${r.goals_met ? 'yes' : 'no'}`,
  );
  for (const t of r.tests) {
    const d = Object.entries(t.details)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(`- ${t.title}: ${t.error ? `ERROR ${t.error}` : t.measures}${d ? ` (${d})` : ''}`);
  }
  return lines.join('\n');
}
