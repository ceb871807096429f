import type { Advance } from './authTests.js';
import type { LoadJob, LoadResult } from './peerProtocol.js';
import type { BenchRig } from './rig.js';
import { summarize } from './summary.js';
import type { Measurement } from './types.js';

/**
 * The gateway tests. Agents' requests come from the load generator process (agents are processes
 * of their own); the gateway, its manager and the simulator run in this process. Every request is
 * a Messages request with the agent's virtual key (client.ts) and counts as a success only when a
 * complete 200 answer arrived.
 */

/** Reuse rate of the gateway's upstream pool over a window: 1 − connections opened / requests. */
function reuseSince(rig: BenchRig, before: { requests: number; connectionsOpened: number }): number {
  const now = rig.app.gateway.pool.stats();
  const requests = now.requests - before.requests;
  return requests === 0 ? 0 : Math.max(0, 1 - (now.connectionsOpened - before.connectionsOpened) / requests);
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The key-issuing share of a test's progress bar; the load is the rest. */
const ISSUE_SHARE = 0.1;

/** Runs a load job in the peer process; its progress fills the rest of the test's bar. */
function load(rig: BenchRig, advance: Advance, job: LoadJob): Promise<LoadResult> {
  advance(ISSUE_SHARE);
  return rig.agents.call({ op: 'load', job }, (f) => advance(ISSUE_SHARE + (1 - ISSUE_SHARE) * f));
}

/**
 * Concurrent agents: `agents` agents, each with its own virtual key and its own connection to the
 * gateway, start together and each send `requests` Messages requests back to back (one in four
 * streamed), so all of them are in flight at once. The figure judged is the number of agents
 * served completely while running together; latencies are per request, the first ones including
 * connection, key check and session start.
 */
export async function concurrentAgentsTest(
  rig: BenchRig,
  opts: { agents: number; requests: number },
  advance: Advance,
): Promise<Measurement> {
  const agents = await rig.addAgents('phase5-conc', opts.agents);
  const r = await load(rig, advance, {
    kind: 'concurrent',
    url: rig.url,
    keys: agents.map((a) => a.key),
    requests: opts.requests,
  });
  const served = (r.perAgentOk ?? []).filter((n) => n === opts.requests).length;
  return {
    latenciesMs: r.latenciesMs,
    succeeded: r.succeeded,
    attempted: r.attempted,
    value: served,
    details: {
      agents_started: agents.length,
      requests_per_agent: opts.requests,
      peak_in_flight: r.peakInFlight ?? 0,
    },
  };
}

/**
 * Network latency: one warm agent sends Messages requests one at a time through the gateway (key
 * check, cached authentication, upstream pool, simulator and back), alternating with the same
 * request sent straight to the simulator with the real credential, both on kept-alive connections.
 * The figure judged is the p99 through the gateway; `added_*` is what the gateway adds over direct.
 */
export async function networkLatencyTest(
  rig: BenchRig,
  opts: { samples: number; warmup: number },
  advance: Advance,
): Promise<Measurement> {
  const [agent] = await rig.addAgents('phase5-net', 1);
  if (agent === undefined) throw new Error('no agent');
  const real = await rig.app.manager.authenticateAgent('phase5-direct', { estimatedMemoryMb: 1 });
  rig.app.manager.sessions.end('phase5-direct', 'closed');
  const pool = rig.app.gateway.pool.stats();
  const r = await load(rig, advance, {
    kind: 'latency',
    url: rig.url,
    key: agent.key,
    directUrl: rig.sim.url,
    directHeaders: { ...real.headers },
    samples: opts.samples,
    warmup: opts.warmup,
  });
  const g = summarize(r.latenciesMs);
  const d = summarize(r.directMs ?? []);
  return {
    latenciesMs: r.latenciesMs,
    succeeded: r.succeeded,
    attempted: r.attempted,
    details: {
      direct_p50_ms: round(d.p50),
      direct_p99_ms: round(d.p99),
      added_p50_ms: round(g.p50 - d.p50),
      added_p99_ms: round(g.p99 - d.p99),
      upstream_reuse_rate: round(reuseSince(rig, pool), 4),
    },
  };
}

/**
 * End-to-end flow: a new agent's first streamed request. For each of `agents` agents with a freshly
 * issued virtual key, one after the other: connect to the gateway, key check (SHA-256, not yet
 * cached), session admission, credential lookup (a cache miss for this agent), upstream pool, the
 * simulator's event stream relayed byte for byte, until `message_stop` has arrived.
 */
export async function endToEndTest(
  rig: BenchRig,
  opts: { agents: number },
  advance: Advance,
): Promise<Measurement> {
  const agents = await rig.addAgents('phase5-e2e', opts.agents);
  const r = await load(rig, advance, { kind: 'new_agents', url: rig.url, keys: agents.map((a) => a.key) });
  return {
    latenciesMs: r.latenciesMs,
    succeeded: r.succeeded,
    attempted: r.attempted,
    details: { agents: agents.length },
  };
}

/**
 * Stress test: `requests` Messages requests (one in four streamed) through the gateway from
 * `concurrency` agents (of `agents` keys) sending back to back, one request in flight each, more
 * than the upstream pool's 20 connections, so requests also queue for a connection. The figure
 * judged is the p99 latency.
 */
export async function stressTest(
  rig: BenchRig,
  opts: { agents: number; requests: number; concurrency: number },
  advance: Advance,
): Promise<Measurement> {
  const agents = await rig.addAgents('phase5-stress', opts.agents);
  const pool = rig.app.gateway.pool.stats();
  const r = await load(rig, advance, {
    kind: 'stress',
    url: rig.url,
    keys: agents.map((a) => a.key),
    requests: opts.requests,
    concurrency: opts.concurrency,
  });
  return {
    latenciesMs: r.latenciesMs,
    succeeded: r.succeeded,
    attempted: r.attempted,
    details: {
      agents: agents.length,
      concurrency: opts.concurrency,
      peak_in_flight: r.peakInFlight ?? 0,
      requests_per_second: Math.round(opts.requests / (r.wallMs / 1000)),
      upstream_reuse_rate: round(reuseSince(rig, pool), 4),
    },
  };
}
