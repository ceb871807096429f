import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { issueAgentKey } from './agents/agentKeys.js';
import { KeyRegistry } from './agents/keyRegistry.js';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config/schema.js';
import { CredentialStore } from './credentials/store.js';
import { BASIC_CHALLENGE, basicAuthPassword } from './dashboard/basicAuth.js';
import { createDashboardRoutes } from './dashboard/routes.js';
import { ClaudeAuthError } from './errors.js';
import { createGateway, type Gateway, type RouteHandler } from './gateway/index.js';
import { OptimizedAuthManager } from './manager.js';
import { createMonitorRoutes } from './monitor/http.js';
import { ensureHome } from './paths.js';
import { ClaudeConnectionPool } from './pool/index.js';
import { type Simulator, simulatorOAuthConfig, startSimulator } from './simulator/index.js';
import { openStateStore } from './state/open.js';
import type { AgentSessionRecord, StateStore } from './state/types.js';

export interface AppOptions {
  config: Config;
  home: string;
  env?: NodeJS.ProcessEnv;
  /** Overrides `[gateway] host` / `port`. */
  host?: string;
  port?: number;
  /** Run against the built-in simulator, with state of its own under HOME/simulate. */
  simulate?: boolean;
  log?: Logger;
  clock?: Clock;
}

