import { afterEach, describe, expect, it } from 'vitest';
import { StaticUpstreamAuth } from '../src/bench/gatewayDoubles.js';
import { ClaudeAuthError } from '../src/errors.js';
import type { UpstreamAuth, UpstreamCredential } from '../src/gateway/ports.js';
import { fingerprint } from '../src/simulator/index.js';
import {
  agentHeaders,
  messagesBody,
  REAL_KEY,
  rawRequest,
  type Stack,
  startStack,
  VIRTUAL_KEY,
} from './gateway-fixtures.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

function errorOf(body: Buffer): { type: string; error: { type: string; message: string } } {
  return JSON.parse(body.toString());
}

describe('gateway: virtual keys', () => {
  it('answers a missing key 401 authentication_error naming the headers and the command', async () => {
    stack = await startStack();
    const r = await rawRequest(stack.url, '/v1/messages', {
      headers: { 'content-type': 'application/json' },
      body: messagesBody(false),
    });
    expect(r.status).toBe(401);
    const e = errorOf(r.body);
    expect(e.type).toBe('error');
    expect(e.error.type).toBe('authentication_error');
    expect(e.error.message).toMatch(/x-api-key or Authorization: Bearer/);
    expect(e.error.message).toContain('claude-auth agent add NAME');
    expect(r.headers['x-request-id']).toMatch(/^gw_/);
    expect(stack.sim.stats().messages).toEqual({});
  });

  it('answers unknown, revoked and expired keys 401 and never forwards them', async () => {
    const now = Date.now();
    stack = await startStack({ gateway: { clock: { now: () => now } } });
    stack.keys.add('cak_expired', 'old-agent', now - 1);
    const unknown = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders({ 'x-api-key': 'cak_nope' }),
      body: messagesBody(false),
    });
    const expired = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders({ 'x-api-key': 'cak_expired' }),
      body: messagesBody(false),
    });
    const ok = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(false),
    });
    stack.keys.revoke(VIRTUAL_KEY);
    const revoked = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(false),
    });
    expect([unknown.status, expired.status, ok.status, revoked.status]).toEqual([401, 401, 200, 401]);
    for (const r of [unknown, expired, revoked]) {
      expect(errorOf(r.body).error.type).toBe('authentication_error');
    }
    const seen = stack.sim.stats().credentialsSeen;
    expect(seen).toEqual({ [fingerprint(REAL_KEY)]: 1 });
    expect(stack.records.map((r) => r.outcome)).toEqual(['refused', 'refused', 'completed', 'refused']);
  });
});

describe('gateway: subscription tokens are never injected', () => {
  it('refuses a claude_code_oauth credential with 403 permission_error', async () => {
    const auth = new StaticUpstreamAuth('sk-ant-oat01-subscription', 'claude_code_oauth', 'authorization');
    stack = await startStack({ auth });
    const r = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(false),
    });
    expect(r.status).toBe(403);
    expect(errorOf(r.body).error.type).toBe('permission_error');
    expect(r.body.toString()).not.toContain('sk-ant-oat01-subscription');
    expect(stack.sim.stats().credentialsSeen).toEqual({});
  });

  it('refuses any header carrying sk-ant-oat even when the credential claims to be an API key', async () => {
    const auth = new StaticUpstreamAuth('sk-ant-oat01-mislabelled', 'api_key');
    stack = await startStack({ auth });
    const r = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(false),
    });
    expect(r.status).toBe(403);
    expect(errorOf(r.body).error.type).toBe('permission_error');
    expect(stack.sim.stats().credentialsSeen).toEqual({});
  });

  it('maps policy_violation from UpstreamAuth to 403 with its message', async () => {
    const auth: UpstreamAuth = {
      authenticate: () => {
        throw new ClaudeAuthError('policy_violation', 'refusing to inject a Claude subscription token');
      },
      onUnauthorized: async () => {},
    };
    stack = await startStack({ auth });
    const r = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(false),
    });
    expect(r.status).toBe(403);
    expect(errorOf(r.body).error).toEqual({
      type: 'permission_error',
      message: 'refusing to inject a Claude subscription token',
    });
  });
});

describe('gateway: credential errors', () => {
  it('maps each ClaudeAuthError through ERROR_TABLE, with retry-after from retryAt, async or not', async () => {
    const now = Date.now();
    let mode: 'reauth' | 'unavailable' | 'bug' = 'reauth';
    const auth: UpstreamAuth = {
      authenticate: async () => {
        if (mode === 'reauth') throw new ClaudeAuthError('reauth_required', 'the refresh token was revoked');
        if (mode === 'unavailable') {
          throw new ClaudeAuthError('refresh_unavailable', 'token endpoint down', { retryAt: now + 4_500 });
        }
        throw new Error(`boom with ${REAL_KEY}`);
      },
      onUnauthorized: async () => {},
    };
    stack = await startStack({ auth, gateway: { clock: { now: () => now } } });
    const send = () =>
      rawRequest(stack!.url, '/v1/messages', { headers: agentHeaders(), body: messagesBody(false) });
    const reauth = await send();
    mode = 'unavailable';
    const unavailable = await send();
    mode = 'bug';
    const bug = await send();
    expect([reauth.status, errorOf(reauth.body).error.type]).toEqual([401, 'authentication_error']);
    expect([unavailable.status, errorOf(unavailable.body).error.type]).toEqual([503, 'api_error']);
    expect(unavailable.headers['retry-after']).toBe('5');
    expect([bug.status, errorOf(bug.body).error.type]).toEqual([500, 'api_error']);
    expect(bug.body.toString()).not.toContain(REAL_KEY);
    expect(stack.gw.agentCounters('builder-1')?.gatewayErrors).toBe(3);
  });
});

