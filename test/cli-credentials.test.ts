import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialStore } from '../src/credentials/store.js';
import { type Simulator, startSimulator } from '../src/simulator/index.js';
import { collect, runCli, spawnCli } from './helpers/cli.js';

const CLIENT = 'fleet-cli';
let dir: string;
let home: string;
let sim: Simulator;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ca-cli-'));
  home = join(dir, 'home');
  sim = await startSimulator({ accessTokenTtlSeconds: 3600 });
});
afterEach(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(extra = ''): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(home, 'config.toml'),
    `[auth]
provider = "oauth2"

[auth.oauth2]
token_url = "${sim.tokenUrl}"
authorize_url = "${sim.authorizeUrl}"
client_id = "${CLIENT}"
${extra}
`,
  );
}

/** An expired access token and a live refresh token in the store, as after a day away. */
async function seedExpired(): Promise<{ refresh_token: string; access_token: string }> {
  const tokens = sim.issueTokens({ clientId: CLIENT });
  await new CredentialStore(home).putOAuthEntry({
    token_url: sim.tokenUrl,
    client_id: CLIENT,
    grant: 'refresh_token',
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
    expires_at: Date.now() - 60_000,
    obtained_at: Date.now() - 3_660_000,
  });
  return tokens;
}

const env = () => ({ CLAUDE_AUTH_HOME: home });

async function modelsStatus(token: string): Promise<number> {
  const r = await fetch(`${sim.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
  await r.arrayBuffer();
  return r.status;
}

describe('print-token across processes', () => {
  it('8 processes at once on an expired token: one refresh grant, no invalid_grant, all print the same valid token', async () => {
    writeConfig();
    await seedExpired();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => runCli(['print-token'], { env: env() })),
    );
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    const tokens = new Set(results.map((r) => r.stdout.trim()));
    expect(tokens.size).toBe(1);
    const [token] = [...tokens] as [string];
    expect(await modelsStatus(token)).toBe(200);
    const stats = sim.stats();
    expect(stats.refreshGrants).toBe(1);
    expect(stats.invalidGrant).toBe(0);
    expect(stats.reuseDetections).toBe(0);
  });

  it('a process killed -9 while holding the lock does not block the others beyond the stale-lock timeout', async () => {
    writeConfig();
    await seedExpired();
    sim.setFaults({ tokenEndpoint: 'hang' });
    const staleMs = 3000;
    const holder = spawnCli(['print-token'], {
      env: { ...env(), CLAUDE_AUTH_LOCK_STALE_MS: String(staleMs) },
    });
    const lockDir = join(home, 'credentials.json.lock');
    const deadline = Date.now() + 10_000;
    while (!(existsSync(lockDir) && sim.stats().tokenRequests >= 1)) {
      if (Date.now() > deadline) throw new Error('the first process never took the lock');
      await new Promise((r) => setTimeout(r, 20));
    }
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('close', r));
    expect(existsSync(lockDir)).toBe(true); // it died holding the lock
    sim.setFaults({ tokenEndpoint: 'ok' });

    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 3 }, () =>
        collect(spawnCli(['print-token'], { env: { ...env(), CLAUDE_AUTH_LOCK_STALE_MS: String(staleMs) } })),
      ),
    );
    const waited = Date.now() - started;
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
    expect(new Set(results.map((r) => r.stdout.trim())).size).toBe(1);
    expect(await modelsStatus(results[0]?.stdout.trim() as string)).toBe(200);
    expect(sim.stats().refreshGrants).toBe(1);
    expect(sim.stats().invalidGrant).toBe(0);
    // bounded by the stale timeout plus start-up, not by the 60 s lock wait limit
    expect(waited).toBeLessThan(staleMs + 10_000);
  });

  it('a revoked refresh token: print-token exits 1 saying re-login is required; status --json says so', async () => {
    writeConfig();
    const { refresh_token } = await seedExpired();
    sim.revokeFamily(refresh_token);
    const r = await runCli(['print-token'], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('re-login required');
    expect(r.stderr).toContain('claude-auth login --provider oauth2');
    const s = await runCli(['status', '--json'], { env: env() });
    expect(s.code).toBe(1);
    expect(JSON.parse(s.stdout)).toMatchObject({ provider: 'oauth2', state: 'reauth_required' });
  });

  it('an unreachable token endpoint: exit 1 with the URL and what to check', async () => {
    writeConfig();
    await seedExpired();
    const url = sim.tokenUrl;
    await sim.close();
    const r = await runCli(['print-token'], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach the token endpoint ${url}`);
    sim = await startSimulator();
  });

  it('a malformed config: exit 2 naming the file and key', async () => {
    writeConfig('refresh_margin_seconds = "soon"');
    const r = await runCli(['print-token'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('config.toml');
    expect(r.stderr).toContain('auth.oauth2.refresh_margin_seconds');
  });
});

