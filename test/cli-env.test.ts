import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, cliEnv, runCli } from './helpers/cli.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'ca-env-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** Runs `eval "$(claude-auth env …)"` in bash with a polluted environment and returns what bash ends with. */
function evalInBash(args: string[], parentEnv: Record<string, string>): Record<string, string> {
  const quoted = args.map((a) => `'${a}'`).join(' ');
  const out = execFileSync(
    'bash',
    ['-c', `set -e; eval "$("${process.execPath}" "${CLI}" ${quoted})"; env -0`],
    {
      env: cliEnv({ CLAUDE_AUTH_HOME: home, ...parentEnv }),
    },
  );
  return Object.fromEntries(
    out
      .toString('utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

const STRAYS = {
  ANTHROPIC_AUTH_TOKEN: 'stray-auth-token',
  CLAUDE_CODE_OAUTH_TOKEN: 'stray-oauth-token',
  CLAUDE_CODE_USE_BEDROCK: '1',
  KEEP_ME: 'unrelated',
};

describe('claude-auth env', () => {
  it('gateway mode: eval gives exactly the gateway URL, a new virtual key and no stray credential', () => {
    const env = evalInBash(['env', 'builder-1'], { ...STRAYS, ANTHROPIC_API_KEY: 'sk-ant-api03-stray' });
    expect(env.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:8787');
    expect(env.ANTHROPIC_API_KEY).toMatch(/^sk-ca-[A-Za-z0-9_-]{43}$/);
    expect(env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC).toBe('1');
    for (const v of [
      'ANTHROPIC_AUTH_TOKEN',
      'CLAUDE_CODE_OAUTH_TOKEN',
      'CLAUDE_CODE_USE_BEDROCK',
      'CLAUDE_CODE_USE_VERTEX',
    ]) {
      expect(env[v], v).toBeUndefined();
    }
    expect(env.KEEP_ME).toBe('unrelated');
  });

  it('direct mode with a claude setup-token: CLAUDE_CODE_OAUTH_TOKEN only, a stray API key removed', () => {
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'config.toml'), '[auth]\nprovider = "claude_code_token"\n');
    const token = 'sk-ant-oat01-subscription-token-for-direct-mode';
    const env = evalInBash(['env', 'claude-1', '--mode', 'direct'], {
      ...STRAYS,
      CLAUDE_CODE_OAUTH_TOKEN: token,
      ANTHROPIC_API_KEY: 'sk-ant-api03-stray-that-would-switch-billing',
    });
    expect(env.CLAUDE_CODE_OAUTH_TOKEN).toBe(token);
    expect(env.ANTHROPIC_API_KEY).toBeUndefined();
    expect(env.ANTHROPIC_AUTH_TOKEN).toBeUndefined();
    expect(env.ANTHROPIC_BASE_URL).toBeUndefined();
  });

  it('direct mode with an API key: quoting survives eval, even a quote in the value', () => {
    const key = `sk-ant-api03-with'quote$HOME"x`;
    const env = evalInBash(['env', 'a', '--mode', 'direct'], {
      ANTHROPIC_API_KEY: key,
      ANTHROPIC_AUTH_TOKEN: 'stray',
    });
    expect(env.ANTHROPIC_API_KEY).toBe(key);
    expect(env.ANTHROPIC_AUTH_TOKEN).toBeUndefined();
  });

  it('json is {"set","unset"} and dotenv sets the unset ones empty', async () => {
    const j = await runCli(['env', 'a', '--format', 'json'], { env: { CLAUDE_AUTH_HOME: home } });
    expect(j.code).toBe(0);
    const parsed = JSON.parse(j.stdout);
    expect(Object.keys(parsed)).toEqual(['set', 'unset']);
    expect(parsed.unset).toEqual([
      'ANTHROPIC_AUTH_TOKEN',
      'CLAUDE_CODE_OAUTH_TOKEN',
      'CLAUDE_CODE_USE_BEDROCK',
      'CLAUDE_CODE_USE_VERTEX',
    ]);
    const d = await runCli(['env', 'a', '--format', 'dotenv'], { env: { CLAUDE_AUTH_HOME: home } });
    expect(d.stdout).toMatch(/^ANTHROPIC_AUTH_TOKEN=$/m);
    expect(d.stdout).toMatch(/^ANTHROPIC_API_KEY="sk-ca-/m);
  });

  it('bad input: an unknown format or mode, an invalid agent name → exit 2 naming it', async () => {
    const f = await runCli(['env', 'a', '--format', 'yaml'], { env: { CLAUDE_AUTH_HOME: home } });
    expect(f.code).toBe(2);
    expect(f.stderr).toContain('--format must be shell, json or dotenv');
    const m = await runCli(['env', 'a', '--mode', 'sideways'], { env: { CLAUDE_AUTH_HOME: home } });
    expect(m.code).toBe(2);
    const n = await runCli(['env', 'bad name!'], { env: { CLAUDE_AUTH_HOME: home } });
    expect(n.code).toBe(2);
  });
});
