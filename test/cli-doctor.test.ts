import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'ca-doctor-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('claude-auth doctor', () => {
  it('passes on a healthy setup and fails, saying what to do, on a credential file others can read', async () => {
    const env = { CLAUDE_AUTH_HOME: home };
    expect(
      (
        await runCli(['login', '--provider', 'api_key', '--api-key-stdin'], {
          env,
          input: 'sk-ant-api03-doctor-test-key',
        })
      ).code,
    ).toBe(0);
    const ok = await runCli(['doctor', '--json'], { env });
    expect(ok.code).toBe(0);
    const { checks } = JSON.parse(ok.stdout) as {
      checks: { name: string; verdict: string; detail: string }[];
    };
    expect(checks.find((c) => c.name === 'credential')).toMatchObject({ verdict: 'ok' });
    expect(checks.find((c) => c.name === 'credential store')).toMatchObject({ verdict: 'ok' });
    expect(ok.stdout).not.toContain('sk-ant-api03-doctor-test-key');

    chmodSync(join(home, 'credentials.json'), 0o644);
    const bad = await runCli(['doctor'], { env });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL {2}credential store .* is 0644: run chmod 600 /);
  });

  it('reports a malformed config as a failed check', async () => {
    const r = await runCli(['doctor', '--config', join(home, 'missing.toml')], {
      env: { CLAUDE_AUTH_HOME: home },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}config/);
  });
});
