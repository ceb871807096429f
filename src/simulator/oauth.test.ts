import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from './index.js';
import { isLoopbackRedirect } from './oauth.js';
import type { Simulator, SimulatorOptions } from './types.js';

let t = 1_700_000_000_000;
const sims: Simulator[] = [];

async function start(opts: SimulatorOptions = {}): Promise<Simulator> {
  t = 1_700_000_000_000;
  const sim = await startSimulator({ now: () => t, ...opts });
  sims.push(sim);
  return sim;
}
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

async function token(
  sim: Simulator,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<TokenAnswer> {
  const r = await fetch(sim.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params),
  });
  expect(r.headers.get('cache-control')).toBe('no-store');
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function modelsStatus(sim: Simulator, accessToken: unknown): Promise<number> {
  const r = await fetch(`${sim.url}/v1/models`, {
    headers: { authorization: `Bearer ${String(accessToken)}` },
  });
  await r.arrayBuffer();
  return r.status;
}

describe('refresh_token grant', () => {
  it('rotates: each success returns a new access and refresh token, and the old refresh token is spent', async () => {
    const sim = await start({ accessTokenTtlSeconds: 120 });
    const seed = sim.issueTokens({ scope: 'user:inference user:profile' });
    const a = await token(sim, { grant_type: 'refresh_token', refresh_token: seed.refresh_token });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 120,
      scope: 'user:inference user:profile',
    });
    expect(a.body.refresh_token).not.toBe(seed.refresh_token);
    expect(a.body.access_token).not.toBe(seed.access_token);
    expect(await modelsStatus(sim, a.body.access_token)).toBe(200);
    const b = await token(sim, { grant_type: 'refresh_token', refresh_token: String(a.body.refresh_token) });
    expect(b.status).toBe(200);
    expect(sim.stats()).toMatchObject({ refreshGrants: 2, tokenRequests: 2, invalidGrant: 0 });
  });

  it('treats reuse of a spent refresh token as theft: invalid_grant and the whole family revoked', async () => {
    const sim = await start();
    const seed = sim.issueTokens();
    const next = await token(sim, { grant_type: 'refresh_token', refresh_token: seed.refresh_token });
    const reuse = await token(sim, { grant_type: 'refresh_token', refresh_token: seed.refresh_token });
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    // every token of the family is dead, including the ones the legitimate refresh produced
    expect(await modelsStatus(sim, next.body.access_token)).toBe(401);
    expect(await modelsStatus(sim, seed.access_token)).toBe(401);
    const after = await token(sim, {
      grant_type: 'refresh_token',
      refresh_token: String(next.body.refresh_token),
    });
    expect(after.body.error).toBe('invalid_grant');
    expect(sim.stats()).toMatchObject({ reuseDetections: 1, invalidGrant: 2, refreshGrants: 1 });
    // another login is untouched
    const other = sim.issueTokens();
    expect(await modelsStatus(sim, other.access_token)).toBe(200);
  });

  it('refuses unknown, revoked, expired and other-client refresh tokens with invalid_grant', async () => {
    const sim = await start({ refreshTokenTtlSeconds: 600 });
    const unknown = await token(sim, { grant_type: 'refresh_token', refresh_token: 'rt-nobody-issued' });
    const revoked = sim.issueTokens();
    sim.revokeFamily(revoked.refresh_token);
    const r2 = await token(sim, { grant_type: 'refresh_token', refresh_token: revoked.refresh_token });
    const bound = sim.issueTokens({ clientId: 'app-a' });
    const r3 = await token(sim, {
      grant_type: 'refresh_token',
      refresh_token: bound.refresh_token,
      client_id: 'app-b',
    });
    const expiring = sim.issueTokens();
    t += 600_000;
    const r4 = await token(sim, { grant_type: 'refresh_token', refresh_token: expiring.refresh_token });
    for (const r of [unknown, r2, r3, r4]) {
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_grant');
      expect(typeof r.body.error_description).toBe('string');
    }
    expect(sim.stats()).toMatchObject({ invalidGrant: 4, reuseDetections: 0 });
  });

  it('does not spend a refresh token presented by the wrong client', async () => {
    const sim = await start();
    const bound = sim.issueTokens({ clientId: 'app-a' });
    const wrong = await token(sim, {
      grant_type: 'refresh_token',
      refresh_token: bound.refresh_token,
      client_id: 'app-b',
    });
    expect(wrong.body.error).toBe('invalid_grant');
    const right = await token(sim, {
      grant_type: 'refresh_token',
      refresh_token: bound.refresh_token,
      client_id: 'app-a',
    });
    expect(right.status).toBe(200);
    expect(sim.stats().reuseDetections).toBe(0);
  });

  it('accepts a JSON body and a setAccessTokenTtl change', async () => {
    const sim = await start();
    sim.setAccessTokenTtl(30);
    const r = await fetch(sim.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: sim.issueTokens().refresh_token }),
    });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { expires_in: number }).expires_in).toBe(30);
  });

  it('answers invalid_request and unsupported_grant_type', async () => {
    const sim = await start();
    expect((await token(sim, {})).body.error).toBe('invalid_request');
    expect((await token(sim, { grant_type: 'refresh_token' })).body.error).toBe('invalid_request');
    const pw = await token(sim, { grant_type: 'password', username: 'u', password: 'p' });
    expect(pw).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
  });
});