/** An OAuth access-token credential that refreshes against the simulator's token endpoint, single-flight. */
class RefreshingAuth implements UpstreamAuth {
  private credential: UpstreamCredential;
  private refreshing: Promise<void> | undefined;
  refreshes = 0;

  constructor(
    private readonly tokenUrl: string,
    private refreshToken: string,
    accessToken: string,
  ) {
    this.credential = StaticUpstreamAuth.make(accessToken, 'oauth_access_token', 'authorization');
  }

  authenticate(): UpstreamCredential {
    return this.credential;
  }

  onUnauthorized(_agentId: string, rejected: UpstreamCredential): Promise<void> {
    if (rejected !== this.credential) return Promise.resolve();
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refresh(): Promise<void> {
    this.refreshes++;
    const res = await fetch(this.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: this.refreshToken,
        client_id: 'fleet',
      }),
    });
    if (!res.ok) throw new ClaudeAuthError('reauth_required', `refresh failed with ${res.status}`);
    const t = (await res.json()) as { access_token: string; refresh_token: string };
    this.refreshToken = t.refresh_token;
    this.credential = StaticUpstreamAuth.make(t.access_token, 'oauth_access_token', 'authorization');
  }
}

describe('gateway: token expiry during traffic', () => {
  it('replays once after a 401 on an OAuth access token, with one refresh for all requests in flight', async () => {
    let offset = 0;
    let auth: RefreshingAuth | undefined;
    stack = await startStack({
      sim: { now: () => Date.now() + offset, accessTokenTtlSeconds: 60 },
      auth: (sim) => {
        const t = sim.issueTokens();
        auth = new RefreshingAuth(sim.tokenUrl, t.refresh_token, t.access_token);
        return auth;
      },
    });
    const url = stack.url;
    const send = (stream: boolean) =>
      rawRequest(url, '/v1/messages', { headers: agentHeaders(), body: messagesBody(stream) });
    expect((await send(false)).status).toBe(200);
    offset = 120_000; // the access token is now expired
    const results = await Promise.all([send(false), send(true), send(false), send(true)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(results[1]?.body.toString()).toContain('event: message_stop');
    const stats = stack.sim.stats();
    expect(stats.refreshGrants).toBe(1);
    expect(auth?.refreshes).toBe(1);
    expect(stats.expiredTokenRequests).toBe(4);
    expect(stats.messages['200']).toBe(5);
    expect(stack.gw.agentCounters('builder-1')).toMatchObject({ upstream401: 4, replays: 4 });
    expect(stack.records.slice(1).map((r) => r.attempts)).toEqual([2, 2, 2, 2]);
  });

  it('passes a second 401 through instead of looping', async () => {
    const stuck = StaticUpstreamAuth.make('not-a-valid-token', 'oauth_access_token', 'authorization');
    const auth: UpstreamAuth = { authenticate: () => stuck, onUnauthorized: async () => {} };
    stack = await startStack({ auth });
    const r = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(false),
    });
    expect(r.status).toBe(401);
    expect(errorOf(r.body).error.type).toBe('authentication_error');
    expect(stack.sim.stats().messages['401']).toBe(2);
  });

  it('does not replay a 401 when the body was streamed (over replayBufferBytes)', async () => {
    const stuck = StaticUpstreamAuth.make('not-a-valid-token', 'oauth_access_token', 'authorization');
    let refreshes = 0;
    const auth: UpstreamAuth = {
      authenticate: () => stuck,
      onUnauthorized: async () => {
        refreshes++;
      },
    };
    stack = await startStack({ auth, gateway: { limits: { replayBufferBytes: 0 } } });
    const r = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(false),
    });
    expect(r.status).toBe(401);
    expect(refreshes).toBe(0);
    expect(stack.sim.stats().messages['401']).toBe(1);
  });

  it('does not replay a 401 on an API key', async () => {
    stack = await startStack({ auth: new StaticUpstreamAuth('sk-ant-api03-unknown-to-upstream') });
    const r = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(false),
    });
    expect(r.status).toBe(401);
    expect(stack.sim.stats().messages['401']).toBe(1);
  });

  it('answers the refresh failure when the replay cannot get a new credential', async () => {
    const stuck = StaticUpstreamAuth.make('not-a-valid-token', 'oauth_access_token', 'authorization');
    const auth: UpstreamAuth = {
      authenticate: () => stuck,
      onUnauthorized: async () => {
        throw new ClaudeAuthError('reauth_required', 'the refresh token was revoked: run claude-auth login');
      },
    };
    stack = await startStack({ auth });
    const r = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(true),
    });
    expect(r.status).toBe(401);
    expect(errorOf(r.body).error.message).toContain('claude-auth login');
    expect(stack.sim.stats().messages['401']).toBe(1);
  });
});
