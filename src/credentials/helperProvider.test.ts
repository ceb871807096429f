import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import { ClaudeAuthError } from '../errors.js';
import { HelperProvider } from './helperProvider.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ca-helper-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function helper(command: string, extra: { ttl_ms?: number; timeout_ms?: number } = {}) {
  return { ...defaultConfig().auth.helper, command, ...extra };
}

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

async function rejection(p: Promise<unknown>): Promise<ClaudeAuthError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ClaudeAuthError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('HelperProvider', () => {
  it('uses the first line of stdout as the key and reuses it for ttl_ms', async () => {
    const counter = join(dir, 'runs');
    writeFileSync(counter, '');
    const clock = manualClock();
    const p = new HelperProvider(
      helper(`echo run >> ${counter}; printf 'sk-ant-api03-from-helper\\nignored\\n'`, { ttl_ms: 1000 }),
      clock,
    );
    const a = await p.getCredential();
    expect(a).toMatchObject({
      kind: 'api_key',
      secret: 'sk-ant-api03-from-helper',
      source: 'helper',
      injectAs: 'x-api-key',
    });
    await p.getCredential();
    expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(1);
    clock.advance(1001);
    await p.getCredential();
    expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('shares one run among concurrent callers', async () => {
    const counter = join(dir, 'runs');
    writeFileSync(counter, '');
    const p = new HelperProvider(helper(`echo run >> ${counter}; sleep 0.1; echo key-1`));
    const all = await Promise.all(Array.from({ length: 20 }, () => p.getCredential()));
    expect(new Set(all.map((c) => c.secret))).toEqual(new Set(['key-1']));
    expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('a failing helper shows its stderr with the key masked, and its exit status', async () => {
    const p = new HelperProvider(
      helper(`echo sk-leaked-123; echo "vault: sk-leaked-123 is sealed" >&2; exit 3`),
    );
    const e = await rejection(p.getCredential());
    expect(e.code).toBe('helper_failed');
    expect(e.message).toContain('status 3');
    expect(e.describe()).toContain('vault: [key] is sealed');
    expect(e.describe()).not.toContain('sk-leaked-123');
  });

  it('a helper that hangs is killed after timeout_ms with its whole process group', async () => {
    const marker = join(dir, 'child-survived');
    const p = new HelperProvider(helper(`(sleep 1 && touch ${marker}) & sleep 30`, { timeout_ms: 200 }));
    const started = Date.now();
    const e = await rejection(p.getCredential());
    expect(e.code).toBe('helper_timeout');
    expect(e.message).toContain('200 ms');
    expect(Date.now() - started).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 1200));
    expect(() => readFileSync(marker)).toThrow();
  });

  it('a helper that prints nothing is an error that says so', async () => {
    const e = await rejection(new HelperProvider(helper('true')).getCredential());
    expect(e.code).toBe('helper_failed');
    expect(e.message).toContain('printed nothing');
  });

  it('no command configured is credential_missing naming the config key', async () => {
    const e = await rejection(new HelperProvider({ ...defaultConfig().auth.helper }).getCredential());
    expect(e.code).toBe('credential_missing');
    expect(e.describe()).toContain('[auth.helper] command');
  });
});
