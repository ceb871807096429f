import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Advance } from './authTests.js';
import type { BenchRig } from './rig.js';
import type { Measurement } from './types.js';

const MiB = 1024 * 1024;

/** The garbage collector, exposed at run time (as `node --expose-gc` would), or null if refused. */
function collector(): (() => void) | null {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}

/**
 * Memory per agent: what claude-auth itself holds for each agent, in the process that runs the
 * gateway. `agents` agents get a virtual key (stored in SQLite, held by the key registry) and send
 * one Messages request each through the gateway (session admission, a cache entry, gateway
 * counters); after a full garbage collection the growth of the process's heap and of its resident
 * set (RSS) is divided by `agents`. The figure judged is the larger of the two: an upper bound, as
 * RSS also holds allocator slack and SQLite's page cache. It is not the agent's own process: the
 * RSS of launched agents is what `claude-auth run` samples and `max_agent_memory_mb` limits.
 * The agents' requests come from the load generator process, so its memory is not counted; the
 * latencies are of each agent's first request (session start), 8 at a time.
 */
export async function memoryPerAgentTest(
  rig: BenchRig,
  opts: { agents: number },
  advance: Advance,
): Promise<Measurement> {
  const gc = collector();
  const settle = () => {
    for (let i = 0; i < 3; i++) gc?.();
  };
  await rig.addAgents('phase5-mem-warm', 1); // the key and session paths have run once
  settle();
  const before = process.memoryUsage();
  const agents = await rig.addAgents('phase5-mem', opts.agents);
  advance(0.3);
  const r = await rig.agents.call(
    {
      op: 'load',
      job: { kind: 'first_requests', url: rig.url, keys: agents.map((a) => a.key), concurrency: 8 },
    },
    (f) => advance(0.3 + 0.6 * f),
  );
  settle();
  const after = process.memoryUsage();
  const heapPer = (after.heapUsed - before.heapUsed) / agents.length / MiB;
  const rssPer = (after.rss - before.rss) / agents.length / MiB;
  return {
    latenciesMs: r.latenciesMs,
    succeeded: r.succeeded,
    attempted: r.attempted,
    value: Math.max(0, heapPer, rssPer),
    details: {
      agents: agents.length,
      heap_per_agent_kb: Math.round(heapPer * 1024 * 100) / 100,
      rss_per_agent_kb: Math.round(rssPer * 1024 * 100) / 100,
      sessions_live: rig.app.manager.stats().sessions.sessions,
      gc: gc === null ? 'unavailable' : 'full',
    },
  };
}
