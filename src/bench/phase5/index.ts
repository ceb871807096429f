import { availableParallelism, loadavg } from 'node:os';
import { authenticationCacheTest, tokenRefreshTest } from './authTests.js';
import { memoryPerAgentTest } from './memoryTest.js';
import { startRig } from './rig.js';
import { judge, TEST_SPECS } from './score.js';
import { msSince } from './summary.js';
import { concurrentAgentsTest, endToEndTest, networkLatencyTest, stressTest } from './trafficTests.js';
import {
  type Measurement,
  PHASE5_TESTS,
  type Phase5Options,
  type Phase5Report,
  type Phase5TestName,
  type Phase5TestResult,
} from './types.js';

export { compareWithBaseline, type Regression } from './baseline.js';
export { type Phase5Json, toPhase5Json } from './report.js';
export { TEST_SPECS } from './score.js';
export * from './types.js';

/** Sample counts of a full run (about 20 s on a 2-core machine) and of a quick one (smoke tests). */
const SIZES = {
  full: {
    cacheAgents: 100,
    cacheSamples: 100_000,
    refreshSamples: 200,
    memoryAgents: 1000,
    concurrentAgents: 100,
    concurrentRequests: 10,
    latencySamples: 2000,
    latencyWarmup: 200,
    e2eAgents: 200,
    stressAgents: 50,
    stressRequests: 10_000,
    stressConcurrency: 50,
  },
  quick: {
    cacheAgents: 8,
    cacheSamples: 2000,
    refreshSamples: 5,
    memoryAgents: 50,
    concurrentAgents: 12,
    concurrentRequests: 2,
    latencySamples: 100,
    latencyWarmup: 20,
    e2eAgents: 10,
    stressAgents: 10,
    stressRequests: 300,
    stressConcurrency: 10,
  },
} as const;

/** Agents a caller's manager is measured with: few, 1 MB each, so its budget is barely touched. */
const GIVEN_MANAGER_AGENTS = 8;

/** What each test measures, as printed with its result. */
const MEASURES: Readonly<Record<Phase5TestName, string>> = {
  authentication_cache: 'await authenticateAgent() on agents whose authentication is cached, each call timed',
  token_refresh:
    'authenticateAgent() on an expired token: single-flight refresh under the store lock, a real rotating refresh_token grant against the simulator, fsynced write',
  memory_per_agent:
    "gateway process growth (max of heap and RSS, after GC) per agent with a virtual key, a session and one proxied request; not the agent's own process",
  concurrent_agents:
    'agents with their own virtual keys and connections sending requests through the gateway all at once; figure = agents served completely',
  network_latency:
    'one request at a time, virtual key → gateway → upstream pool → simulator → back, on kept-alive connections (added latency over direct in details)',
  end_to_end_flow:
    "a new agent's first streamed request: connect, key check, session admission, credential lookup, pool, simulator, stream relayed to message_stop",
  stress_test:
    'many agents sending back to back through the gateway, one request in flight per agent (1 in 4 streamed), more than the upstream pool has connections',
};

/**
 * The specification's Phase 5 compliance benchmark, run for real: the seven tests against the
 * built-in simulator over HTTP on 127.0.0.1, through the real components (manager, authentication
 * cache, refresh coordinator, OAuth2 provider and store lock, key registry, gateway, upstream pool).
 * Each test is judged on its figure against the specification's target and our stricter goal;
 * see `TEST_SPECS` and `scoreTest` for the numbers and the score formula. Everything it starts
 * (simulator, gateway, temp CLAUDE_AUTH_HOME) is removed before it resolves; a given manager is
 * used for the authentication cache test only and is not closed.
 * @throws Error only when the simulator or the gateway cannot be started; a failing test is reported.
 */
export async function runPhase5ComplianceBenchmark(options: Phase5Options = {}): Promise<Phase5Report> {
  const mode = options.quick === true ? 'quick' : 'full';
  const n = SIZES[mode];
  const startedAt = new Date().toISOString();
  const loadStart = loadavg()[0] ?? 0;
  const t0 = process.hrtime.bigint();
  const rig = await startRig(
    n.memoryAgents + n.concurrentAgents + n.e2eAgents + n.stressAgents + n.cacheAgents + 16,
  );
  const results: Phase5TestResult[] = [];
  try {
    const home = rig.tempDir('claude-auth-phase5-refresh-');
    const refreshConfig = await rig.oauthHome(home);
    const runs: Record<Phase5TestName, (advance: (f: number) => void) => Promise<Measurement>> = {
      authentication_cache: (advance) =>
        authenticationCacheTest(
          options.manager ?? rig.app.manager,
          {
            agents: options.manager ? Math.min(GIVEN_MANAGER_AGENTS, n.cacheAgents) : n.cacheAgents,
            samples: n.cacheSamples,
            prefix: 'phase5-cache',
          },
          advance,
        ),
      token_refresh: (advance) =>
        tokenRefreshTest(
          () => rig.upstream.call({ op: 'sim.stats' }),
          refreshConfig,
          home,
          { samples: n.refreshSamples },
          advance,
        ),
      memory_per_agent: (advance) => memoryPerAgentTest(rig, { agents: n.memoryAgents }, advance),
      concurrent_agents: (advance) =>
        concurrentAgentsTest(rig, { agents: n.concurrentAgents, requests: n.concurrentRequests }, advance),
      network_latency: (advance) =>
        networkLatencyTest(rig, { samples: n.latencySamples, warmup: n.latencyWarmup }, advance),
      end_to_end_flow: (advance) => endToEndTest(rig, { agents: n.e2eAgents }, advance),
      stress_test: (advance) =>
        stressTest(
          rig,
          { agents: n.stressAgents, requests: n.stressRequests, concurrency: n.stressConcurrency },
          advance,
        ),
    };
    for (const [index, name] of PHASE5_TESTS.entries()) {
      const title = TEST_SPECS[name].title;
      const tell = (fraction: number, result?: Phase5TestResult) =>
        options.onProgress?.({
          index,
          total: PHASE5_TESTS.length,
          name,
          title,
          fraction: Math.min(1, Math.max(0, fraction)),
          ...(result ? { result } : {}),
        });
      tell(0);
      let measured: Measurement | { error: string };
      try {
        measured = await runs[name](tell);
      } catch (e) {
        measured = { error: e instanceof Error ? e.message : String(e) };
      }
      const result = judge(name, MEASURES[name], measured);
      results.push(result);
      tell(1, result);
    }
  } finally {
    await rig.close();
  }
  const testsPassed = results.filter((r) => r.passed).length;
  return {
    overallScore: Math.round((results.reduce((s, r) => s + r.score, 0) / results.length) * 10) / 10,
    targetsMet: testsPassed === results.length,
    goalsMet: results.every((r) => r.goalMet),
    testsPassed,
    tests: results,
    mode,
    manager: options.manager ? 'given' : 'own',
    durationMs: Math.round(msSince(t0)),
    startedAt,
    node: process.version,
    machine: {
      cpus: availableParallelism(),
      loadAverageStart: Math.round(loadStart * 100) / 100,
      loadAverageEnd: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    },
  };
}
