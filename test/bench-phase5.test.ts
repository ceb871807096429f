import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareWithBaseline } from '../src/bench/phase5/baseline.js';
import { runPhase5ComplianceBenchmark } from '../src/bench/phase5/index.js';
import type { Phase5Json, Phase5TestJson } from '../src/bench/phase5/report.js';
import { scoreTest, TEST_SPECS } from '../src/bench/phase5/score.js';
import { PHASE5_TESTS } from '../src/bench/phase5/types.js';
import { defaultConfig } from '../src/config/schema.js';
import { OptimizedAuthManager } from '../src/manager.js';
import { runCli } from './helpers/cli.js';

// The CLI runs use --quick (far fewer samples): this file checks the shape and the baseline logic,
// not the figures; `claude-auth bench` without --quick is the real run (BENCHMARKS.md).
const CLI_TIMEOUT_MS = 90_000;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ca-bench-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function parse(
  stdout: string,
): Phase5Json & { baseline?: { regressions: { test: string; figure: string }[] } } {
  return JSON.parse(stdout) as ReturnType<typeof parse>;
}

describe('claude-auth bench (real CLI, quick mode)', () => {
  let saved: string;
  let first: Phase5Json;

  it('--json prints the specification shape, every target met, and --save-baseline writes the same run', async () => {
    saved = join(dir, 'baseline.json');
    const r = await runCli(['bench', '--quick', '--json', '--save-baseline', saved], {
      timeoutMs: CLI_TIMEOUT_MS,
    });
    expect(r.stderr).toContain('quick mode');
    expect(r.code).toBe(0);
    first = parse(r.stdout);
    expect(Object.keys(first).slice(0, 3)).toEqual(['overall_score', 'targets_met', 'tests']);
    expect(first.tests.map((t) => t.name)).toEqual([...PHASE5_TESTS]);
    for (const t of first.tests) {
      expect(Object.keys(t).slice(0, 7)).toEqual([
        'name',
        'avg_ms',
        'p50_ms',
        'p99_ms',
        'success_rate',
        'target',
        'passed',
      ]);
      expect(typeof t.p99_ms).toBe('number');
      expect(t.samples).toBeGreaterThan(0);
      expect(t.success_rate).toBe(1);
      expect({ name: t.name, passed: t.passed, error: t.error }).toEqual({
        name: t.name,
        passed: true,
        error: undefined,
      });
    }
    expect(first.targets_met).toBe(true);
    expect(first.mode).toBe('quick');
    expect(first.overall_score).toBeGreaterThan(50);
    expect(first.overall_score).toBeLessThanOrEqual(100);
    const token = first.tests.find((t) => t.name === 'token_refresh') as Phase5TestJson;
    expect(token.details).toMatchObject({ invalid_grant: 0, reuse_detections: 0 });
    expect(JSON.parse(readFileSync(saved, 'utf8'))).toEqual(first);
  });

  it('flags a planted regression (an impossibly fast baseline) and exits 1 with --strict', async () => {
    const planted: Phase5Json = {
      ...first,
      tests: first.tests.map((t) => ({
        ...t,
        p99_ms: 0.0001,
        value: t.name === 'concurrent_agents' ? 1_000_000 : t.unit === 'ms' ? 0.0001 : 0,
      })),
    };
    const file = join(dir, 'planted.json');
    writeFileSync(file, JSON.stringify(planted));
    const r = await runCli(['bench', '--quick', '--json', '--baseline', file, '--strict'], {
      timeoutMs: CLI_TIMEOUT_MS,
    });
    expect(r.code).toBe(1);
    const out = parse(r.stdout);
    const flagged = out.baseline?.regressions ?? [];
    expect(flagged).toContainEqual(expect.objectContaining({ test: 'concurrent_agents', figure: 'value' }));
    expect(flagged).toContainEqual(expect.objectContaining({ test: 'stress_test', figure: 'p99_ms' }));
  });

  it('compares with its own saved run and, within the tolerance, --strict exits 0 with a table', async () => {
    const r = await runCli(['bench', '--quick', '--baseline', saved, '--tolerance', '1000', '--strict'], {
      timeoutMs: CLI_TIMEOUT_MS,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('| Authentication cache |');
    expect(r.stdout).toContain('no regression beyond 1000%');
    expect(r.stdout).toMatch(/quick run in \d+\.\d s/);
  });

  it('refuses an unreadable baseline before running anything (usage error, exit 2)', async () => {
    const file = join(dir, 'not-a-run.json');
    writeFileSync(file, '{"hello":1}');
    const r = await runCli(['bench', '--baseline', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot use');
    const bad = await runCli(['bench', '--tolerance', 'lots']);
    expect(bad.code).toBe(2);
  });
});

describe('runPhase5ComplianceBenchmark({ manager })', () => {
  it('measures the cache on the given manager, leaves it as it was and open', async () => {
    const config = defaultConfig();
    config.auth.provider = 'api_key';
    const manager = await OptimizedAuthManager.create(config, {
      env: { ANTHROPIC_API_KEY: 'sk-ant-api03-phase5-test-not-a-real-secret' },
      home: join(dir, 'given'),
    });
    try {
      await manager.authenticateAgent('someone-else');
      const before = manager.stats().sessions.sessions;
      const report = await runPhase5ComplianceBenchmark({ manager, quick: true });
      expect(report.manager).toBe('given');
      expect(report.tests).toHaveLength(7);
      const cache = report.tests[0];
      expect(cache?.name).toBe('authentication_cache');
      expect(cache?.passed).toBe(true);
      expect(cache?.details.agents).toBe(8);
      expect(manager.stats().sessions.sessions).toBe(before);
      expect((await manager.authenticateAgent('someone-else')).cached).toBe(true);
    } finally {
      await manager.close();
    }
  }, 120_000);
});

describe('baseline comparison and score', () => {
  const test = (name: string, p99: number, value = p99, success = 1): Phase5TestJson =>
    ({ name, p99_ms: p99, value, success_rate: success }) as Phase5TestJson;
  const run = (...tests: Phase5TestJson[]) => ({ tests }) as Phase5Json;

  it('flags growth beyond the tolerance only above the absolute floor', () => {
    const base = run(test('authentication_cache', 0.002), test('stress_test', 40));
    // 0.002 → 0.009 ms is +350 % but below the 0.01 ms floor; 40 → 49 ms is +22 %, within 25 %
    expect(
      compareWithBaseline(run(test('authentication_cache', 0.009), test('stress_test', 49)), base, 25)
        .regressions,
    ).toEqual([]);
    const worse = compareWithBaseline(
      run(test('authentication_cache', 0.05), test('stress_test', 60)),
      base,
      25,
    );
    expect(worse.regressions.map((r) => `${r.test}:${r.figure}`)).toEqual([
      'authentication_cache:p99_ms',
      'stress_test:p99_ms',
    ]);
  });

  it('flags fewer agents served, more memory and a success rate that fell', () => {
    const base = run(
      test('concurrent_agents', 10, 100),
      test('memory_per_agent', 5, 0.005),
      test('end_to_end_flow', 3),
    );
    const cur = run(
      test('concurrent_agents', 10, 50),
      test('memory_per_agent', 5, 0.05),
      test('end_to_end_flow', 3, 3, 0.9),
    );
    expect(compareWithBaseline(cur, base, 25).regressions.map((r) => `${r.test}:${r.figure}`)).toEqual([
      'concurrent_agents:value',
      'memory_per_agent:value',
      'end_to_end_flow:success_rate',
    ]);
    expect(compareWithBaseline(run(test('new_test', 1)), base, 25).missing).toEqual(['new_test']);
  });

  it('scores half for the target and half for our goal, scaled by the success rate', () => {
    const cache = TEST_SPECS.authentication_cache; // target < 100 ms, goal < 0.05 ms
    expect(scoreTest(cache, 0.01, 1)).toBe(100);
    expect(scoreTest(cache, 0.1, 1)).toBe(75); // goal missed by 2×: 50 + 25
    expect(scoreTest(cache, 200, 1)).toBe(25); // target missed by 2×, goal far off
    expect(scoreTest(cache, 0.01, 0.5)).toBe(50);
    const agents = TEST_SPECS.concurrent_agents; // at least 10, goal at least 100
    expect(scoreTest(agents, 50, 1)).toBe(75);
  });
});
