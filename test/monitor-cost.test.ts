import { Histogram, Registry } from 'prom-client';
import { afterAll, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/schema.js';
import { OptimizedAuthManager } from '../src/manager.js';
import { startMonitor } from './monitor-helpers.js';

/**
 * What the hot-path hooks cost, measured beside prom-client's own `observe` and a cached
 * `manager.authenticate` (the gateway path). Printed for the closing note; the assertions are only
 * generous sanity bounds (shared CI machines are noisy).
 */
const OPS = 2_000_000;
const { monitor } = startMonitor({ tickMs: 0 });
afterAll(() => monitor.close());

function nsPerOp(fn: (i: number) => void, ops = OPS): number {
  for (let i = 0; i < ops / 4; i++) fn(i);
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) fn(i);
    best = Math.min(best, Number(process.hrtime.bigint() - t) / ops);
  }
  return best;
}

it('hot-path hooks cost a few ns; prom-client observe costs far more', async () => {
  const hook = nsPerOp((i) => monitor.observeAuthentication((i & 63) * 0.001, true));

  const reg = new Registry();
  const h = new Histogram({ name: 'x_seconds', help: 'x', labelNames: ['cache'], registers: [reg] });
  const hit = h.labels('hit');
  const prom = nsPerOp((i) => hit.observe((i & 63) * 1e-6), OPS / 4);

  const config = defaultConfig();
  config.auth.provider = 'api_key';
  const manager = await OptimizedAuthManager.create(config, {
    env: { ANTHROPIC_API_KEY: 'sk-ant-api03-monitor-cost-not-a-real-key' },
    home: '/nonexistent-monitor-cost-home',
  });
  try {
    const agents = Array.from({ length: 10 }, (_, i) => `agent-${i}`);
    for (const a of agents) await manager.authenticateAgent(a);
    let sink = 0;
    const bare = nsPerOp((i) => {
      sink += (manager.authenticate(agents[i % 10]!) as { kind: string }).kind.length;
    });
    const hooked = nsPerOp((i) => {
      sink += (manager.authenticate(agents[i % 10]!) as { kind: string }).kind.length;
      monitor.observeAuthentication((i & 63) * 0.001, true);
    });
    expect(sink).toBeGreaterThan(0);

    const { record } = await import('./monitor-helpers.js');
    const r = record(200);
    const request = nsPerOp(() => monitor.observeRequest(r), OPS / 10);

    console.log(
      [
        `observeAuthentication (hook): ${hook.toFixed(1)} ns/op`,
        `prom-client histogram child.observe: ${prom.toFixed(1)} ns/op`,
        `manager.authenticate cached (gateway path): ${bare.toFixed(1)} ns/op, with the hook ${hooked.toFixed(1)} ns/op`,
        `observeRequest (per gateway request): ${request.toFixed(1)} ns/op`,
      ].join('\n'),
    );
    expect(hook).toBeLessThan(1_000);
    expect(request).toBeLessThan(20_000);
  } finally {
    await manager.close();
  }
});
