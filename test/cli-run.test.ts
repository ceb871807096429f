import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, runCli, spawnCli } from './helpers/cli.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'ca-run-'));
  mkdirSync(home, { recursive: true });
  // a port nothing listens on, so gateway mode finds no gateway
  writeFileSync(
    join(home, 'config.toml'),
    '[gateway]\nport = 9\n[performance.memory]\nmax_agent_memory_mb = 50\n',
  );
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const direct = (extra: Record<string, string> = {}) => ({
  env: { CLAUDE_AUTH_HOME: home, ANTHROPIC_API_KEY: 'sk-ant-api03-run-test-key', ...extra },
  timeoutMs: 30_000,
});

describe('claude-auth run', () => {
  it("passes the command's exit status through and gives it the agent's environment, without stray credentials", async () => {
    const r = await runCli(
      [
        'run',
        'a',
        '--mode',
        'direct',
        '--',
        'sh',
        '-c',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a JS template
        'echo "key=$ANTHROPIC_API_KEY auth=${ANTHROPIC_AUTH_TOKEN-unset} keep=$KEEP"; exit 7',
      ],
      direct({ ANTHROPIC_AUTH_TOKEN: 'stray-token', KEEP: 'inherited' }),
    );
    expect(r.code).toBe(7);
    expect(r.stdout.trim()).toBe('key=sk-ant-api03-run-test-key auth=unset keep=inherited');
  });

  it('forwards SIGTERM to the agent and exits with its status', async () => {
    const script =
      "process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(42); }); console.log('ready'); setInterval(() => {}, 1000);";
    const child = spawnCli(['run', 'a', '--mode', 'direct', '--', process.execPath, '-e', script], direct());
    const done = collect(child, { timeoutMs: 20_000 });
    await new Promise<void>((resolve) => {
      child.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve();
      });
    });
    child.kill('SIGTERM');
    const r = await done;
    expect(r.code).toBe(42);
    expect(r.stdout).toContain('got SIGTERM');
  });

  it('--enforce stops an agent whose process tree goes over max_agent_memory_mb, with a message', async () => {
    const hog =
      "const b = Buffer.alloc(120 * 1024 * 1024, 1); console.log('allocated'); setInterval(() => b[0]++, 100);";
    const r = await runCli(
      [
        'run',
        'hog',
        '--mode',
        'direct',
        '--enforce',
        '--sample-ms',
        '100',
        '--',
        process.execPath,
        '-e',
        hog,
      ],
      direct(),
    );
    expect(r.code).toBe(143); // 128 + SIGTERM
    expect(r.stderr).toMatch(
      /agent hog uses \d+\.\d MB, above max_agent_memory_mb \(50 MB\); stopping it \(--enforce\)/,
    );
    expect(r.stderr).toContain('stopped agent hog');
  });

  it('without --enforce an agent over the limit is reported and left running to completion', async () => {
    const hog =
      'const b = Buffer.alloc(120 * 1024 * 1024, 1); setTimeout(() => { b[0]++; process.exit(0); }, 600);';
    const r = await runCli(
      [
        'run',
        'hog',
        '--mode',
        'direct',
        '--sample-ms',
        '100',
        '--verbose',
        '--',
        process.execPath,
        '-e',
        hog,
      ],
      direct(),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/above max_agent_memory_mb \(50 MB\)\n/);
    expect(r.stderr).toMatch(/peak RSS \d+\.\d MB/);
    expect(r.stderr).toMatch(/start-up overhead \d+\.\d ms/);
  });

  it('a command that does not exist, and gateway mode with no gateway: clear errors', async () => {
    const missing = await runCli(['run', 'a', '--mode', 'direct', '--', 'no-such-command-xyz'], direct());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot start no-such-command-xyz: ENOENT');
    const noGateway = await runCli(['run', 'a', '--', 'true'], direct());
    expect(noGateway.code).toBe(1);
    expect(noGateway.stderr).toContain('no claude-auth gateway answers at http://127.0.0.1:9');
    expect(noGateway.stderr).toContain('claude-auth serve');
  });
});
