import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { issueAgentKey } from '../../agents/agentKeys.js';
import type { App } from '../../app.js';
import { type Config, defaultConfig } from '../../config/schema.js';
import { CredentialStore } from '../../credentials/store.js';
import { simulatorOAuthConfig } from '../../simulator/clientConfig.js';
import { messageHeaders, sendMessage } from './client.js';
import { type Peer, startPeer } from './peer.js';
import type { SimAddress } from './peerProtocol.js';

/** OAuth client id the benchmark logs in with at the simulator. */
export const BENCH_CLIENT_ID = 'claude-auth-phase5';

/** An agent with a virtual key of its own. */
export interface BenchAgent {
  readonly name: string;
  readonly key: string;
}

/**
 * What the tests run on: the real composed gateway (`startApp`: manager, SQLite state, key
 * registry, connection pool) in this process with a temp CLAUDE_AUTH_HOME, logged in with a
 * rotating refresh token; a process with the built-in simulator (Anthropic API and OAuth 2.0
 * server on 127.0.0.1) as the upstream; and a process for the agents' requests. Agents and upstream
 * are other processes in real life, so they do not share the gateway's event loop here either.
 */
export interface BenchRig {
  /** The upstream's process: the simulator (sim.* calls). */
  readonly upstream: Peer;
  /** The agents' process: the load generator (load calls). */
  readonly agents: Peer;
  readonly sim: SimAddress;
  readonly app: App;
  /** The gateway's URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** A fresh temp directory that close() removes, for tests that need a home of their own. */
  tempDir(prefix: string): string;
  /** An OAuth config against the simulator, with a login of its own (new token family) in `home`. */
  oauthHome(home: string): Promise<Config>;
  /** Issues `count` virtual keys and resolves once the gateway accepts them. */
  addAgents(prefix: string, count: number): Promise<BenchAgent[]>;
  /** Removes everything: gateway, the two processes, temp directories. */
  close(): Promise<void>;
}

/** The benchmark's config: the defaults, pointed at the simulator, with room for `agents` sessions. */
function benchConfig(sim: SimAddress, agents: number): Config {
  const c = defaultConfig();
  const perAgent = c.performance.memory.default_agent_memory_mb;
  // room for every benchmark agent's session: the figures are of working agents, not of evictions
  const budget = Math.max(c.performance.memory.max_memory_mb, (agents + 16) * perAgent);
  const performance = {
    ...c.performance,
    memory: { ...c.performance.memory, max_memory_mb: budget, gc_threshold_mb: budget },
  };
  return {
    ...simulatorOAuthConfig({ ...c, performance }, sim, BENCH_CLIENT_ID),
    upstream: { base_url: sim.url },
    gateway: { ...c.gateway, host: '127.0.0.1', port: 0 },
    state: { url: 'sqlite:state.db' },
  };
}

/** A login as `claude-auth login` leaves it: a refresh token (of a new family) in the store. */
async function seedLogin(peer: Peer, sim: SimAddress, home: string): Promise<void> {
  const { refresh_token } = await peer.call({ op: 'sim.issueTokens', clientId: BENCH_CLIENT_ID });
  await new CredentialStore(home).putOAuthEntry({
    token_url: sim.tokenUrl,
    client_id: BENCH_CLIENT_ID,
    grant: 'refresh_token',
    refresh_token,
  });
}

/**
 * Starts the peer process and the gateway. `maxAgents` is how many agent sessions the run will
 * hold at once at most (the memory budget is raised to fit them).
 */
export async function startRig(maxAgents: number): Promise<BenchRig> {
  const dirs: string[] = [];
  const tempDir = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  const removeDirs = () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  const [peer, agentsPeer] = await Promise.all([startPeer(), startPeer()]);
  let app: App;
  let sim: SimAddress;
  try {
    sim = await peer.call({ op: 'sim.start' });
    const home = tempDir('claude-auth-phase5-');
    await seedLogin(peer, sim, home);
    const { startApp } = await import('../../app.js');
    app = await startApp({ config: benchConfig(sim, maxAgents), home, env: {}, host: '127.0.0.1', port: 0 });
  } catch (e) {
    await Promise.all([peer.close(), agentsPeer.close()]);
    removeDirs();
    throw e;
  }
  const started = app;
  const probe = new Pool(started.url, { connections: 1 });
  let serial = 0;

  /**
   * Waits until the gateway accepts a key issued after `agents`' keys. The key registry reloads on
   * the store's change notice and loads every key issued before it. A notice that lands while the
   * registry is finishing a reload can be lost (KeyRegistry.reloadLoop), so a probe key not
   * accepted within 200 ms is followed by a fresh one, whose write is a new notice.
   */
  const awaitAccepted = async (prefix: string) => {
    const deadline = Date.now() + 10_000;
    for (let attempt = 0; ; attempt++) {
      const probeAgent = `${prefix}-probe${attempt}`;
      const probeKey = (await issueAgentKey(started.state, probeAgent)).key;
      const retryAt = Date.now() + 200;
      let accepted = false;
      while (!accepted && Date.now() < retryAt) {
        accepted = await sendMessage(probe, started.url, messageHeaders(probeKey), false);
        if (!accepted) await new Promise((r) => setTimeout(r, 5));
      }
      if (accepted) {
        started.manager.sessions.end(probeAgent, 'closed');
        return;
      }
      if (Date.now() > deadline) throw new Error('the gateway did not accept newly issued keys within 10 s');
    }
  };

  return {
    upstream: peer,
    agents: agentsPeer,
    sim,
    app: started,
    url: started.url,
    tempDir,
    async oauthHome(home) {
      await seedLogin(peer, sim, home);
      return benchConfig(sim, 1);
    },
    async addAgents(prefix, count) {
      const run = `${prefix}-${(++serial).toString(36)}`;
      const agents: BenchAgent[] = [];
      for (let i = 0; i < count; i++) {
        const name = `${run}-${i}`;
        agents.push({ name, key: (await issueAgentKey(started.state, name)).key });
      }
      await awaitAccepted(run);
      return agents;
    },
    async close() {
      await probe.close();
      await started.close(1000);
      await Promise.all([peer.close(), agentsPeer.close()]);
      removeDirs();
    },
  };
}
