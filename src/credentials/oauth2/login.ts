import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import type { OAuth2Config } from '../../config/schema.js';
import { ClaudeAuthError } from '../../errors.js';
import { authorizationCodeGrant, type GrantContext, type TokenSet, validateCallback } from './grants.js';

export interface LoopbackLoginOptions {
  config: OAuth2Config;
  env: NodeJS.ProcessEnv;
  now: () => number;
  /** Called with the URL the person must open (printed by the CLI). */
  onAuthorizeUrl: (url: string) => void;
  /** Give up when no redirect arrives within this long (default 5 minutes). */
  timeoutMs?: number;
  /** Port for the loopback redirect listener; 0 picks a free one (RFC 8252 §7.3). */
  port?: number;
}

const PAGE_OK =
  '<!doctype html><title>claude-auth</title><p>Logged in. You can close this tab and return to the terminal.</p>';
const PAGE_FAIL =
  '<!doctype html><title>claude-auth</title><p>Login failed. See the terminal for details.</p>';

/**
 * Authorization code flow with PKCE S256 and a loopback redirect (RFC 7636, RFC 8252): listens on
 * 127.0.0.1, prints the authorize URL, waits for the redirect, checks `state`, and trades the code.
 */
export async function loopbackLogin(options: LoopbackLoginOptions): Promise<TokenSet> {
  const { config } = options;
  if (!config.authorize_url || !config.client_id) {
    throw new ClaudeAuthError(
      'config_invalid',
      'auth.oauth2.authorize_url and client_id must be set to log in',
      {
        hint: 'Set them in config.toml, or on a headless host use `claude-auth login --provider oauth2 --refresh-token-stdin`.',
      },
    );
  }
  const verifier = oauth.generateRandomCodeVerifier();
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  const state = oauth.generateRandomState();

  let server: Server | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const callback = new Promise<URLSearchParams>((resolve, reject) => {
      server = createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        if (url.pathname !== '/callback') {
          res.writeHead(404).end();
          return;
        }
        const params = url.searchParams;
        const ok = params.get('state') === state && params.has('code') && !params.has('error');
        res
          .writeHead(ok ? 200 : 400, { 'content-type': 'text/html; charset=utf-8' })
          .end(ok ? PAGE_OK : PAGE_FAIL);
        resolve(params);
      });
      timer = setTimeout(
        () =>
          reject(
            new ClaudeAuthError('login_failed', 'no login redirect arrived in time', {
              hint: 'Run `claude-auth login` again and finish the login in the browser.',
            }),
          ),
        options.timeoutMs ?? 300_000,
      );
    });
    const srv = server as unknown as Server;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const redirectUri = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/callback`;
    const authorize = new URL(config.authorize_url);
    authorize.searchParams.set('response_type', 'code');
    authorize.searchParams.set('client_id', config.client_id);
    authorize.searchParams.set('redirect_uri', redirectUri);
    authorize.searchParams.set('code_challenge', challenge);
    authorize.searchParams.set('code_challenge_method', 'S256');
    authorize.searchParams.set('state', state);
    if (config.scope) authorize.searchParams.set('scope', config.scope);
    options.onAuthorizeUrl(authorize.href);

    const ctx: GrantContext = { config, env: options.env, now: options.now, timeoutMs: 15_000 };
    const params = validateCallback(ctx, await callback, state);
    const result = await authorizationCodeGrant(ctx, params, redirectUri, verifier);
    if (!result.ok) {
      throw new ClaudeAuthError(
        'login_failed',
        `the identity provider rejected the authorization code (${result.description || 'invalid_grant'})`,
        {
          hint: 'Run `claude-auth login` again.',
        },
      );
    }
    return result.tokens;
  } finally {
    clearTimeout(timer);
    const srv = server;
    if (srv)
      await new Promise<void>((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      });
  }
}
