import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/schema.js';
import { CredentialStore } from '../src/credentials/store.js';
import { OptimizedAuthManager } from '../src/manager.js';
import type { AuthEvent } from '../src/monitor/events.js';
import { type Simulator, simulatorOAuthConfig, startSimulator } from '../src/simulator/index.js';

/**
 * The issue's soak: 2-second access tokens, 50 agents, 30 seconds of traffic against the simulator.
 * Bounded in time (SOAK_SECONDS, default 30) and in count (MAX_REQUESTS).
 */
const LIFETIME_S = 2;
const AGENTS = 50;
const SECONDS = Number(process.env.SOAK_SECONDS ?? 30);
const MAX_REQUESTS = 500_000;
const CLIENT = 'soak';
const JITTER = 0.1; // RefreshCoordinator's default: refreshes start up to 10% of the margin early

let dir: string;
let sim: Simulator;
let dispatcher: Agent;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ca-soak-'));
  sim = await startSimulator({ accessTokenTtlSeconds: LIFETIME_S });
  dispatcher = new Agent({ connections: AGENTS });
});
afterAll(async () => {
  await dispatcher.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('soak: short-lived rotating tokens under steady traffic', () => {
  it(
    `${AGENTS} agents, ${SECONDS} s, ${LIFETIME_S} s tokens: no expired token upstream, no invalid_grant, no refresh burst`,
    async () => {
      const { refresh_token } = sim.issueTokens({ clientId: CLIENT });
      await new CredentialStore(dir).putOAuthEntry({
        token_url: sim.tokenUrl,
        client_id: CLIENT,
        grant: 'refresh_token',
        refresh_token,
      });
      const config = simulatorOAuthConfig(defaultConfig(), sim, CLIENT);
      const manager = await OptimizedAuthManager.create(config, { home: dir });
      const refreshes: number[] = [];
      manager.bus.subscribe((e: AuthEvent) => {
        if (e.type === 'refresh.succeeded') refreshes.push(e.at);
      });

      const body = JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'hi' }],
      });
      const started = Date.now();
      const deadline = started + SECONDS * 1000;
      let sent = 0;
      let failed = 0;
      const agent = async (i: number) => {
        while (Date.now() < deadline && sent < MAX_REQUESTS) {
          sent++;
          const auth = await manager.authenticateAgent(`agent_${i}`, { estimatedMemoryMb: 5 });
          const r = await request(`${sim.url}/v1/messages`, {
            method: 'POST',
            dispatcher,
            headers: {
              ...auth.headers,
              'content-type': 'application/json',
              'anthropic-version': '2023-06-01',
            },
            body,
          });
          await r.body.dump();
          if (r.statusCode !== 200) failed++;
        }
      };
      await Promise.all(Array.from({ length: AGENTS }, (_, i) => agent(i)));
      const elapsedS = (Date.now() - started) / 1000;
      await manager.close();

      const stats = sim.stats();
      const margin = Math.min(config.auth.oauth2.refresh_margin_seconds, LIFETIME_S / 4) * (1 + JITTER);
      const bound = Math.ceil(elapsedS / (LIFETIME_S - margin)) + 1;
      console.log(
        `soak: ${sent} requests in ${elapsedS.toFixed(1)} s, ${stats.refreshGrants} refresh grants (bound ${bound}), ` +
          `expired-token requests ${stats.expiredTokenRequests}, invalid_grant ${stats.invalidGrant}`,
      );
      expect(sent).toBeGreaterThan(AGENTS * SECONDS); // there was real traffic
      expect(failed).toBe(0);
      expect(stats.expiredTokenRequests).toBe(0);
      expect(stats.unknownCredentialRequests).toBe(0);
      expect(stats.invalidGrant).toBe(0);
      expect(stats.reuseDetections).toBe(0);
      expect(stats.refreshGrants).toBeLessThanOrEqual(bound);
      expect(stats.refreshGrants).toBeGreaterThanOrEqual(Math.floor(elapsedS / LIFETIME_S));
      // never a burst: consecutive refreshes are spaced by most of a token lifetime
      const gaps = refreshes.slice(1).map((t, i) => t - (refreshes[i] as number));
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual((LIFETIME_S - margin) * 1000 * 0.9);
    },
    (SECONDS + 30) * 1000,
  );
});
