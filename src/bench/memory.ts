/**
 * `npm run bench:memory`: the manager's own footprint per idle agent session (session record,
 * cache entry), measured as heap and RSS growth over 10,000 sessions. Run with --expose-gc.
 *
 * Env: BENCH_SESSIONS (default 10,000).
 */
import { defaultConfig } from '../config/schema.js';
import { OptimizedAuthManager } from '../manager.js';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;

function settle(): void {
  for (let i = 0; i < 3; i++) gc?.();
}

async function main(): Promise<void> {
  if (!gc) console.log('note: run with node --expose-gc for stable figures');
  const config = defaultConfig();
  config.auth.provider = 'api_key';
  config.performance.cache.max_size = SESSIONS + 1;
  // room for every session, so none is evicted: the figure is of live idle sessions
  config.performance.memory.max_memory_mb = config.performance.memory.gc_threshold_mb = (SESSIONS + 1) * 25;
  const manager = await OptimizedAuthManager.create(config, {
    env: { ANTHROPIC_API_KEY: 'sk-ant-api03-bench-key-not-a-real-secret' },
    home: '/nonexistent-bench-home',
  });
  await manager.authenticateAgent('warm-up');
  const names = Array.from({ length: SESSIONS }, (_, i) => `agent-${String(i).padStart(6, '0')}`);
  settle();
  const before = process.memoryUsage();
  for (const name of names) await manager.authenticateAgent(name, { estimatedMemoryMb: 25 });
  settle();
  const after = process.memoryUsage();
  const stats = manager.stats();
  await manager.close();

  const per = (a: number, b: number) => (a - b) / SESSIONS;
  console.log(
    `bench:memory — node ${process.version}, ${SESSIONS.toLocaleString('en-US')} idle sessions (session + cache entry each)`,
  );
  console.log('');
  console.log('| measure | growth | per session |');
  console.log('|---|---:|---:|');
  for (const [label, key] of [
    ['heap used', 'heapUsed'],
    ['RSS', 'rss'],
  ] as const) {
    const grow = after[key] - before[key];
    console.log(
      `| ${label} | ${(grow / 1024 / 1024).toFixed(2)} MB | ${(per(after[key], before[key]) / 1024).toFixed(2)} KB |`,
    );
  }
  console.log('');
  const heapPer = per(after.heapUsed, before.heapUsed);
  console.log(
    `target: ≤ 2 KB per session (heap) → ${(heapPer / 1024).toFixed(2)} KB (${heapPer <= 2048 ? 'met' : 'NOT met'})`,
  );
  console.log(
    `sessions live at the end: ${stats.sessions.sessions - 1}, cache entries: ${(stats.cache?.size ?? 0) - 1}`,
  );
}

await main();