describe('client_credentials grant', () => {
  const clients = [{ clientId: 'svc', clientSecret: 's3cret' }, { clientId: 'public-app' }];

  it('issues an access token (no refresh token) to a client with the right secret, post or Basic', async () => {
    const sim = await start({ clients });
    const post = await token(sim, {
      grant_type: 'client_credentials',
      client_id: 'svc',
      client_secret: 's3cret',
    });
    expect(post.status).toBe(200);
    expect(post.body.refresh_token).toBeUndefined();
    expect(post.body.token_type).toBe('Bearer');
    expect(await modelsStatus(sim, post.body.access_token)).toBe(200);
    const basic = `Basic ${Buffer.from('svc:s3cret').toString('base64')}`;
    const viaBasic = await token(sim, { grant_type: 'client_credentials' }, { authorization: basic });
    expect(viaBasic.status).toBe(200);
    expect(sim.stats().clientCredentialsGrants).toBe(2);
  });

  it('refuses a wrong or missing secret (401 invalid_client) and a public client (unauthorized_client)', async () => {
    const sim = await start({ clients });
    const wrong = await token(sim, {
      grant_type: 'client_credentials',
      client_id: 'svc',
      client_secret: 'nope',
    });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    const missing = await token(sim, { grant_type: 'client_credentials', client_id: 'svc' });
    expect(missing.status).toBe(401);
    const unknown = await token(sim, {
      grant_type: 'client_credentials',
      client_id: 'who',
      client_secret: 'x',
    });
    expect(unknown.status).toBe(401);
    const pub = await token(sim, { grant_type: 'client_credentials', client_id: 'public-app' });
    expect(pub).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
    expect(sim.stats().clientCredentialsGrants).toBe(0);
  });
});

describe('authorization_code grant with PKCE', () => {
  const redirectUri = 'http://127.0.0.1:54545/callback';
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');

  async function authorize(sim: Simulator, params: Record<string, string>): Promise<Response> {
    return fetch(`${sim.authorizeUrl}?${new URLSearchParams(params)}`, { redirect: 'manual' });
  }

  async function code(sim: Simulator): Promise<string> {
    const r = await authorize(sim, {
      response_type: 'code',
      client_id: 'cli',
      redirect_uri: redirectUri,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'st4te',
      scope: 'user:inference',
    });
    expect(r.status).toBe(302);
    const location = new URL(r.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('st4te');
    return location.searchParams.get('code') ?? '';
  }

  it('redirects with a code that redeems once for a new token family', async () => {
    const sim = await start();
    const c = await code(sim);
    const grant = { grant_type: 'authorization_code', code: c, redirect_uri: redirectUri, client_id: 'cli' };
    const r = await token(sim, { ...grant, code_verifier: verifier });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'Bearer', scope: 'user:inference' });
    expect(typeof r.body.refresh_token).toBe('string');
    expect(await modelsStatus(sim, r.body.access_token)).toBe(200);
    // the family refreshes like any other, bound to the client
    const refreshed = await token(sim, {
      grant_type: 'refresh_token',
      refresh_token: String(r.body.refresh_token),
      client_id: 'cli',
    });
    expect(refreshed.status).toBe(200);
    // a replayed code fails and revokes what it issued
    const replay = await token(sim, { ...grant, code_verifier: verifier });
    expect(replay.body.error).toBe('invalid_grant');
    expect(await modelsStatus(sim, refreshed.body.access_token)).toBe(401);
    expect(sim.stats()).toMatchObject({ authorizationCodeGrants: 1, refreshGrants: 1, invalidGrant: 1 });
  });

  it('refuses a wrong verifier and a different redirect_uri', async () => {
    const sim = await start();
    const c = await code(sim);
    const base = { grant_type: 'authorization_code', code: c, client_id: 'cli' };
    const wrongVerifier = await token(sim, {
      ...base,
      redirect_uri: redirectUri,
      code_verifier: randomBytes(32).toString('base64url'),
    });
    expect(wrongVerifier).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const wrongRedirect = await token(sim, {
      ...base,
      redirect_uri: 'http://127.0.0.1:54545/other',
      code_verifier: verifier,
    });
    expect(wrongRedirect.body.error).toBe('invalid_grant');
    expect(sim.stats().authorizationCodeGrants).toBe(0);
  });

  it('refuses a non-loopback redirect with 400 and redirects back missing PKCE as invalid_request', async () => {
    const sim = await start();
    const base = {
      response_type: 'code',
      client_id: 'cli',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
    for (const uri of [
      'https://evil.example/cb',
      'http://example.com:8080/cb',
      'http://127.0.0.1.nip.io/cb',
    ]) {
      const r = await authorize(sim, { ...base, redirect_uri: uri });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: string }).error).toBe('invalid_request');
    }
    const noPkce = await authorize(sim, {
      response_type: 'code',
      client_id: 'cli',
      redirect_uri: redirectUri,
      state: 's',
    });
    expect(noPkce.status).toBe(302);
    const location = new URL(noPkce.headers.get('location') ?? '');
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('state')).toBe('s');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('recognises the loopback redirect forms of RFC 8252', () => {
    expect(isLoopbackRedirect('http://127.0.0.1:8080/cb')).toBe(true);
    expect(isLoopbackRedirect('http://localhost:1/cb')).toBe(true);
    expect(isLoopbackRedirect('http://[::1]:9999/cb')).toBe(true);
    expect(isLoopbackRedirect('https://127.0.0.1/cb')).toBe(false);
    expect(isLoopbackRedirect('http://user@127.0.0.1/cb')).toBe(false);
    expect(isLoopbackRedirect('not a url')).toBe(false);
  });
});
