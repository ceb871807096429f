import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { type Config, defaultConfig } from '../config/schema.js';
import { CredentialStore, oauthEntryId } from '../credentials/store.js';
import { OptimizedAuthManager } from '../manager.js';
import { type Simulator, simulatorOAuthConfig } from '../simulator/index.js';
import { processesCoordinated, processesNaive } from './refreshStormProcesses.js';

/**
 * A refresh storm: many agents need a token at the moment one rotating refresh token (strict single
 * use; replaying a spent one revokes the whole family) has expired. `coordinated` is claude-auth;
 * `naive` is every agent or process refreshing for itself, as independent sessions do.
 */
export interface StormCase {
  readonly agents: number;
  /** `in_process`: agents in one process; `processes`: one OS process per agent. */
  readonly shape: 'in_process' | 'processes';
  readonly strategy: 'coordinated' | 'naive';
}

/** What a storm did, from the simulator's counters and the agents' results. */
export interface StormResult extends StormCase {
  /** Successful refresh_token grants. */
  readonly grants: number;
  readonly invalidGrant: number;
  readonly reuseDetections: number;
  /** Agents that ended up holding a token the API accepts. */
  readonly agentsWithValidToken: number;
  /** Distinct access tokens the agents ended up with. */
  readonly distinctTokens: number;
  readonly ms: number;
}

/** OAuth client id of the storms' logins at the simulator. */
export const STORM_CLIENT = 'claude-auth-storm';

function stormConfig(sim: Simulator, agents: number): Config {
  const c = defaultConfig();
  const budget = Math.max(c.performance.memory.max_memory_mb, (agents + 1) * 25);
  const performance = {
    ...c.performance,
    memory: { ...c.performance.memory, max_memory_mb: budget, gc_threshold_mb: budget },
  };
  return simulatorOAuthConfig({ ...c, performance }, sim, STORM_CLIENT);
}

/** A new token family whose access token expired a second ago, stored as `claude-auth login` would. */
async function seedExpired(sim: Simulator, home: string): Promise<void> {
  const t = sim.issueTokens({ clientId: STORM_CLIENT });
  await new CredentialStore(home).putOAuthEntry({
    token_url: sim.tokenUrl,
    client_id: STORM_CLIENT,
    grant: 'refresh_token',
    access_token: t.access_token,
    refresh_token: t.refresh_token,
    expires_at: Date.now() - 1000,
    obtained_at: Date.now() - 3_601_000,
  });
}

/** How many of `tokens` (one per agent, null = none) the API accepts now. */
async function countValid(
  sim: Simulator,
  tokens: (string | null)[],
): Promise<{ valid: number; distinct: number }> {
  const distinct = [...new Set(tokens.filter((t): t is string => t !== null))];
  const pool = new Pool(sim.url, { connections: 4 });
  const accepted = new Set<string>();
  try {
    for (const token of distinct) {
      const r = await pool.request({
        path: '/v1/models',
        method: 'GET',
        headers: { authorization: `Bearer ${token}` },
      });
      await r.body.dump();
      if (r.statusCode === 200) accepted.add(token);
    }
  } finally {
    await pool.close();
  }
  return { valid: tokens.filter((t) => t !== null && accepted.has(t)).length, distinct: distinct.length };
}

async function inProcessCoordinated(
  sim: Simulator,
  home: string,
  agents: number,
): Promise<(string | null)[]> {
  const manager = await OptimizedAuthManager.create(stormConfig(sim, agents), { home, env: {} });
  try {
    const results = await Promise.allSettled(
      Array.from({ length: agents }, (_, i) => manager.authenticateAgent(`storm-${i}`)),
    );
    return results.map((r) =>
      r.status === 'fulfilled' ? (r.value.headers.authorization ?? '').replace(/^Bearer /, '') : null,
    );
  } finally {
    await manager.close();
  }
}

async function inProcessNaive(sim: Simulator, home: string, agents: number): Promise<(string | null)[]> {
  const held =
    new CredentialStore(home).read().oauth2?.[oauthEntryId(sim.tokenUrl, STORM_CLIENT)]?.refresh_token ?? '';
  const pool = new Pool(sim.url, { connections: 64 });
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: held,
    client_id: STORM_CLIENT,
  });
  try {
    return await Promise.all(
      Array.from({ length: agents }, async () => {
        const r = await pool.request({
          path: '/oauth/token',
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
        });
        const body = (await r.body.json()) as { access_token?: string };
        return r.statusCode === 200 && body.access_token ? body.access_token : null;
      }),
    );
  } finally {
    await pool.close();
  }
}

/**
 * Runs one storm case on `sim` (a new token family each time; its counters are reset first).
 * Times run until the last agent has its answer: in process, from the first request; coordinated
 * processes, from spawning `claude-auth print-token` (Node start-up included) to the last token
 * printed; naive processes, from the moment they are let go (all started and holding the expired
 * token) to the last result printed.
 */
export async function runStormCase(sim: Simulator, c: StormCase): Promise<StormResult> {
  const home = mkdtempSync(join(tmpdir(), 'claude-auth-storm-'));
  try {
    await seedExpired(sim, home);
    sim.resetStats();
    let t = Date.now();
    let tokens: (string | null)[];
    if (c.shape === 'in_process')
      tokens = await (c.strategy === 'coordinated' ? inProcessCoordinated : inProcessNaive)(
        sim,
        home,
        c.agents,
      );
    else if (c.strategy === 'coordinated')
      tokens = await processesCoordinated(sim, home, c.agents, STORM_CLIENT);
    else {
      const naive = await processesNaive(sim, home, c.agents, STORM_CLIENT);
      t = naive.goAt;
      tokens = naive.tokens;
    }
    const ms = Date.now() - t;
    const s = sim.stats();
    const { valid, distinct } = await countValid(sim, tokens);
    return {
      ...c,
      grants: s.refreshGrants,
      invalidGrant: s.invalidGrant,
      reuseDetections: s.reuseDetections,
      agentsWithValidToken: valid,
      distinctTokens: distinct,
      ms,
    };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
