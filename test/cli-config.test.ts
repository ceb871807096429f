import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** `claude-auth config check` as a user runs it: the built CLI in a child process. */
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const SECRET = 'sk-ant-api03-CLISECRETvalue9876543210';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let home: string;
let dir: string;

function run(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH, CLAUDE_AUTH_HOME: home, NO_COLOR: '1' };
    execFile(process.execPath, [CLI, ...args], { env, cwd: dir }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'claude-auth-cli-config-'));
  home = join(dir, 'home');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('claude-auth config check', () => {
  it('says there is no config file and prints the defaults as TOML', async () => {
    const r = await run('config', 'check');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no config file; using defaults');
    const printed = parse(r.stdout) as { performance: { cache: { ttl_minutes: number } } };
    expect(printed.performance.cache.ttl_minutes).toBe(60);
    expect(r.stderr).toBe('');
  });

  it('names $CLAUDE_AUTH_HOME/config.toml and masks the api_key', async () => {
    mkdirSync(home);
    writeFileSync(join(home, 'config.toml'), `[auth]\napi_key = "${SECRET}"\n[gateway]\nport = 9999\n`, {
      mode: 0o600,
    });
    const r = await run('config', 'check');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`# config file: ${join(home, 'config.toml')}`);
    expect(r.stdout).toContain('port = 9999');
    expect(r.stdout).toContain('api_key = "sk-ant-…(masked)"');
    expect(r.stdout + r.stderr).not.toContain('CLISECRET');
  });

  it('prints {source, config} with --json, secrets masked', async () => {
    const file = join(dir, 'my.toml');
    writeFileSync(file, `[auth]\napi_key = "${SECRET}"\n[performance.cache]\nmax_size = 7\n`, {
      mode: 0o600,
    });
    const r = await run('config', 'check', file, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { source: string; config: { auth: { api_key: string } } };
    expect(out.source).toBe(file);
    expect(out.config).toMatchObject({ performance: { cache: { max_size: 7, ttl_minutes: 60 } } });
    expect(out.config.auth.api_key).toBe('sk-ant-…(masked)');
    expect(r.stdout + r.stderr).not.toContain('CLISECRET');
  });

  it('warns when a file holding a secret is readable by others', async () => {
    const file = join(dir, 'open.toml');
    writeFileSync(file, `[auth]\napi_key = "${SECRET}"\n`);
    chmodSync(file, 0o644);
    const r = await run('config', 'check', file);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('readable by other users (mode 0644); run chmod 600');
    expect(r.stdout + r.stderr).not.toContain('CLISECRET');
  });

  it('lists every problem on stderr and exits 2, never showing the secret', async () => {
    writeFileSync(
      join(dir, 'config.toml'),
      `[performance.cache]\nmax_size = -1\nttl_minuts = 5\n[auth]\napi_key = "${SECRET}"\nprovider = 7\n`,
    );
    const r = await run('config', 'check', 'config.toml');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('config.toml has 3 problems:');
    expect(r.stderr).toContain('config.toml: performance.cache.max_size: expected an integer > 0, got -1');
    expect(r.stderr).toContain(
      'config.toml: performance.cache.ttl_minuts: unknown key; did you mean "ttl_minutes"?',
    );
    expect(r.stderr).toContain('config.toml: auth.provider: expected one of "api_key", "helper"');
    expect(r.stderr).toContain('claude-auth config check config.toml');
    expect(r.stderr).not.toContain('CLISECRET');
  });

  it('prints {source, errors:[{key, message}]} with --json on error and exits 2', async () => {
    const file = join(dir, 'bad.toml');
    writeFileSync(file, `[performance]\nenable_caching = "yes"\n[auth]\napi_key = 5\n`);
    const r = await run('config', 'check', file, '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      source: file,
      errors: [
        { key: 'performance.enable_caching', message: 'expected boolean, got string "yes"' },
        { key: 'auth.api_key', message: 'expected a non-empty string, got a number (value hidden: secret)' },
      ],
    });
  });

  it('reports a TOML syntax error with its line, without the line itself', async () => {
    const file = join(dir, 'syntax.toml');
    writeFileSync(file, `[auth]\napi_key = "${SECRET}\n`);
    const r = await run('config', 'check', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${file.replaceAll('.', '\\.')}:2:\\d+: TOML syntax error`));
    expect(r.stderr).not.toContain('CLISECRET');
    const j = await run('config', 'check', file, '--json');
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({ source: file, errors: [{ key: null, line: 2 }] });
    expect(j.stdout).not.toContain('CLISECRET');
  });

  it('fails with exit 2 for a file that does not exist', async () => {
    const r = await run('config', 'check', 'missing.toml');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing.toml: config file does not exist');
    const j = await run('config', 'check', 'missing.toml', '--json');
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toEqual({
      source: join(dir, 'missing.toml'),
      errors: [{ key: null, message: 'config file does not exist' }],
    });
  });

  it('is listed by claude-auth config --help', async () => {
    const r = await run('config', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/check \[options\] \[file\]/);
    const check = await run('config', 'check', '--help');
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('--json');
  });
});
