/**
 * `npm run bench:micro`: the cost of a cached authentication, measured beside a raw lru-cache get of
 * the same key set, in one run. Everything printed is measured now; nothing is stored.
 *
 * Env: BENCH_AGENTS (key set size, default 1000), BENCH_OPS (operations per measurement, 2,000,000).
 */
import { LRUCache } from 'lru-cache';
import { defaultConfig } from '../config/schema.js';
import { OptimizedAuthManager } from '../manager.js';

const AGENTS = Number(process.env.BENCH_AGENTS ?? 1000);
const OPS = Number(process.env.BENCH_OPS ?? 2_000_000);
const SAMPLES = 200_000;

interface Measured {
  name: string;
  nsPerOp: number;
  opsPerSec: number;
  p50Ns?: number;
  p99Ns?: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

function throughput(name: string, ns: bigint, ops: number): Measured {
  const nsPerOp = Number(ns) / ops;
  return { name, nsPerOp, opsPerSec: 1e9 / nsPerOp };
}

async function main(): Promise<void> {
  const keys = Array.from({ length: AGENTS }, (_, i) => `agent_${i}`);
  const config = defaultConfig();
  config.auth.provider = 'api_key';
  config.performance.cache.max_size = Math.max(AGENTS, config.performance.cache.max_size);
  // room for every agent's session, so the measurement is of warm sessions, not of evictions
  config.performance.memory.max_memory_mb = config.performance.memory.gc_threshold_mb = AGENTS * 25 + 1;
  const manager = await OptimizedAuthManager.create(config, {
    env: { ANTHROPIC_API_KEY: 'sk-ant-api03-bench-key-not-a-real-secret' },
    home: '/nonexistent-bench-home',
  });
  for (const k of keys) await manager.authenticateAgent(k); // warm every agent

  const lru = new LRUCache<string, { headers: Record<string, string> }>({
    max: config.performance.cache.max_size,
  });
  for (const k of keys) lru.set(k, { headers: { 'x-api-key': 'x' } });

  const results: Measured[] = [];
  let sink = 0;

  // raw lru-cache get, same keys, same order
  for (let i = 0; i < OPS / 4; i++) sink += lru.get(keys[i % AGENTS] as string) ? 1 : 0;
  let t = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) sink += lru.get(keys[i % AGENTS] as string) ? 1 : 0;
  results.push(throughput('lru-cache.get (raw)', process.hrtime.bigint() - t, OPS));

  // the gateway's path: synchronous on a warm cache
  for (let i = 0; i < OPS / 4; i++)
    sink += (manager.authenticate(keys[i % AGENTS] as string) as { kind: string }).kind.length;
  t = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++)
    sink += (manager.authenticate(keys[i % AGENTS] as string) as { kind: string }).kind.length;
  results.push(throughput('manager.authenticate (sync, gateway path)', process.hrtime.bigint() - t, OPS));

  // the library call: await authenticateAgent, cached
  for (let i = 0; i < OPS / 8; i++)
    sink += (await manager.authenticateAgent(keys[i % AGENTS] as string)).cached ? 1 : 0;
  t = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++)
    sink += (await manager.authenticateAgent(keys[i % AGENTS] as string)).cached ? 1 : 0;
  const asyncResult = throughput('await authenticateAgent (cached)', process.hrtime.bigint() - t, OPS);

  // latency distribution of single cached authentications
  const lat = new Float64Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) {
    const s = process.hrtime.bigint();
    sink += (await manager.authenticateAgent(keys[i % AGENTS] as string)).cached ? 1 : 0;
    lat[i] = Number(process.hrtime.bigint() - s);
  }
  lat.sort();
  results.push({ ...asyncResult, p50Ns: percentile(lat, 0.5), p99Ns: percentile(lat, 0.99) });

  const stats = manager.stats().cache;
  await manager.close();

  const raw = results[0] as Measured;
  console.log(
    `bench:micro — node ${process.version}, ${AGENTS} agents, ${OPS.toLocaleString('en-US')} ops per row, one core`,
  );
  console.log('');
  console.log('| path | ns/op | ops/s | × raw lru get | p50 | p99 |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const fmt = (ns?: number) => (ns === undefined ? '' : `${(ns / 1000).toFixed(2)} µs`);
    console.log(
      `| ${r.name} | ${r.nsPerOp.toFixed(1)} | ${Math.round(r.opsPerSec).toLocaleString('en-US')} | ${(r.nsPerOp / raw.nsPerOp).toFixed(2)} | ${fmt(r.p50Ns)} | ${fmt(r.p99Ns)} |`,
    );
  }
  const a = results[2] as Measured;
  console.log('');
  console.log(
    `targets: ≥ 1,000,000 cached authentications/s → ${Math.round(a.opsPerSec).toLocaleString('en-US')} (${a.opsPerSec >= 1e6 ? 'met' : 'NOT met'}); ` +
      `p99 ≤ 10 µs → ${((a.p99Ns ?? 0) / 1000).toFixed(2)} µs (${(a.p99Ns ?? Number.POSITIVE_INFINITY) <= 10_000 ? 'met' : 'NOT met'})`,
  );
  console.log(
    `cache: hit rate ${(stats?.hitRate ?? 0).toFixed(4)} over ${(stats?.hits ?? 0) + (stats?.misses ?? 0)} lookups (sink ${sink % 10})`,
  );
}

await main();
