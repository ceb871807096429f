import type { Clock } from '../../clock.js';
import type { Config } from '../../config/schema.js';
import { OptimizedAuthManager } from '../../manager.js';
import type { SimulatorStats } from '../../simulator/index.js';
import { tick } from './client.js';
import { msSince } from './summary.js';
import type { Measurement } from './types.js';

/** Reports the fraction of a test done. */
export type Advance = (fraction: number) => void;

/**
 * Authentication cache: `await manager.authenticateAgent(agent)` for agents whose authentication is
 * cached, each call timed on its own (hrtime around the await; the timer itself costs ≈0.1 µs).
 * A sample succeeds when the result came from the cache. The sessions it starts (reserving 1 MB
 * each) are ended afterwards, so a caller's manager is left as it was.
 */
export async function authenticationCacheTest(
  manager: OptimizedAuthManager,
  opts: { agents: number; samples: number; prefix: string },
  advance: Advance,
): Promise<Measurement> {
  const ids = Array.from({ length: opts.agents }, (_, i) => `${opts.prefix}-${i}`);
  const latencies = new Float64Array(opts.samples);
  let hits = 0;
  try {
    for (const id of ids) await manager.authenticateAgent(id, { estimatedMemoryMb: 1 }); // warm
    const before = manager.stats().cache;
    const chunk = Math.max(1, Math.floor(opts.samples / 50));
    for (let i = 0; i < opts.samples; i++) {
      const id = ids[i % ids.length] as string;
      const t = process.hrtime.bigint();
      const r = await manager.authenticateAgent(id);
      latencies[i] = msSince(t);
      if (r.cached) hits++;
      if (i % chunk === chunk - 1) {
        advance(i / opts.samples);
        await tick();
      }
    }
    const after = manager.stats().cache;
    const lookups = after && before ? after.hits + after.misses - before.hits - before.misses : 0;
    return {
      latenciesMs: latencies,
      succeeded: hits,
      attempted: opts.samples,
      details: {
        agents: opts.agents,
        cache_hit_rate: lookups > 0 && after && before ? (after.hits - before.hits) / lookups : 0,
        caching: after === null ? 'off' : 'on',
      },
    };
  } finally {
    for (const id of ids) manager.sessions.end(id, 'closed');
  }
}

/**
 * Token refresh: the wait of an agent whose access token has expired. Each sample moves the
 * manager's clock past the token's expiry, then times `authenticateAgent`: cache miss → refresh
 * coordinator (single flight) → OAuth2Provider under the cross-process store lock → a real
 * refresh_token grant over HTTP to the simulator's /oauth/token (strict single-use rotation) → the
 * rotated tokens written atomically and fsynced before use → the new credential. A sample succeeds
 * when it returned a new access token and the simulator counted exactly one more grant.
 */
export async function tokenRefreshTest(
  simStats: () => Promise<SimulatorStats>,
  config: Config,
  home: string,
  opts: { samples: number },
  advance: Advance,
): Promise<Measurement> {
  let offset = 0;
  const clock: Clock = { now: () => Date.now() + offset };
  const manager = await OptimizedAuthManager.create(config, { home, env: {}, clock });
  const latencies: number[] = [];
  let ok = 0;
  try {
    const first = await manager.authenticateAgent('phase5-refresher', { estimatedMemoryMb: 1 });
    let previous = first.headers.authorization;
    const start = await simStats();
    let grants = start.refreshGrants;
    for (let i = 0; i < opts.samples; i++) {
      offset += 2 * 3600_000; // past the access token's hour of life
      const t = process.hrtime.bigint();
      try {
        const r = await manager.authenticateAgent('phase5-refresher', { estimatedMemoryMb: 1 });
        latencies.push(msSince(t));
        const now = (await simStats()).refreshGrants;
        if (!r.cached && r.headers.authorization !== previous && now === grants + 1) ok++;
        grants = now;
        previous = r.headers.authorization;
      } catch {
        latencies.push(msSince(t));
      }
      advance((i + 1) / opts.samples);
    }
    const end = await simStats();
    return {
      latenciesMs: latencies,
      succeeded: ok,
      attempted: opts.samples,
      details: {
        refresh_grants: end.refreshGrants - start.refreshGrants,
        invalid_grant: end.invalidGrant - start.invalidGrant,
        reuse_detections: end.reuseDetections - start.reuseDetections,
      },
    };
  } finally {
    await manager.close();
  }
}