/** A running gateway with everything behind it. */
export interface App {
  readonly url: string;
  readonly manager: OptimizedAuthManager;
  readonly gateway: Gateway;
  readonly state: StateStore;
  readonly simulator: Simulator | null;
  /** In simulate mode: a virtual key for the agent "demo", to try the gateway at once. */
  readonly demoKey: string | null;
  /** Stops accepting, waits up to `drainMs` for requests in flight, then releases everything. */
  close(drainMs?: number): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The admin token for a non-loopback bind: from `[gateway] admin_token_env`, else CLAUDE_AUTH_ADMIN_TOKEN. */
function adminToken(config: Config, env: NodeJS.ProcessEnv): string | null {
  const name = config.gateway.admin_token_env ?? 'CLAUDE_AUTH_ADMIN_TOKEN';
  const token = env[name];
  return token && token.length > 0 ? token : null;
}

/** Simulate mode: the simulator upstream and token endpoint, a seeded login, state apart from the real one. */
async function simulated(
  config: Config,
  home: string,
): Promise<{ config: Config; home: string; sim: Simulator }> {
  const sim = await startSimulator({ accessTokenTtlSeconds: 120 });
  const simHome = ensureHome(join(home, 'simulate'));
  const clientId = 'claude-auth-demo';
  const next: Config = {
    ...simulatorOAuthConfig(config, sim, clientId),
    upstream: { base_url: sim.url },
    state: { url: 'sqlite:state.db' },
  };
  const { refresh_token } = sim.issueTokens({ clientId });
  await new CredentialStore(simHome).putOAuthEntry({
    token_url: sim.tokenUrl,
    client_id: clientId,
    grant: 'refresh_token',
    refresh_token,
  });
  return { config: next, home: simHome, sim };
}

/**
 * Composes the gateway: config → credential provider and manager (cache, refresh coordinator,
 * sessions) → state store and virtual key registry → connection pool → gateway with its routes.
 * @throws ClaudeAuthError usage (a non-loopback bind without an admin token), config_invalid, state_*
 */
export async function startApp(options: AppOptions): Promise<App> {
  const env = options.env ?? process.env;
  const host = options.host ?? options.config.gateway.host;
  const port = options.port ?? options.config.gateway.port;
  const admin = adminToken(options.config, env);
  if (!isLoopbackHost(host) && admin === null) {
    throw new ClaudeAuthError('usage', `refusing to listen on ${host} without an admin token`, {
      hint: `Set ${options.config.gateway.admin_token_env ?? 'CLAUDE_AUTH_ADMIN_TOKEN'} (or [gateway] admin_token_env) to a long random secret, or bind 127.0.0.1.`,
    });
  }
  let sim: Simulator | null = null;
  let config = options.config;
  let home = ensureHome(options.home);
  if (options.simulate) {
    const s = await simulated(config, home);
    ({ config, home, sim } = { config: s.config, home: s.home, sim: s.sim });
  }

  const clock = options.clock ?? systemClock;
  const cleanup: (() => Promise<void> | void)[] = [];
  try {
    const state = await openStateStore(config, home);
    cleanup.push(() => state.close());
    // session writes leave the request path: gathered and written after the current I/O turn
    const pending = new Map<string, AgentSessionRecord | null>();
    let flushing: NodeJS.Immediate | null = null;
    const flushSessions = () => {
      flushing = null;
      const batch = [...pending];
      pending.clear();
      for (const [name, record] of batch) {
        const write = record === null ? state.deleteSession(name) : state.putSession(record);
        write.catch((e: unknown) =>
          options.log?.warn({ err: (e as Error).message }, 'could not persist an agent session'),
        );
      }
    };
    const persist = (name: string, record: AgentSessionRecord | null) => {
      pending.set(name, record);
      flushing ??= setImmediate(flushSessions);
    };
    cleanup.push(() => {
      if (flushing) clearImmediate(flushing);
      flushSessions();
    });
    const pool = new ClaudeConnectionPool({
      pooling: config.performance.enable_connection_pooling,
      connections: config.gateway.max_connections_per_host,
    });
    cleanup.push(() => pool.close());
    const manager = await OptimizedAuthManager.create(config, {
      pool: { stats: () => pool.stats(), maxConnections: config.gateway.max_connections_per_host },
      home,
      env,
      clock,
      ...(options.log ? { log: options.log } : {}),
      onSessionStarted: (s) =>
        persist(s.agentId, {
          name: s.agentId,
          createdAt: s.createdAt,
          lastSeenAt: s.lastActivityAt,
          reservedMb: s.reservedMb,
          metadata: {},
        }),
      onSessionEnded: (s) => persist(s.agentId, null),
    });
    cleanup.push(() => manager.close());
    for (const s of await state.listSessions())
      manager.sessions.restore(s.name, s.createdAt, s.lastSeenAt, s.reservedMb);

    const keys = await KeyRegistry.open(state, {
      clock,
      onError: (e) => options.log?.warn({ err: (e as Error).message }, 'key registry'),
    });
    cleanup.push(() => keys.close());
    const gateway = createGateway({
      upstream: config.upstream.base_url,
      keys,
      auth: manager,
      pool,
      clock,
      onRequestDone: (record) => manager.observeRequest(record),
      limits: {
        maxConcurrentPerAgent: config.gateway.max_concurrent_per_agent,
        maxBodyBytes: Math.round(config.gateway.max_body_mb * 1024 * 1024),
      },
      otherRoutes: (req, res) => agentRoutes(req, res, manager),
    });
    cleanup.push(() => gateway.close());
    manager.sessions.setInFlightSource((id) => gateway.agentCounters(id)?.inFlight ?? 0);
    if (isLoopbackHost(host)) refuseForeignHosts(gateway);
    mountProbes(gateway, manager);
    const monitorRoutes = createMonitorRoutes(manager.monitor, {
      recommendations: () =>
        manager
          .findings()
          .filter((f) => f.severity !== 'low')
          .map((f) => `${f.title}. ${f.recommendation.text}`),
    });
    cleanup.push(() => monitorRoutes.close());
    const guard = adminGuard(admin);
    gateway.route('GET', '/metrics', guard(monitorRoutes.metrics));
    gateway.route('GET', '/api/dashboard', guard(monitorRoutes.dashboard));
    gateway.route('GET', '/api/events', guard(monitorRoutes.events));
    for (const [path, handler] of createDashboardRoutes()) gateway.route('GET', path, guard(handler));

    const url = await gateway.listen(port, host);
    const demoKey = sim ? (await issueAgentKey(state, 'demo')).key : null;
    let closing: Promise<void> | null = null;
    return {
      url,
      manager,
      gateway,
      state,
      simulator: sim,
      demoKey,
      close(drainMs = 10_000) {
        closing ??= (async () => {
          await drain(gateway, drainMs);
          for (const step of cleanup.reverse()) await step();
          await sim?.close();
        })();
        return closing;
      },
    };
  } catch (e) {
    for (const step of cleanup.reverse()) await step();
    await sim?.close();
    throw e;
  }
}

/**
 * On a loopback bind, answers only requests addressed to a loopback name: a web page that rebinds
 * its own domain to 127.0.0.1 (DNS rebinding) must not reach the gateway or the dashboard.
 */
function refuseForeignHosts(gateway: Gateway): void {
  const server = gateway.server;
  const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const hostHeader = req.headers.host ?? '';
    const name = hostHeader.startsWith('[')
      ? hostHeader.slice(0, hostHeader.indexOf(']') + 1)
      : (hostHeader.split(':')[0] ?? '');
    if (hostHeader !== '' && !isLoopbackHost(name)) {
      json(res, 403, {
        type: 'error',
        error: {
          type: 'permission_error',
          message: `this gateway listens on loopback and answers only requests addressed to it (Host ${JSON.stringify(hostHeader)} refused)`,
        },
      });
      return;
    }
    for (const l of listeners) l(req, res);
  });
}

