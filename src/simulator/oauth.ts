import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { parseJsonObject, sendJson, sendOAuthError } from './http.js';
import { DEFAULT_SCOPE, type GrantResult, type TokenResponse } from './tokens.js';

type Params = Record<string, string | undefined>;

/** Form (the standard) or JSON body into flat string parameters; undefined when unparseable. */
function parseParams(req: IncomingMessage, body: string): Params | undefined {
  const type = req.headers['content-type'] ?? '';
  if (type.includes('json')) {
    const obj = parseJsonObject(body);
    if (obj === undefined) return undefined;
    const params: Params = {};
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v === 'string') params[k] = v;
      else if (typeof v === 'number' || typeof v === 'boolean') params[k] = String(v);
    }
    return params;
  }
  return Object.fromEntries(new URLSearchParams(body));
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** RFC 6749 §2.3.1: `Basic base64(urlencode(id):urlencode(secret))`. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | null | undefined {
  if (header === undefined || header.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  try {
    return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}

type ClientAuth =
  | { ok: true; clientId: string | undefined; confidential: boolean }
  | { ok: false; description: string };

/** client_secret_basic or client_secret_post, checked against the registered clients if any. */
function authenticateClient(ctx: SimContext, req: IncomingMessage, p: Params): ClientAuth {
  const basic = basicCredentials(req.headers.authorization);
  if (basic === null) return { ok: false, description: 'malformed Basic authorization header' };
  if (basic !== undefined && p.client_id !== undefined && p.client_id !== basic.id) {
    return { ok: false, description: 'client_id in the body differs from the Basic credentials' };
  }
  const clientId = basic?.id ?? p.client_id;
  const secret = basic?.secret ?? p.client_secret;
  if (ctx.clients === null) return { ok: true, clientId, confidential: false };
  if (clientId === undefined || !ctx.clients.has(clientId)) {
    return { ok: false, description: 'unknown client' };
  }
  const registered = ctx.clients.get(clientId);
  if (registered === undefined) return { ok: true, clientId, confidential: false };
  if (secret === undefined || !sameSecret(secret, registered)) {
    return { ok: false, description: 'client authentication failed' };
  }
  return { ok: true, clientId, confidential: true };
}

function sendTokens(res: ServerResponse, body: TokenResponse): void {
  sendJson(res, 200, JSON.stringify(body), { 'cache-control': 'no-store', pragma: 'no-cache' });
}

/** Answers a grant result, counting invalid_grant (and, for refresh tokens, reuse). */
function answerGrant(ctx: SimContext, res: ServerResponse, r: GrantResult, isRefresh: boolean): boolean {
  if (r.ok) {
    sendTokens(res, r.body);
    return true;
  }
  if (r.error === 'invalid_grant') ctx.stats.inc('invalidGrant');
  if (r.reuse && isRefresh) ctx.stats.inc('reuseDetections');
  sendOAuthError(res, 400, r.error, r.description);
  return false;
}

/** POST /oauth/token: the refresh_token, client_credentials and authorization_code grants. */
export async function handleToken(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): Promise<void> {
  ctx.stats.inc('tokenRequests');
  const latency = ctx.faults.latencyMs.token;
  if (latency > 0) await ctx.delay(latency);
  switch (ctx.faults.tokenEndpoint) {
    case 'hang':
      return; // never answered, nothing processed; the socket stays open until either side closes
    case 'fail':
      return sendOAuthError(res, 500, 'server_error', 'simulated token endpoint failure');
    case 'unavailable':
      return sendOAuthError(res, 503, 'temporarily_unavailable', 'simulated outage', {
        'retry-after': String(ctx.faults.retryAfterSeconds),
      });
    case 'ok':
      break;
  }

  const p = parseParams(req, body);
  if (p === undefined) return sendOAuthError(res, 400, 'invalid_request', 'body is not valid JSON');
  const grant = p.grant_type;
  if (grant === undefined) return sendOAuthError(res, 400, 'invalid_request', 'grant_type is required');
  if (grant !== 'refresh_token' && grant !== 'client_credentials' && grant !== 'authorization_code') {
    return sendOAuthError(res, 400, 'unsupported_grant_type', `grant_type "${grant}" is not supported`);
  }
  const client = authenticateClient(ctx, req, p);
  if (!client.ok) {
    return sendOAuthError(res, 401, 'invalid_client', client.description, {
      'www-authenticate': 'Basic realm="claude-auth-simulator"',
    });
  }

  switch (grant) {
    case 'refresh_token': {
      if (!p.refresh_token) return sendOAuthError(res, 400, 'invalid_request', 'refresh_token is required');
      const r = ctx.tokens.refresh(p.refresh_token, client.clientId, p.scope || undefined);
      if (answerGrant(ctx, res, r, true)) ctx.stats.inc('refreshGrants');
      return;
    }
    case 'client_credentials': {
      if (ctx.clients !== null && !client.confidential) {
        return sendOAuthError(
          res,
          400,
          'unauthorized_client',
          'client_credentials needs a confidential client',
        );
      }
      ctx.stats.inc('clientCredentialsGrants');
      return sendTokens(res, ctx.tokens.issueStandalone(p.scope || DEFAULT_SCOPE));
    }
    case 'authorization_code': {
      if (!p.code) return sendOAuthError(res, 400, 'invalid_request', 'code is required');
      const r = ctx.tokens.redeemCode(p.code, client.clientId, p.redirect_uri, p.code_verifier);
      if (answerGrant(ctx, res, r, false)) ctx.stats.inc('authorizationCodeGrants');
      return;
    }
  }
}

/** RFC 8252 §7.3: only http redirects to a loopback interface, any port. */
export function isLoopbackRedirect(uri: string): boolean {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return false;
  }
  return (
    u.protocol === 'http:' &&
    (u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]') &&
    u.username === '' &&
    u.password === '' &&
    u.hash === ''
  );
}

const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** GET /oauth/authorize: auto-approves and redirects back with a code (or an error). */
export async function handleAuthorize(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const latency = ctx.faults.latencyMs.authorize;
  if (latency > 0) await ctx.delay(latency);
  const q = new URL(req.url ?? '/', 'http://simulator').searchParams;
  const clientId = q.get('client_id');
  const redirectUri = q.get('redirect_uri');
  // Without a trustworthy client and redirect URI there is nowhere safe to send an error (§4.1.2.1).
  if (!clientId) return sendOAuthError(res, 400, 'invalid_request', 'client_id is required');
  if (ctx.clients !== null && !ctx.clients.has(clientId)) {
    return sendOAuthError(res, 400, 'invalid_client', 'unknown client');
  }
  if (!redirectUri || !isLoopbackRedirect(redirectUri)) {
    return sendOAuthError(res, 400, 'invalid_request', 'redirect_uri must be a loopback http URI (RFC 8252)');
  }
  const target = new URL(redirectUri);
  const state = q.get('state');
  const redirect = (params: Record<string, string>) => {
    for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
    if (state !== null) target.searchParams.set('state', state);
    res.writeHead(302, { location: target.toString(), 'cache-control': 'no-store' });
    res.end();
  };
  if (q.get('response_type') !== 'code') {
    return redirect({ error: 'unsupported_response_type', error_description: 'response_type must be code' });
  }
  const challenge = q.get('code_challenge');
  if (!challenge || q.get('code_challenge_method') !== 'S256' || !CHALLENGE.test(challenge)) {
    return redirect({
      error: 'invalid_request',
      error_description: 'PKCE with code_challenge_method=S256 is required',
    });
  }
  const code = ctx.tokens.createCode(clientId, redirectUri, challenge, q.get('scope') || DEFAULT_SCOPE);
  redirect({ code });
}
