import { describe, expect, it } from 'vitest';
import { runRig } from '../src/bench/analyzerRig.js';
import {
  analyzerScenarios,
  type ScenarioResult,
  scoreScenario,
  scoreSuite,
} from '../src/bench/analyzerScenarios.js';

/**
 * The labeled bottleneck suite of `npm run bench:analyzer`, shorter: each scenario injects one
 * bottleneck into real traffic on 127.0.0.1 (simulator, gateway, real manager and key registry,
 * pool) and the analyzer fed by the gateway must put it on top; the healthy run must yield nothing
 * above low severity.
 */
const results: ScenarioResult[] = [];

describe('BottleneckAnalyzer on labeled scenarios', () => {
  for (const scenario of analyzerScenarios({ scale: 0.6 })) {
    it(`${scenario.name}: ${scenario.expected ?? 'no finding above low severity'}`, async () => {
      const result = scoreScenario(scenario, await runRig(scenario.setup));
      results.push(result);
      const summary = result.findings.map((f) => `${f.kind} ${f.impact} ${f.severity}`);
      if (scenario.expected === null) {
        expect(
          result.findings.filter((f) => f.severity !== 'low'),
          summary.join('; '),
        ).toEqual([]);
      } else {
        expect(result.top?.kind, summary.join('; ')).toBe(scenario.expected);
        expect(result.truePositive, summary.join('; ')).toBe(true);
      }
      expect(result.statuses.error ?? 0).toBe(0);
    }, 30_000);
  }

  it('scores precision and recall 1 over the suite', () => {
    const score = scoreSuite(results);
    for (const r of results) {
      console.log(
        `${r.name.padEnd(20)} expected ${String(r.expected).padEnd(20)} top ${String(r.top?.kind).padEnd(20)} ` +
          `impact ${r.top?.impact ?? '-'} ${r.top?.severity ?? ''} (${r.requests} requests)`,
      );
    }
    console.log(`precision ${score.precision.toFixed(2)} recall ${score.recall.toFixed(2)}`);
    expect(results).toHaveLength(analyzerScenarios().length);
    expect(score.targetsMet).toBe(results.length);
    expect(score.precision).toBe(1);
    expect(score.recall).toBe(1);
  });
});
