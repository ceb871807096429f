import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Config, defaultConfig } from '../src/config/schema.js';
import { CredentialStore } from '../src/credentials/store.js';
import { ClaudeAuthError } from '../src/errors.js';
import { OptimizedAuthManager } from '../src/manager.js';
import type { AuthEvent } from '../src/monitor/events.js';
import { type Simulator, simulatorOAuthConfig, startSimulator } from '../src/simulator/index.js';

const CLIENT = 'fleet';
let dir: string;
let sim: Simulator;
let managers: OptimizedAuthManager[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ca-mgr-'));
  sim = await startSimulator({ accessTokenTtlSeconds: 3600 });
  managers = [];
});
afterEach(async () => {
  for (const m of managers) await m.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

function oauthConfig(perf: Partial<Config['performance']> = {}): Config {
  const c = defaultConfig();
  return simulatorOAuthConfig({ ...c, performance: { ...c.performance, ...perf } }, sim, CLIENT);
}

async function manager(config: Config, env: NodeJS.ProcessEnv = {}): Promise<OptimizedAuthManager> {
  const m = await OptimizedAuthManager.create(config, { home: dir, env });
  managers.push(m);
  return m;
}

/** An expired access token with a live refresh token in the store. */
async function seedExpired(): Promise<void> {
  const t = sim.issueTokens({ clientId: CLIENT });
  await new CredentialStore(dir).putOAuthEntry({
    token_url: sim.tokenUrl,
    client_id: CLIENT,
    grant: 'refresh_token',
    access_token: t.access_token,
    refresh_token: t.refresh_token,
    expires_at: Date.now() - 1000,
    obtained_at: Date.now() - 3_601_000,
  });
}

async function upstreamStatus(headers: Readonly<Record<string, string>>): Promise<number> {
  const r = await fetch(`${sim.url}/v1/messages`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });
  await r.arrayBuffer();
  return r.status;
}

describe('OptimizedAuthManager against the simulator', () => {
  it('10,000 concurrent authenticateAgent calls on an expired oauth2 token cause exactly one refresh grant', async () => {
    await seedExpired();
    const m = await manager(oauthConfig());
    const results = await Promise.all(
      Array.from({ length: 10_000 }, (_, i) => m.authenticateAgent(`agent_${i}`, { estimatedMemoryMb: 25 })),
    );
    expect(sim.stats().refreshGrants).toBe(1);
    expect(sim.stats().invalidGrant).toBe(0);
    expect(new Set(results.map((r) => r.headers.authorization)).size).toBe(1);
    expect(await upstreamStatus(results[0]?.headers ?? {})).toBe(200);
  });

  it('a warm authentication is served from the cache with headers, env and expiry', async () => {
    await seedExpired();
    const m = await manager(oauthConfig());
    const first = await m.authenticateAgent('agent_123', { estimatedMemoryMb: 25 });
    expect(first.cached).toBe(false);
    const second = await m.authenticateAgent('agent_123');
    expect(second).toMatchObject({ cached: true, kind: 'oauth_access_token' });
    expect(second.headers.authorization).toMatch(/^Bearer /);
    expect(second.env.ANTHROPIC_AUTH_TOKEN).toBe(second.headers.authorization?.slice('Bearer '.length));
    expect(second.expiresAt).toBeGreaterThan(Date.now() + 3_500_000);
    expect(second.latencyMs).toBeGreaterThanOrEqual(0);
    expect(m.stats().cache).toMatchObject({ hits: 1, misses: 1 });
  });

  it('every enable_* switch off: the path still works', async () => {
    await seedExpired();
    const m = await manager(
      oauthConfig({
        enable_caching: false,
        enable_token_batching: false,
        enable_connection_pooling: false,
        enable_memory_optimization: false,
        enable_monitoring: false,
      }),
    );
    const a = await Promise.all(Array.from({ length: 100 }, (_, i) => m.authenticateAgent(`a${i % 5}`)));
    expect(a.every((r) => r.cached === false)).toBe(true);
    expect(m.stats().cache).toBeNull();
    expect(await upstreamStatus(a[0]?.headers ?? {})).toBe(200);
    expect(sim.stats().refreshGrants).toBe(1); // single flight is correctness: always on
  });

  it('upstream 401: onUnauthorized forces one refresh shared by all agents; the cache drops the old token', async () => {
    await seedExpired();
    const m = await manager(oauthConfig());
    const old = await m.authenticate('a');
    if (old instanceof Promise) throw new Error('expected a warm credential');
    await Promise.all(Array.from({ length: 20 }, (_, i) => m.onUnauthorized(`agent${i}`, old)));
    expect(sim.stats().refreshGrants).toBe(2);
    const fresh = await m.authenticateAgent('a');
    expect(fresh.cached).toBe(false);
    expect(fresh.headers.authorization).not.toBe(old.headers.authorization);
  });

  it('events() yields the refresh lifecycle', async () => {
    await seedExpired();
    const m = await manager(oauthConfig());
    const seen: AuthEvent[] = [];
    const reader = (async () => {
      for await (const e of m.events()) {
        if (e.type.startsWith('refresh.')) seen.push(e);
        if (e.type === 'refresh.succeeded') break;
      }
    })();
    await m.authenticateAgent('a');
    await reader;
    expect(seen.map((e) => e.type)).toEqual(['refresh.started', 'refresh.succeeded']);
    expect(JSON.stringify(seen)).not.toContain('Bearer');
  });

  it('re-login required surfaces as a ClaudeAuthError and an event, and is not retried', async () => {
    const t = sim.issueTokens({ clientId: CLIENT });
    await new CredentialStore(dir).putOAuthEntry({
      token_url: sim.tokenUrl,
      client_id: CLIENT,
      grant: 'refresh_token',
      refresh_token: t.refresh_token,
    });
    sim.revokeFamily(t.refresh_token);
    const m = await manager(oauthConfig());
    const events: AuthEvent[] = [];
    m.bus.subscribe((e) => events.push(e));
    const e = await m.authenticateAgent('a').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ClaudeAuthError);
    expect((e as ClaudeAuthError).code).toBe('reauth_required');
    expect(events.map((x) => x.type)).toContain('reauth.required');
    const requests = sim.stats().tokenRequests;
    await expect(m.authenticateAgent('b')).rejects.toMatchObject({ code: 'reauth_required' });
    expect(sim.stats().tokenRequests).toBe(requests);
  });

  it('a claude_code_token is handed out as env only and refused for injection', async () => {
    const c = defaultConfig();
    const m = await manager(
      { ...c, auth: { ...c.auth, provider: 'claude_code_token' } },
      { CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-subscription-token-abcdef' },
    );
    const r = await m.authenticateAgent('claude-1');
    expect(r.headers).toEqual({});
    expect(r.env).toEqual({ CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-subscription-token-abcdef' });
    let err: unknown;
    try {
      await m.authenticate('claude-1');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'policy_violation' });
  });

  it('a listener that throws (monitoring) never fails an authentication', async () => {
    await seedExpired();
    const m = await manager(oauthConfig());
    m.bus.subscribe(() => {
      throw new Error('monitoring bug');
    });
    const r = await m.authenticateAgent('a');
    expect(r.headers.authorization).toMatch(/^Bearer /);
    expect(m.bus.listenerErrors).toBeGreaterThan(0);
    expect(m.stats().lookups.count).toBe(1);
  });

  it('an API key provider authenticates from the environment with no network', async () => {
    const m = await manager(defaultConfig(), { ANTHROPIC_API_KEY: 'sk-ant-api03-test-key' });
    const r = await m.authenticateAgent('x');
    expect(r.headers).toEqual({ 'x-api-key': 'sk-ant-api03-test-key' });
    expect(r.expiresAt).toBeNull();
    expect(sim.stats().tokenRequests).toBe(0);
  });
});

describe('close()', () => {
  it('a process that calls close() exits promptly with no timer or handle left', async () => {
    await seedExpired();
    // The child records every timer our code arms (unref'd ones too) and every socket undici opens,
    // and lists the timers still pending and the sockets still open after close().
    const script = `
      import diagnostics_channel from 'node:diagnostics_channel';
      const pending = new Map();
      const ours = () => /[/]dist[/]/.test(new Error().stack ?? '');
      for (const [set, clear] of [['setTimeout', 'clearTimeout'], ['setInterval', 'clearInterval']]) {
        const origSet = globalThis[set];
        const origClear = globalThis[clear];
        globalThis[set] = (fn, ms, ...args) => {
          const t = origSet((...a) => { if (set === 'setTimeout') pending.delete(t); fn(...a); }, ms, ...args);
          if (ours()) pending.set(t, set);
          return t;
        };
        globalThis[clear] = (t) => { pending.delete(t); return origClear(t); };
      }
      const sockets = [];
      diagnostics_channel.channel('undici:client:connected').subscribe(({ socket }) => sockets.push(socket));
      const { OptimizedAuthManager, defaultConfig } = await import(${JSON.stringify(fileURLToPath(new URL('../dist/index.js', import.meta.url)))});
      const c = defaultConfig();
      const config = { ...c, auth: { ...c.auth, provider: 'oauth2', oauth2: { ...c.auth.oauth2, token_url: ${JSON.stringify(sim.tokenUrl)}, client_id: ${JSON.stringify(CLIENT)} } } };
      const m = await OptimizedAuthManager.create(config, { home: ${JSON.stringify(dir)} });
      const iter = m.events();
      await Promise.all([m.authenticateAgent('a'), m.authenticateAgent('b')]);
      const during = { timers: pending.size, sockets: sockets.filter((s) => !s.destroyed).length };
      await m.close();
      await iter.next();
      const left = { timers: [...pending.values()], sockets: sockets.filter((s) => !s.destroyed).length };
      console.log(JSON.stringify({ during, left, closedAt: Date.now() }));
    `;
    const started = Date.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code, err).toBe(0);
    const exitedAt = Date.now();
    const { during, left, closedAt } = JSON.parse(out.trim().split('\n').pop() ?? '{}') as {
      during: { timers: number; sockets: number };
      left: { timers: string[]; sockets: number };
      closedAt: number;
    };
    // the check sees them at all: the cache purge interval, the scheduled refresh, a keep-alive socket
    expect(during.timers).toBeGreaterThanOrEqual(2);
    expect(during.sockets).toBeGreaterThanOrEqual(1);
    expect(left).toEqual({ timers: [], sockets: 0 });
    expect(exitedAt - closedAt).toBeLessThan(1000); // no process.exit: it ends because nothing is left
    expect(exitedAt - started).toBeLessThan(10_000);
  });
});
