import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { systemClock } from '../clock.js';
import { ClaudeConnectionPool } from '../pool/index.js';
import type { GatewayContext, GatewayOptions, RouteHandler } from './context.js';
import { sendFailure } from './errors.js';
import { Exchange } from './exchange.js';
import type { AgentCounters } from './record.js';
import { DEFAULT_REPLAY_BUFFER_BYTES } from './replay.js';

/** A running (or ready to run) gateway. */
export interface Gateway {
  /** The node:http server; `listen()` binds it, or mount `handle` on a server of your own. */
  readonly server: Server;
  /** The connection pool the proxy sends through. */
  readonly pool: ClaudeConnectionPool;
  /** `http://host:port` once listening, else undefined. */
  readonly url: string | undefined;
  /** The request handler: `/v1/*` proxied, other paths routed, else 404 in Anthropic's shape. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Mounts a handler for one exact non-/v1 path (query string ignored) and method; GET also answers HEAD. */
  route(method: string, path: string, handler: RouteHandler): void;
  /** Counters of one agent, live (do not modify), or undefined before its first request. */
  agentCounters(agentId: string): Readonly<AgentCounters> | undefined;
  /** A copy of every agent's counters. */
  agents(): Record<string, AgentCounters>;
  /** Binds `host:port` (default 127.0.0.1, an ephemeral port) and resolves with the URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting, destroys open connections, and closes the pool if the gateway made it. */
  close(): Promise<void>;
}

const MiB = 1024 * 1024;

function ignore(): void {}

function positive(value: number, name: string, zeroOk = false): number {
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroOk)) {
    throw new TypeError(`limits.${name} must be a positive number`);
  }
  return value;
}

/**
 * Creates the local gateway: agents point ANTHROPIC_BASE_URL at it and present a virtual key; it
 * swaps the key for the real credential and forwards through the connection pool, bodies untouched
 * and streams unbuffered. Throws a TypeError on a bad option.
 */
export function createGateway(options: GatewayOptions): Gateway {
  const upstreamUrl = new URL(options.upstream);
  const limits = options.limits ?? {};
  const headersTimeout = positive(limits.headersTimeoutMs ?? 20_000, 'headersTimeoutMs');
  const requestTimeout = positive(limits.requestTimeoutMs ?? 120_000, 'requestTimeoutMs');
  const ownPool = options.pool === undefined;
  const pool = options.pool ?? new ClaudeConnectionPool();
  const idPrefix = `gw_${randomBytes(4).toString('hex')}`;
  let counter = 0;
  const retry = options.retryOverloaded ?? null;
  if (
    retry !== null &&
    (!Number.isInteger(retry.attempts) || retry.attempts < 0 || !(retry.maxDelayMs >= 0))
  ) {
    throw new TypeError('retryOverloaded needs a non-negative integer attempts and maxDelayMs');
  }

  const ctx: GatewayContext = {
    keys: options.keys,
    auth: options.auth,
    upstream: pool.forOrigin(upstreamUrl),
    basePath: upstreamUrl.pathname.replace(/\/+$/, ''),
    clock: options.clock ?? systemClock,
    maxBodyBytes: positive(limits.maxBodyBytes ?? 32 * MiB, 'maxBodyBytes'),
    maxConcurrentPerAgent: positive(limits.maxConcurrentPerAgent ?? 64, 'maxConcurrentPerAgent'),
    replayBufferBytes: positive(
      limits.replayBufferBytes ?? DEFAULT_REPLAY_BUFFER_BYTES,
      'replayBufferBytes',
      true,
    ),
    retryOverloaded: retry,
    onRequestDone: options.onRequestDone ?? null,
    agents: new Map(),
    nextRequestId: () => idPrefix + (++counter).toString(36),
  };

  const routes = new Map<string, RouteHandler>();
  const otherRoutes = options.otherRoutes;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    req.on('error', ignore);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path.startsWith('/v1/')) {
      new Exchange(ctx, req, res, path).start();
      return;
    }
    const method = req.method ?? 'GET';
    // HEAD falls back to the GET route (Node drops the body); Claude Code sends HEAD / on start
    const route =
      routes.get(`${method} ${path}`) ?? (method === 'HEAD' ? routes.get(`GET ${path}`) : undefined);
    if (route !== undefined) {
      route(req, res);
      return;
    }
    if (otherRoutes !== undefined) {
      otherRoutes(req, res);
      return;
    }
    sendFailure(
      res,
      { status: 404, type: 'not_found_error', message: `${req.method ?? 'GET'} ${path} not found` },
      ctx.nextRequestId(),
    );
  };

  const server = createServer(
    {
      headersTimeout,
      requestTimeout: Math.max(requestTimeout, headersTimeout),
      keepAliveTimeout: positive(limits.keepAliveTimeoutMs ?? 65_000, 'keepAliveTimeoutMs'),
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs ?? Math.min(30_000, headersTimeout / 4),
    },
    handle,
  );
  server.on('error', ignore);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  let url: string | undefined;
  let closing: Promise<void> | undefined;

  return {
    server,
    pool,
    get url() {
      return url;
    },
    handle,
    route(method, path, handler) {
      if (path.startsWith('/v1/')) throw new TypeError('/v1/* is the proxy; mount routes elsewhere');
      routes.set(`${method.toUpperCase()} ${path}`, handler);
    },
    agentCounters: (agentId) => ctx.agents.get(agentId),
    agents() {
      const out: Record<string, AgentCounters> = {};
      for (const [id, c] of ctx.agents) out[id] = { ...c };
      return out;
    },
    listen(port = 0, host = '127.0.0.1') {
      return new Promise<string>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const a = server.address() as AddressInfo;
          url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
          resolve(url);
        });
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }).then(() => (ownPool ? pool.close() : undefined));
      return closing;
    },
  };
}
