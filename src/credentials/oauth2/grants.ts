import * as oauth from 'oauth4webapi';
import type { OAuth2Config } from '../../config/schema.js';
import { ClaudeAuthError } from '../../errors.js';

/**
 * The OAuth 2.0 protocol steps (RFC 6749 refresh_token, client_credentials, authorization_code
 * with PKCE), each a request builder plus a response processor from oauth4webapi. Nothing here
 * touches the store: the caller decides what to persist and when.
 */

export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  scope?: string;
  /** Epoch ms, or undefined when the server gave no lifetime. */
  expires_at?: number;
}

/** The grant outcome the caller must branch on; every other failure throws. */
export type GrantResult =
  | { ok: true; tokens: TokenSet }
  | { ok: false; error: 'invalid_grant'; description: string };

export interface GrantContext {
  config: OAuth2Config;
  env: NodeJS.ProcessEnv;
  now: () => number;
  /** Abort a token request after this long. */
  timeoutMs: number;
  /** The fetch used for token requests (the manager passes one bound to its own closable agent). */
  fetch?: TokenFetch;
}

/** A fetch for token requests: what oauth4webapi's `customFetch` accepts. */
export type TokenFetch = (
  url: string,
  init: oauth.CustomFetchOptions<'POST', URLSearchParams>,
) => Promise<Response>;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith('127.');
}

/** The token endpoint, checked: https, or http only on loopback (a local IdP or our simulator). */
export function tokenEndpoint(config: OAuth2Config): URL {
  if (!config.token_url) {
    throw new ClaudeAuthError('config_invalid', 'auth.oauth2.token_url is not set', {
      hint: 'Set [auth.oauth2] token_url to your identity provider token endpoint.',
    });
  }
  const url = new URL(config.token_url);
  if (url.protocol !== 'https:' && !isLoopback(url)) {
    throw new ClaudeAuthError('config_invalid', `auth.oauth2.token_url must use https (got ${url.origin})`, {
      hint: 'Plain http is allowed only for loopback addresses.',
    });
  }
  return url;
}

function clientId(config: OAuth2Config): string {
  if (!config.client_id) {
    throw new ClaudeAuthError('config_invalid', 'auth.oauth2.client_id is not set', {
      hint: 'Set [auth.oauth2] client_id to the client registered with your identity provider.',
    });
  }
  return config.client_id;
}

function clientAuth(ctx: GrantContext): oauth.ClientAuth {
  const name = ctx.config.client_secret_env;
  if (!name) return oauth.None();
  const secret = ctx.env[name];
  if (!secret) {
    throw new ClaudeAuthError(
      'credential_missing',
      `auth.oauth2.client_secret_env names ${name}, which is not set`,
      {
        hint: `Export ${name} with the client secret, or remove client_secret_env for a public client.`,
      },
    );
  }
  return oauth.ClientSecretPost(secret);
}

interface Parties {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  auth: oauth.ClientAuth;
  options: oauth.TokenEndpointRequestOptions;
}

function parties(ctx: GrantContext): Parties {
  const endpoint = tokenEndpoint(ctx.config);
  const as: oauth.AuthorizationServer = {
    issuer: endpoint.origin,
    token_endpoint: endpoint.href,
    ...(ctx.config.authorize_url ? { authorization_endpoint: ctx.config.authorize_url } : {}),
  };
  const options: oauth.TokenEndpointRequestOptions = {
    ...(endpoint.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {}),
    ...(ctx.fetch ? { [oauth.customFetch]: ctx.fetch } : {}),
  };
  return { as, client: { client_id: clientId(ctx.config) }, auth: clientAuth(ctx), options };
}

function toTokenSet(r: oauth.TokenEndpointResponse, now: number): TokenSet {
  return {
    access_token: r.access_token,
    token_type: r.token_type,
    ...(r.refresh_token ? { refresh_token: r.refresh_token } : {}),
    ...(r.scope ? { scope: r.scope } : {}),
    ...(typeof r.expires_in === 'number' ? { expires_at: now + r.expires_in * 1000 } : {}),
  };
}