describe('login, status, logout', () => {
  it('login --refresh-token-stdin stores and verifies a refresh token; status --json has the contract fields', async () => {
    writeConfig();
    const { refresh_token } = sim.issueTokens({ clientId: CLIENT });
    const r = await runCli(['login', '--provider', 'oauth2', '--refresh-token-stdin'], {
      env: env(),
      input: `${refresh_token}\n`,
    });
    expect(r, r.stderr).toMatchObject({ code: 0 });
    expect(r.stdout).toContain('Logged in');
    const s = await runCli(['status', '--json'], { env: env() });
    expect(s.code).toBe(0);
    const status = JSON.parse(s.stdout);
    expect(Object.keys(status)).toEqual(
      expect.arrayContaining(['provider', 'state', 'expires_at', 'last_refresh_at']),
    );
    expect(status).toMatchObject({ provider: 'oauth2', state: 'valid', store_mode: '0600' });
    expect(Date.parse(status.expires_at)).toBeGreaterThan(Date.now());
    expect(sim.stats().refreshGrants).toBe(1);
  });

  it('login --provider oauth2 runs authorization code + PKCE through a loopback redirect', async () => {
    writeConfig();
    const child = spawnCli(['login', '--provider', 'oauth2', '--no-browser'], { env: env() });
    const done = collect(child, { timeoutMs: 20_000 });
    const url = await new Promise<string>((resolve) => {
      let buf = '';
      child.stderr?.on('data', (d: Buffer | string) => {
        buf += d.toString();
        const m = /(http:\/\/\S+\/oauth\/authorize\S+)/.exec(buf);
        if (m?.[1]) resolve(m[1]);
      });
    });
    const page = await fetch(url); // the "browser" follows the auto-approve redirect to the CLI
    expect(await page.text()).toContain('Logged in');
    const r = await done;
    expect(r, r.stderr).toMatchObject({ code: 0 });
    expect(sim.stats().authorizationCodeGrants).toBe(1);
    const s = JSON.parse((await runCli(['status', '--json'], { env: env() })).stdout);
    expect(s.state).toBe('valid');
  });

  it('the store is 0600 in a 0700 directory and no secret appears in any output or debug log', async () => {
    const apiKey = `sk-ant-api03-${'k'.repeat(40)}TAIL`;
    const setupToken = `sk-ant-oat01-${'s'.repeat(40)}TAIL`;
    writeConfig();
    const { refresh_token } = sim.issueTokens({ clientId: CLIENT });
    const logEnv = { ...env(), CLAUDE_AUTH_LOG_LEVEL: 'trace' };
    const outputs: string[] = [];
    const run = async (args: string[], input?: string) => {
      const r = await runCli(args, { env: logEnv, ...(input ? { input } : {}) });
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    expect((await run(['login', '--provider', 'api_key', '--api-key-stdin'], apiKey)).code).toBe(0);
    expect((await run(['login', '--provider', 'claude_code_token', '--token-stdin'], setupToken)).code).toBe(
      0,
    );
    expect((await run(['login', '--provider', 'oauth2', '--refresh-token-stdin'], refresh_token)).code).toBe(
      0,
    );
    await run(['status']);
    await run(['status', '--json']);
    await run(['config', 'check']);
    // print-token refuses a subscription token without echoing it
    writeFileSync(join(home, 'config.toml'), '[auth]\nprovider = "claude_code_token"\n');
    const refused = await run(['print-token']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('does not print a Claude subscription token');
    await run(['status', '--json']);
    // a subscription token offered as an API key is refused without echoing it
    expect((await run(['login', '--provider', 'api_key', '--api-key-stdin'], setupToken)).code).toBe(1);
    await run(['logout', '--all']);

    const stored = JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8'));
    expect(stored.version).toBe(1);
    expect(statSync(join(home, 'credentials.json')).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    const all = outputs.join('\n');
    const oauthTokens = Object.values(
      (JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')).oauth2 ?? {}) as Record<
        string,
        { access_token?: string }
      >,
    ).map((e) => e.access_token);
    for (const secret of [apiKey, setupToken, refresh_token, ...oauthTokens]) {
      if (secret) expect(all).not.toContain(secret);
    }
    expect(all).toContain('sk-ant-api03-…TAIL'); // the masked form is what people see
    expect(readdirSync(home).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
