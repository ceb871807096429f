import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../src/simulator/index.js';
import { REAL_KEY, type Stack, startStack, VIRTUAL_KEY } from './gateway-fixtures.js';

/**
 * The real Claude Code CLI (npm @anthropic-ai/claude-code, a native binary since 2.x; its
 * cli-wrapper.cjs finds the platform package) run as an agent behind the gateway.
 */
const require = createRequire(import.meta.url);
const wrapper = join(require.resolve('@anthropic-ai/claude-code/package.json'), '..', 'cli-wrapper.cjs');

let stack: Stack;
let home: string;

beforeAll(async () => {
  stack = await startStack();
  home = mkdtempSync(join(tmpdir(), 'gw-claude-home-'));
});
afterAll(async () => {
  await stack.close();
  rmSync(home, { recursive: true, force: true });
});

function runClaude(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wrapper, ...args], {
      cwd: home,
      // Only what Claude Code needs: no inherited ANTHROPIC_* or CLAUDE_* variables.
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        ANTHROPIC_BASE_URL: stack.url,
        ANTHROPIC_API_KEY: VIRTUAL_KEY,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('Claude Code CLI behind the gateway', () => {
  it('claude -p hello --output-format json succeeds through the gateway', { timeout: 120_000 }, async () => {
    const r = await runClaude(['-p', 'hello', '--output-format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as {
      type: string;
      subtype: string;
      is_error: boolean;
      result: string;
    };
    expect(result).toMatchObject({ type: 'result', subtype: 'success', is_error: false });
    expect(result.result).toContain('Hello from the simulator');

    // It really went through the gateway to the simulator, with the real key swapped in.
    const proxied = stack.records.filter((x) => x.path === '/v1/messages');
    expect(proxied.length).toBeGreaterThanOrEqual(1);
    expect(proxied.every((x) => x.status === 200 && x.agentId === 'builder-1')).toBe(true);
    expect(proxied.some((x) => x.streamed)).toBe(true);
    const stats = stack.sim.stats();
    expect(stats.messages['200']).toBe(proxied.length);
    expect(Object.keys(stats.credentialsSeen)).toEqual([fingerprint(REAL_KEY)]);
  });
});
