import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { issueAgentKey } from '../agents/agentKeys.js';
import { KeyRegistry } from '../agents/keyRegistry.js';
import { BottleneckAnalyzer } from '../analysis/BottleneckAnalyzer.js';
import type { AnalyzerSignals, Finding, MemorySignal } from '../analysis/types.js';
import { type Config, defaultConfig } from '../config/schema.js';
import { CredentialStore } from '../credentials/store.js';
import { createGateway } from '../gateway/index.js';
import { OptimizedAuthManager } from '../manager.js';
import { ClaudeConnectionPool } from '../pool/index.js';
import {
  type FaultsPatch,
  type Simulator,
  simulatorOAuthConfig,
  startSimulator,
} from '../simulator/index.js';
import { openStateStore } from '../state/index.js';

/** The real key the simulator accepts (the gateway injects it; agents never see it). */
const REAL_KEY = 'sk-ant-api03-analyzer-bench-real-key-0000000000000';
const OAUTH_CLIENT = 'analyzer-bench';

/** How one labeled run is set up: the one bottleneck it injects, and the traffic. */
export interface RigSetup {
  /** Concurrent agents, each with its own virtual key, each sending one request at a time. */
  agents: number;
  /** Load duration, ms (requests in flight at the end are awaited). */
  durationMs: number;
  /** Stop starting requests after this many. */
  maxRequests: number;
  /** Simulator fault knobs (always plus a small realistic latency and paced streams). */
  faults?: FaultsPatch;
  /** `oauth2` against the simulator with access tokens of this lifetime, s; default an API key. */
  oauthTokenTtlSeconds?: number;
  /** Changes to the config (cache size, memory limits, …). */
  config?: (c: Config) => Config;
  /** Connections per origin of the gateway's pool. Default 20 (the pool's default). */
  poolConnections?: number;
  /** A memory signal at `elapsed` of `durationMs` (the memory governor is not wired in yet). */
  memory?: (elapsedMs: number, durationMs: number, agents: number) => MemorySignal;
}

/** What a run produced. */
export interface RigResult {
  findings: Finding[];
  requests: number;
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
  elapsedMs: number;
}

const BODY = JSON.stringify({
  model: 'claude-sonnet-4-5-20250929',
  max_tokens: 64,
  stream: true,
  messages: [{ role: 'user', content: 'hello' }],
});

/**
 * Runs real traffic through the real components on 127.0.0.1 — simulator, gateway with the real
 * OptimizedAuthManager and KeyRegistry (SQLite in a temp dir), ClaudeConnectionPool — with the
 * gateway's `onRequestDone`, the manager's events and periodic signals feeding a
 * BottleneckAnalyzer, and returns its findings. Everything is closed before it resolves.
 */
export async function runRig(setup: RigSetup): Promise<RigResult> {
  const home = await mkdtemp(join(tmpdir(), 'ca-analyzer-'));
  const closers: (() => Promise<unknown> | undefined)[] = [];
  try {
    const sim = await startSimulator({
      apiKeys: [REAL_KEY],
      ...(setup.oauthTokenTtlSeconds ? { accessTokenTtlSeconds: setup.oauthTokenTtlSeconds } : {}),
      faults: { ...setup.faults, latencyMs: { messages: 5, ...setup.faults?.latencyMs } },
    });
    closers.push(() => sim.close());
    const config = await configFor(setup, sim, home, () => sim.issueTokens({ clientId: OAUTH_CLIENT }));
    const manager = await OptimizedAuthManager.create(config, { home });
    closers.push(() => manager.close());
    const store = await openStateStore({ state: { url: 'sqlite:state.db' } }, home);
    closers.push(() => store.close());
    const keys: string[] = [];
    for (let i = 0; i < setup.agents; i++) keys.push((await issueAgentKey(store, `agent-${i}`)).key);
    const registry = await KeyRegistry.open(store);
    closers.push(() => registry.close());
    const connections = setup.poolConnections ?? 20;
    const pool = new ClaudeConnectionPool({ connections });
    closers.push(() => pool.close());
    const analyzer = new BottleneckAnalyzer({
      config,
      windowMs: 60_000,
      bucketMs: 250,
      poolConnections: connections,
    });
    const unsubscribe = manager.bus.subscribe((e) => analyzer.observeEvent(e));
    closers.push(async () => unsubscribe());
    const gw = createGateway({
      upstream: sim.url,
      keys: registry,
      auth: manager,
      pool,
      onRequestDone: (r) => analyzer.observe(r),
    });
    const url = await gw.listen();
    closers.push(() => gw.close());

    const started = Date.now();
    const signals = (): void => {
      const s: AnalyzerSignals = {
        cache: manager.stats().cache,
        pool: { ...pool.stats(), maxConnections: connections },
        ...(setup.memory
          ? { memory: setup.memory(Date.now() - started, setup.durationMs, setup.agents) }
          : {}),
      };
      analyzer.observeSignals(s);
    };
    signals();
    const timer = setInterval(signals, 100);
    const load = await drive(url, keys, setup);
    clearInterval(timer);
    signals();
    return { findings: analyzer.analyze(), ...load, elapsedMs: Date.now() - started };
  } finally {
    for (const close of closers.reverse()) await close();
    await rm(home, { recursive: true, force: true });
  }
}

async function configFor(
  setup: RigSetup,
  sim: Pick<Simulator, 'tokenUrl' | 'authorizeUrl'>,
  home: string,
  issue: () => { refresh_token: string },
): Promise<Config> {
  const c = defaultConfig();
  let config: Config = { ...c, auth: { ...c.auth, provider: 'api_key', api_key: REAL_KEY } };
  if (setup.oauthTokenTtlSeconds !== undefined) {
    const { refresh_token } = issue();
    await new CredentialStore(home).putOAuthEntry({
      token_url: sim.tokenUrl,
      client_id: OAUTH_CLIENT,
      grant: 'refresh_token',
      refresh_token,
    });
    config = simulatorOAuthConfig(c, sim, OAUTH_CLIENT);
  }
  return setup.config ? setup.config(config) : config;
}

/** Each agent sends one streamed Messages request at a time until the deadline or the cap. */
async function drive(
  url: string,
  keys: readonly string[],
  setup: RigSetup,
): Promise<{ requests: number; statuses: Record<string, number> }> {
  const dispatcher = new Agent({ connections: keys.length, keepAliveTimeout: 10_000 });
  const deadline = Date.now() + setup.durationMs;
  const statuses: Record<string, number> = {};
  let sent = 0;
  const agent = async (key: string): Promise<void> => {
    while (Date.now() < deadline && sent < setup.maxRequests) {
      sent++;
      try {
        const r = await request(`${url}/v1/messages`, {
          method: 'POST',
          dispatcher,
          headers: {
            'content-type': 'application/json',
            'anthropic-version': '2023-06-01',
            'x-api-key': key,
            'x-sim-event-interval-ms': '2',
          },
          body: BODY,
        });
        await r.body.dump();
        statuses[r.statusCode] = (statuses[r.statusCode] ?? 0) + 1;
      } catch {
        statuses.error = (statuses.error ?? 0) + 1;
      }
    }
  };
  try {
    await Promise.all(keys.map(agent));
  } finally {
    await dispatcher.close();
  }
  return { requests: sent, statuses };
}
