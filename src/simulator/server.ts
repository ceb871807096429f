import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type AdminRoute, handleAdmin } from './admin.js';
import { createContext, issueTokens, type SimContext, setAccessTokenTtl } from './context.js';
import { mergeFaults } from './faults.js';
import { BodyTooLargeError, readBody, sendAnthropicError } from './http.js';
import { handleV1, type V1Route } from './messages.js';
import { handleAuthorize, handleToken } from './oauth.js';
import type { Simulator, SimulatorOptions } from './types.js';

/** Longer than the usual client pool idle timeouts, so pooled clients reuse connections. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

type BodyHandler = (
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
) => Promise<void> | void;

const v1 =
  (route: V1Route): BodyHandler =>
  (ctx, req, res, body) =>
    handleV1(ctx, req, res, route, body);
const admin =
  (route: AdminRoute): BodyHandler =>
  (ctx, _req, res, body) =>
    handleAdmin(ctx, res, route, body);

const POST_ROUTES = new Map<string, BodyHandler>([
  ['/v1/messages', v1('messages')],
  ['/v1/messages/count_tokens', v1('count_tokens')],
  ['/oauth/token', handleToken],
  ['/__sim/faults', admin('faults')],
  ['/__sim/reset', admin('reset')],
  ['/__sim/tokens', admin('tokens')],
  ['/__sim/api-keys', admin('api-keys')],
]);

const GET_ROUTES = new Map<string, BodyHandler>([
  ['/v1/models', v1('models')],
  ['/oauth/authorize', (ctx, req, res) => handleAuthorize(ctx, req, res)],
  ['/__sim/stats', admin('stats')],
  ['/__sim/faults', admin('get-faults')],
]);

function ignore(): void {}

/** Last line of defence: a handler bug is a 500 api_error (or a dropped stream), never a crash. */
function failed(res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
  } else if (e instanceof BodyTooLargeError) {
    sendAnthropicError(res, 413, 'request_too_large', e.message);
  } else {
    const message = e instanceof Error ? e.message : String(e);
    sendAnthropicError(res, 500, 'api_error', `simulator error: ${message}`);
  }
}

function dispatch(ctx: SimContext, req: IncomingMessage, res: ServerResponse): void {
  req.on('error', ignore);
  res.on('error', ignore);
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (req.method === 'POST') {
    const handler = POST_ROUTES.get(path);
    if (handler !== undefined) {
      readBody(req)
        .then((body) => handler(ctx, req, res, body))
        .catch((e: unknown) => failed(res, e));
      return;
    }
  } else if (req.method === 'GET') {
    const handler = GET_ROUTES.get(path);
    if (handler !== undefined) {
      try {
        const p = handler(ctx, req, res, '');
        if (p !== undefined) p.catch((e: unknown) => failed(res, e));
      } catch (e) {
        failed(res, e);
      }
      return;
    }
  }
  sendAnthropicError(res, 404, 'not_found_error', `${req.method ?? ''} ${path} not found`, {
    'request-id': `req_sim_${ctx.nextId()}`,
  });
}

/**
 * Starts a simulator of the Anthropic Messages API and an OAuth 2.0 authorization server on
 * loopback. Throws a TypeError on a bad option; rejects if the port cannot be bound.
 */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const ctx = createContext(opts);
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => dispatch(ctx, req, res));
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', ignore);

  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  let closing: Promise<void> | undefined;

  return {
    url,
    port: address.port,
    tokenUrl: `${url}/oauth/token`,
    authorizeUrl: `${url}/oauth/authorize`,
    stats: () => ctx.stats.snapshot(),
    resetStats: () => ctx.stats.reset(),
    setFaults: (f) => {
      ctx.faults = mergeFaults(ctx.faults, f);
    },
    addApiKey: (key) => {
      ctx.apiKeys.add(key);
    },
    revokeApiKey: (key) => {
      ctx.apiKeys.delete(key);
    },
    issueTokens: (o) => issueTokens(ctx, o),
    revokeFamily: (refreshToken) => {
      ctx.tokens.revokeFamilyOf(refreshToken);
    },
    setAccessTokenTtl: (seconds) => setAccessTokenTtl(ctx, seconds),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        ctx.cancelDelays();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