/** Sends one grant and turns every failure into a ClaudeAuthError, except invalid_grant. */
async function exchange(
  ctx: GrantContext,
  send: (p: Parties) => Promise<Response>,
  process: (p: Parties, response: Response) => Promise<oauth.TokenEndpointResponse>,
): Promise<GrantResult> {
  const p = parties(ctx);
  const endpoint = p.as.token_endpoint as string;
  // our own timer rather than AbortSignal.timeout, so nothing outlives the request
  const abort = new AbortController();
  const timer = setTimeout(
    () => abort.abort(new DOMException('token request timed out', 'TimeoutError')),
    ctx.timeoutMs,
  );
  p.options.signal = abort.signal;
  let response: Response;
  try {
    response = await send(p);
  } catch (e) {
    const timedOut = (e as Error).name === 'TimeoutError' || (e as Error).name === 'AbortError';
    throw new ClaudeAuthError(
      'token_endpoint_unreachable',
      timedOut
        ? `the token endpoint ${endpoint} did not answer within ${ctx.timeoutMs} ms`
        : `cannot reach the token endpoint ${endpoint}: ${describeNetworkError(e)}`,
      { hint: 'Check the network and auth.oauth2.token_url; the stored tokens were not changed.', cause: e },
    );
  } finally {
    clearTimeout(timer);
  }
  try {
    return { ok: true, tokens: toTokenSet(await process(p, response), ctx.now()) };
  } catch (e) {
    if (e instanceof oauth.ResponseBodyError) {
      if (e.error === 'invalid_grant')
        return { ok: false, error: 'invalid_grant', description: e.error_description ?? '' };
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new ClaudeAuthError(
        e.status >= 500 ? 'refresh_failed' : 'credential_invalid',
        `the token endpoint ${endpoint} answered ${e.status} ${e.error}${e.error_description ? `: ${e.error_description}` : ''}`,
        {
          hint:
            e.status >= 500
              ? 'The identity provider is failing; the request will be retried.'
              : 'Check auth.oauth2.client_id, client_secret_env and scope.',
          cause: e,
          ...(Number.isFinite(retryAfter) && retryAfter > 0
            ? { retryAt: ctx.now() + retryAfter * 1000 }
            : {}),
        },
      );
    }
    if (e instanceof oauth.WWWAuthenticateChallengeError) {
      const body = (await response.json().catch(() => ({}))) as {
        error?: string;
        error_description?: string;
      };
      throw new ClaudeAuthError(
        'credential_invalid',
        `the token endpoint ${endpoint} refused the client (HTTP ${e.status}${body.error ? ` ${body.error}` : ''}${body.error_description ? `: ${body.error_description}` : ''})`,
        {
          hint: 'Check auth.oauth2.client_id and the secret in the variable client_secret_env names.',
          cause: e,
        },
      );
    }
    const status = response.status;
    throw new ClaudeAuthError(
      'refresh_failed',
      `the token endpoint ${endpoint} gave an unusable answer (HTTP ${status}): ${(e as Error).message}`,
      { hint: 'Check that auth.oauth2.token_url is an OAuth 2.0 token endpoint.', cause: e },
    );
  }
}

function describeNetworkError(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}

/** RFC 6749 §6: trade a refresh token for new tokens. */
export function refreshTokenGrant(ctx: GrantContext, refreshToken: string): Promise<GrantResult> {
  return exchange(
    ctx,
    (p) => oauth.refreshTokenGrantRequest(p.as, p.client, p.auth, refreshToken, p.options),
    (p, r) => oauth.processRefreshTokenResponse(p.as, p.client, r),
  );
}

/** RFC 6749 §4.4: a token for the client itself. */
export function clientCredentialsGrant(ctx: GrantContext): Promise<GrantResult> {
  const params = new URLSearchParams();
  if (ctx.config.scope) params.set('scope', ctx.config.scope);
  return exchange(
    ctx,
    (p) => oauth.clientCredentialsGrantRequest(p.as, p.client, p.auth, params, p.options),
    (p, r) => oauth.processClientCredentialsResponse(p.as, p.client, r),
  );
}

/** RFC 6749 §4.1 with RFC 7636 PKCE: trade an authorization code for tokens. */
export function authorizationCodeGrant(
  ctx: GrantContext,
  callback: URLSearchParams,
  redirectUri: string,
  codeVerifier: string,
): Promise<GrantResult> {
  return exchange(
    ctx,
    (p) =>
      oauth.authorizationCodeGrantRequest(
        p.as,
        p.client,
        p.auth,
        callback,
        redirectUri,
        codeVerifier,
        p.options,
      ),
    (p, r) => oauth.processAuthorizationCodeResponse(p.as, p.client, r),
  );
}

/**
 * Checks a loopback redirect (state, error parameters) and returns the parameters in the form the
 * code exchange accepts.
 * @throws ClaudeAuthError login_failed
 */
export function validateCallback(
  ctx: GrantContext,
  params: URLSearchParams,
  expectedState: string,
): URLSearchParams {
  const p = parties(ctx);
  try {
    return oauth.validateAuthResponse(p.as, p.client, params, expectedState);
  } catch (e) {
    const detail =
      e instanceof oauth.AuthorizationResponseError
        ? `${e.error}${e.error_description ? ` (${e.error_description})` : ''}`
        : (e as Error).message;
    throw new ClaudeAuthError('login_failed', `the login redirect was refused: ${detail}`, {
      hint: 'Run `claude-auth login` again and finish the login in the browser it opens.',
      cause: e,
    });
  }
}