/** Stops accepting and waits (bounded) until no request is in flight. */
async function drain(gateway: Gateway, drainMs: number): Promise<void> {
  gateway.server.close();
  gateway.server.closeIdleConnections();
  const deadline = Date.now() + drainMs;
  const inFlight = () => Object.values(gateway.agents()).reduce((n, c) => n + c.inFlight, 0);
  while (inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/**
 * With an admin token (required for a non-loopback bind), observability routes demand it as
 * `Authorization: Bearer TOKEN`, compared in constant time. Browsers (the dashboard) send it as the
 * password of HTTP Basic authentication: the 401 asks for it, and EventSource then sends it too.
 */
function adminGuard(token: string | null): (handler: RouteHandler) => RouteHandler {
  if (token === null) return (handler) => handler;
  const expected = createHash('sha256').update(token).digest();
  return (handler) => (req, res) => {
    const presented =
      /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ??
      basicAuthPassword(req.headers.authorization) ??
      '';
    if (!timingSafeEqual(createHash('sha256').update(presented).digest(), expected)) {
      res.setHeader('www-authenticate', BASIC_CHALLENGE);
      json(res, 401, {
        type: 'error',
        error: {
          type: 'authentication_error',
          message: 'this route needs the admin token as Authorization: Bearer TOKEN',
        },
      });
      return;
    }
    handler(req, res);
  };
}

function mountProbes(gateway: Gateway, manager: OptimizedAuthManager): void {
  gateway.route('GET', '/healthz', (_req, res) => json(res, 200, { status: 'ok' }));
  gateway.route('GET', '/readyz', (_req, res) => {
    manager.ready().then(
      (r) => json(res, r.ready ? 200 : 503, r.ready ? { status: 'ready' } : { status: 'not_ready', ...r }),
      (e: unknown) => json(res, 503, { status: 'not_ready', reason: (e as Error).message }),
    );
  });
}

/** `POST /api/agents/NAME/process`: `claude-auth run` reports its agent's process and memory. */
function agentRoutes(req: IncomingMessage, res: ServerResponse, manager: OptimizedAuthManager): void {
  const m = /^\/api\/agents\/([A-Za-z0-9._-]{1,64})\/process$/.exec((req.url ?? '').split('?')[0] ?? '');
  if (!m || req.method !== 'POST') {
    json(res, 404, {
      type: 'error',
      error: { type: 'not_found_error', message: `${req.method} ${req.url} not found` },
    });
    return;
  }
  const agent = m[1] as string;
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d: string) => {
    if (body.length < 4096) body += d;
  });
  req.on('end', () => {
    let report: { pid?: number; rss_mb?: number; state?: string };
    try {
      report = JSON.parse(body) as typeof report;
    } catch {
      json(res, 400, {
        type: 'error',
        error: { type: 'invalid_request_error', message: 'expected a JSON body' },
      });
      return;
    }
    const sessions = manager.sessions;
    if (report.state === 'exited') sessions.end(agent, 'process_exited');
    else {
      sessions.touch(agent);
      if (typeof report.pid === 'number') sessions.attachProcess(agent, report.pid);
      if (typeof report.rss_mb === 'number') sessions.observeRss(agent, report.rss_mb, false);
    }
    json(res, 200, { ok: true });
  });
}
