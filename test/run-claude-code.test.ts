import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint, type Simulator, startSimulator } from '../src/simulator/index.js';
import { collect, runCli, spawnCli } from './helpers/cli.js';

/**
 * The real Claude Code CLI launched by `claude-auth run AGENT -- claude -p hello --output-format json`
 * against a running gateway whose upstream is the simulator, with a stray ANTHROPIC_AUTH_TOKEN in
 * the parent environment that must not reach the child.
 */
const require = createRequire(import.meta.url);
const claude = join(require.resolve('@anthropic-ai/claude-code/package.json'), '..', 'cli-wrapper.cjs');
const REAL_KEY = 'sk-ant-api03-the-real-key-only-the-gateway-holds';
const STRAY = 'stray-auth-token-from-the-parent-shell';

let home: string;
let claudeHome: string;
let sim: Simulator;
let gateway: ChildProcess;
let port: number;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const p = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return p;
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'ca-runcc-'));
  claudeHome = mkdtempSync(join(tmpdir(), 'ca-runcc-claude-'));
  sim = await startSimulator({ apiKeys: [REAL_KEY] });
  port = await freePort();
  mkdirSync(home, { recursive: true });
  writeFileSync(
    join(home, 'config.toml'),
    `[upstream]\nbase_url = "${sim.url}"\n[gateway]\nport = ${port}\n`,
  );
  gateway = spawnCli(['serve'], { env: { CLAUDE_AUTH_HOME: home, ANTHROPIC_API_KEY: REAL_KEY } });
  void collect(gateway, { timeoutMs: 170_000 }).catch(() => undefined);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    gateway.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('stop: Ctrl-C')) resolve();
    });
    gateway.once('exit', () => reject(new Error(`serve exited: ${out}`)));
  });
}, 30_000);

afterAll(async () => {
  gateway?.kill('SIGTERM');
  await sim?.close();
  rmSync(home, { recursive: true, force: true });
  rmSync(claudeHome, { recursive: true, force: true });
});

describe('claude-auth run with the real Claude Code CLI', () => {
  it('claude -p hello succeeds through the gateway; the stray token and the virtual key never reach upstream', async () => {
    const r = await runCli(
      ['run', 'coder', '--verbose', '--', process.execPath, claude, '-p', 'hello', '--output-format', 'json'],
      {
        env: { CLAUDE_AUTH_HOME: home, HOME: claudeHome, ANTHROPIC_AUTH_TOKEN: STRAY },
        timeoutMs: 120_000,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').pop() as string) as {
      type: string;
      is_error: boolean;
      result: string;
    };
    expect(result.type).toBe('result');
    expect(result.is_error).toBe(false);
    expect(result.result).toContain('Hello from the simulator');
    expect(r.stderr).toMatch(/start-up overhead \d+\.\d ms/);

    const seen = sim.stats().credentialsSeen;
    expect(seen[fingerprint(REAL_KEY)]).toBeGreaterThan(0);
    expect(seen[fingerprint(STRAY)]).toBeUndefined();
    expect(Object.keys(seen)).toEqual([fingerprint(REAL_KEY)]); // nothing else, the virtual key included

    // the key `run` made for this launch was revoked when the agent exited
    const list = await runCli(['agent', 'list', '--json'], { env: { CLAUDE_AUTH_HOME: home } });
    const { keys } = JSON.parse(list.stdout) as { keys: { agent: string; revoked_at: string | null }[] };
    const mine = keys.filter((k) => k.agent === 'coder');
    expect(mine).toHaveLength(1);
    expect(mine[0]?.revoked_at).not.toBeNull();
  }, 150_000);
});
