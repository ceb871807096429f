import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig, type OAuth2Config } from '../../config/schema.js';
import { ClaudeAuthError } from '../../errors.js';
import { type Simulator, startSimulator } from '../../simulator/index.js';
import { CredentialStore, type StoredOAuthTokens } from '../store.js';
import { loopbackLogin } from './login.js';
import { effectiveMarginMs, OAuth2Provider } from './provider.js';

/** One clock for the simulator and the provider, moved by hand: token expiry without sleeping. */
function manualClock(start = Date.UTC(2026, 11, 4)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

let dir: string;
let sim: Simulator;
let clock: ReturnType<typeof manualClock>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ca-oauth-'));
  clock = manualClock();
  sim = await startSimulator({ accessTokenTtlSeconds: 3600, now: clock.now });
});
afterEach(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

function oauthConfig(over: Partial<OAuth2Config> = {}): OAuth2Config {
  return {
    ...defaultConfig().auth.oauth2,
    token_url: sim.tokenUrl,
    authorize_url: sim.authorizeUrl,
    client_id: 'claude-auth-test',
    ...over,
  };
}

function provider(over: Partial<OAuth2Config> = {}, env: NodeJS.ProcessEnv = {}, requestTimeoutMs?: number) {
  const config = oauthConfig(over);
  const store = new CredentialStore(dir, { clock });
  return new OAuth2Provider(config, store, { clock, env, ...(requestTimeoutMs ? { requestTimeoutMs } : {}) });
}

/** Seeds the store as `login --refresh-token-stdin --no-verify` would: a refresh token, no access token. */
async function seedRefreshToken(extra: Partial<StoredOAuthTokens> = {}): Promise<string> {
  const { refresh_token } = sim.issueTokens({ clientId: 'claude-auth-test' });
  const store = new CredentialStore(dir, { clock });
  await store.putOAuthEntry({
    token_url: sim.tokenUrl,
    client_id: 'claude-auth-test',
    grant: 'refresh_token',
    refresh_token,
    ...extra,
  });
  return refresh_token;
}

async function accepted(token: string): Promise<number> {
  const r = await fetch(`${sim.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
  await r.arrayBuffer();
  return r.status;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ClaudeAuthError) return e.code;
    throw e;
  }
  return 'resolved';
}

describe('OAuth2Provider, refresh_token grant', () => {
  it('trades the stored refresh token once, persists the rotated one, then serves from memory', async () => {
    const first = await seedRefreshToken();
    const p = provider();
    const cred = await p.getCredential();
    expect(cred.kind).toBe('oauth_access_token');
    expect(cred.injectAs).toBe('authorization');
    expect(await accepted(cred.secret)).toBe(200);
    expect((await p.getCredential()).secret).toBe(cred.secret);
    expect(sim.stats().refreshGrants).toBe(1);
    const stored = new CredentialStore(dir).read().oauth2?.[p.storeKey];
    expect(stored?.access_token).toBe(cred.secret);
    expect(stored?.refresh_token).not.toBe(first);
    expect(stored?.expires_at).toBe(clock.now() + 3600_000);
    expect(stored?.last_refresh_at).toBe(clock.now());
  });

  it('refreshes when the token enters its refresh margin, not before', async () => {
    await seedRefreshToken();
    const p = provider({ refresh_margin_seconds: 300 });
    const a = await p.getCredential();
    clock.advance(3600_000 - 301_000);
    expect((await p.getCredential()).secret).toBe(a.secret);
    clock.advance(2000);
    const b = await p.getCredential();
    expect(b.secret).not.toBe(a.secret);
    expect(sim.stats().refreshGrants).toBe(2);
    expect(sim.stats().invalidGrant).toBe(0);
  });

  it('clamps the margin to a quarter of a short token lifetime', () => {
    expect(effectiveMarginMs({ obtained_at: 0, expires_at: 2000 }, 300)).toBe(500);
    expect(effectiveMarginMs({ obtained_at: 0, expires_at: 3600_000 }, 300)).toBe(300_000);
    expect(effectiveMarginMs({}, 60)).toBe(60_000);
  });

  it('100 concurrent callers on an expired token cause one refresh grant', async () => {
    await seedRefreshToken();
    const p = provider();
    const all = await Promise.all(Array.from({ length: 100 }, () => p.getCredential()));
    expect(new Set(all.map((c) => c.secret)).size).toBe(1);
    expect(sim.stats().refreshGrants).toBe(1);
  });

  it('adopts a token a peer (another store user) already refreshed instead of calling the endpoint', async () => {
    await seedRefreshToken();
    const a = provider();
    const b = provider();
    const first = await b.getCredential(); // b remembers this token
    clock.advance(3600_000); // expired for both
    const fromA = await a.getCredential(); // a refreshes and persists
    expect(sim.stats().refreshGrants).toBe(2);
    const fromB = await b.getCredential(); // b finds a's token under the lock
    expect(fromB.secret).toBe(fromA.secret);
    expect(fromB.secret).not.toBe(first.secret);
    expect(sim.stats().refreshGrants).toBe(2);
    expect(sim.stats().invalidGrant).toBe(0);
  });

  it('forceRefresh replaces a token upstream rejected, but adopts a newer one a peer already has', async () => {
    await seedRefreshToken();
    const a = provider();
    const b = provider();
    const t1 = await a.getCredential();
    await b.getCredential();
    const t2 = await a.getCredential({ forceRefresh: true });
    expect(t2.secret).not.toBe(t1.secret);
    expect(sim.stats().refreshGrants).toBe(2);
    // b was also told t1 is bad; a peer already replaced it, so no new grant
    const tb = await b.getCredential({ forceRefresh: true });
    expect(tb.secret).toBe(t2.secret);
    expect(sim.stats().refreshGrants).toBe(2);
  });

  it('invalid_grant (family revoked) marks re-login required, persists it, and stops calling the endpoint', async () => {
    const rt = await seedRefreshToken();
    sim.revokeFamily(rt);
    const p = provider();
    await expect(p.getCredential()).rejects.toMatchObject({ code: 'reauth_required' });
    const status = await provider().status();
    expect(status.state).toBe('reauth_required');
    expect(status.detail).toContain('claude-auth login --provider oauth2');
    const requests = sim.stats().tokenRequests;
    expect(await codeOf(provider().getCredential())).toBe('reauth_required');
    expect(sim.stats().tokenRequests).toBe(requests);
    const text = readFileSync(join(dir, 'credentials.json'), 'utf8');
    expect(text).toContain('reauth_required');
  });

  it('on invalid_grant re-reads the store once and uses a token a non-locking writer put there', async () => {
    await seedRefreshToken({ refresh_token: 'rt-that-the-server-never-issued' });
    const good = sim.issueTokens({ clientId: 'claude-auth-test' }).refresh_token;
    sim.setFaults({ latencyMs: { token: 300 } });
    const p = provider();
    const pending = p.getCredential();
    await new Promise((r) => setTimeout(r, 100));
    // another tool rewrites the file without our lock while our request is in flight
    const path = join(dir, 'credentials.json');
    const raw = JSON.parse(readFileSync(path, 'utf8'));
    raw.oauth2[p.storeKey].refresh_token = good;
    writeFileSync(path, JSON.stringify(raw));
    const cred = await pending;
    expect(await accepted(cred.secret)).toBe(200);
    expect(sim.stats().invalidGrant).toBe(1);
    expect(sim.stats().refreshGrants).toBe(1);
  });

  it('not logged in: credential_missing saying how to log in', async () => {
    const e = await provider()
      .getCredential()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ClaudeAuthError);
    expect((e as ClaudeAuthError).code).toBe('credential_missing');
    expect((e as ClaudeAuthError).describe()).toContain('claude-auth login --provider oauth2');
    expect((await provider().status()).state).toBe('missing');
  });
});

describe('OAuth2Provider, failures of the token endpoint', () => {
  it('endpoint down: token_endpoint_unreachable naming the URL; the stored tokens are unchanged', async () => {
    const rt = await seedRefreshToken();
    const url = sim.tokenUrl;
    await sim.close();
    const p = provider({ token_url: url });
    const e = (await p.getCredential().catch((x: unknown) => x)) as ClaudeAuthError;
    expect(e.code).toBe('token_endpoint_unreachable');
    expect(e.message).toContain(url);
    expect(new CredentialStore(dir).read().oauth2?.[p.storeKey]?.refresh_token).toBe(rt);
    sim = await startSimulator({ now: clock.now }); // for afterEach
  });

  it('endpoint failing while the token is still valid (inside the margin): the valid token keeps being served', async () => {
    await seedRefreshToken();
    const p = provider({ refresh_margin_seconds: 600 });
    const a = await p.getCredential();
    clock.advance(3600_000 - 300_000); // inside the margin, 5 minutes before expiry
    sim.setFaults({ tokenEndpoint: 'fail' });
    expect((await p.getCredential()).secret).toBe(a.secret);
    clock.advance(300_001); // now really expired
    expect(await codeOf(p.getCredential())).toBe('refresh_failed');
  });

  it('endpoint that hangs: gives up after the request timeout with a clear error', async () => {
    await seedRefreshToken();
    sim.setFaults({ tokenEndpoint: 'hang' });
    const e = (await provider({}, {}, 300)
      .getCredential()
      .catch((x: unknown) => x)) as ClaudeAuthError;
    expect(e.code).toBe('token_endpoint_unreachable');
    expect(e.message).toContain('did not answer within 300 ms');
  });

  it('keeps fields other tools wrote into the entry across a refresh', async () => {
    await seedRefreshToken({ note_from_other_tool: 'keep me' });
    const p = provider();
    await p.getCredential();
    expect(new CredentialStore(dir).read().oauth2?.[p.storeKey]?.note_from_other_tool).toBe('keep me');
  });
});

describe('OAuth2Provider, client_credentials and login', () => {
  it('client_credentials with the secret from client_secret_env; the wrong secret is credential_invalid', async () => {
    await sim.close();
    sim = await startSimulator({ now: clock.now, clients: [{ clientId: 'svc', clientSecret: 's3cret' }] });
    const ok = provider(
      { grant: 'client_credentials', client_id: 'svc', client_secret_env: 'SVC_SECRET' },
      { SVC_SECRET: 's3cret' },
    );
    const cred = await ok.getCredential();
    expect(await accepted(cred.secret)).toBe(200);
    expect(sim.stats().clientCredentialsGrants).toBe(1);
    await ok.getCredential();
    expect(sim.stats().clientCredentialsGrants).toBe(1);
    rmSync(join(dir, 'credentials.json'));
    const bad = provider(
      { grant: 'client_credentials', client_id: 'svc', client_secret_env: 'SVC_SECRET' },
      { SVC_SECRET: 'nope' },
    );
    const e = (await bad.getCredential().catch((x: unknown) => x)) as ClaudeAuthError;
    expect(e.code).toBe('credential_invalid');
    expect(e.message).not.toContain('nope');
    const missing = provider(
      { grant: 'client_credentials', client_id: 'svc', client_secret_env: 'SVC_SECRET' },
      {},
    );
    expect(await codeOf(missing.getCredential())).toBe('credential_missing');
  });

  it('authorization code + PKCE through a loopback redirect', async () => {
    const tokens = await loopbackLogin({
      config: oauthConfig({ scope: 'messages' }),
      env: {},
      now: clock.now,
      timeoutMs: 10_000,
      onAuthorizeUrl: (url) => {
        expect(url).toContain('code_challenge_method=S256');
        // the "browser": follows the simulator's auto-approve redirect to our listener
        void fetch(url).then((r) => r.arrayBuffer());
      },
    });
    expect(tokens.refresh_token).toBeTruthy();
    expect(await accepted(tokens.access_token)).toBe(200);
    expect(sim.stats().authorizationCodeGrants).toBe(1);
  });

  it('refuses configs aimed at Claude.ai logins', () => {
    expect(() => provider({ authorize_url: 'https://claude.ai/oauth/authorize' })).toThrow(
      /policy|Claude subscriptions/,
    );
  });

  it('refuses plain http to a non-loopback token endpoint', () => {
    expect(() => provider({ token_url: 'http://idp.example.com/oauth/token' })).toThrow(/must use https/);
  });
});
