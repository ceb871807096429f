import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../clock.js';
import { openStateStore } from '../state/open.js';
import { SqliteStateStore } from '../state/sqliteStore.js';
import type { StateStore } from '../state/types.js';
import { issueAgentKey, revokeAgentKeys } from './agentKeys.js';
import { KeyRegistry } from './keyRegistry.js';
import { generateVirtualKey } from './virtualKey.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REDIS_URL = process.env.CLAUDE_AUTH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

let store: StateStore;
let registry: KeyRegistry | null;
const clock: Clock & { t: number } = { t: 1_000_000, now: () => clock.t };

beforeEach(() => {
  store = SqliteStateStore.open(':memory:');
  registry = null;
  clock.t = 1_000_000;
});
afterEach(async () => {
  await registry?.close();
  await store.close();
});

async function open(options: Parameters<typeof KeyRegistry.open>[1] = {}): Promise<KeyRegistry> {
  registry = await KeyRegistry.open(store, { clock, ...options });
  return registry;
}

async function until(check: () => boolean, timeoutMs = 2000): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
  return Date.now();
}

describe('KeyRegistry', () => {
  it('returns the identity behind a key, and null for unknown or malformed keys', async () => {
    const issued = await issueAgentKey(store, 'builder-1', { clock });
    const reg = await open();
    const copy = Buffer.from(issued.key).toString('latin1'); // a fresh string, as from an HTTP header
    expect(reg.verify(copy)).toEqual({ agentId: 'builder-1', keyId: issued.keyId, expiresAt: null });
    expect(reg.verify(generateVirtualKey())).toBeNull();
    expect(reg.verify('')).toBeNull();
    expect(reg.verify(issued.key.slice(0, -1))).toBeNull();
    const flipped = issued.key.slice(0, -1) + (issued.key.endsWith('A') ? 'B' : 'A');
    expect(reg.verify(flipped)).toBeNull();
    expect(reg.verify('sk-ant-api03-something')).toBeNull();
    expect(reg.size).toBe(1);
  });

  it('refuses a key at its expiry, on the hashing and on the cached path alike', async () => {
    const issued = await issueAgentKey(store, 'a', { clock, expiresInMs: 1000 });
    for (const cacheSize of [0, 16]) {
      const reg = await KeyRegistry.open(store, { clock, cacheSize });
      clock.t = issued.createdAt + 999;
      expect(reg.verify(issued.key)?.expiresAt).toBe(issued.createdAt + 1000);
      expect(reg.verify(issued.key)).not.toBeNull();
      clock.t = issued.createdAt + 1000;
      expect(reg.verify(issued.key)).toBeNull();
      clock.t = issued.createdAt;
      await reg.close();
    }
  });

  it('refuses a key as soon as it is revoked through the store, even one it had cached', async () => {
    const issued = await issueAgentKey(store, 'a', { clock });
    const keep = await issueAgentKey(store, 'b', { clock });
    const reg = await open();
    expect(reg.verify(issued.key)).not.toBeNull(); // now cached
    await revokeAgentKeys(store, 'a', { clock });
    await until(() => reg.verify(issued.key) === null);
    expect(reg.verify(keep.key)?.agentId).toBe('b');
  });

  it('accepts a key added after it opened', async () => {
    const reg = await open();
    const issued = await issueAgentKey(store, 'late', { clock });
    await until(() => reg.verify(issued.key) !== null);
  });

  it('keeps verifying every key when more keys are used than the cache holds', async () => {
    const keys = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => issueAgentKey(store, n, { clock })));
    const reg = await open({ cacheSize: 2 });
    for (let round = 0; round < 3; round++) {
      for (const k of keys) expect(reg.verify(k.key)?.agentId).toBe(k.agent);
    }
  });

  it('records last-seen in memory and writes it on flush and on close', async () => {
    const a = await issueAgentKey(store, 'a', { clock });
    const b = await issueAgentKey(store, 'b', { clock });
    const reg = await open({ flushIntervalMs: 60_000 });
    clock.t = 2_000_000;
    reg.verify(a.key);
    expect((await store.listKeys({ agent: 'a' }))[0]!.lastSeenAt).toBeNull();
    await reg.flushLastSeen();
    expect((await store.listKeys({ agent: 'a' }))[0]!.lastSeenAt).toBe(2_000_000);
    clock.t = 3_000_000;
    reg.verify(b.key);
    await reg.close();
    registry = null;
    expect((await store.listKeys({ agent: 'b' }))[0]!.lastSeenAt).toBe(3_000_000);
  });

  it('flushes last-seen on its timer', async () => {
    const a = await issueAgentKey(store, 'a', { clock });
    const reg = await open({ flushIntervalMs: 50 });
    reg.verify(a.key);
    const deadline = Date.now() + 2000;
    while ((await store.listKeys())[0]!.lastSeenAt === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await store.listKeys())[0]!.lastSeenAt).toBe(clock.t);
  });

  it('keeps its last good keys when a reload fails, reports it, and retries', async () => {
    const a = await issueAgentKey(store, 'a', { clock });
    let failing = false;
    const errors: unknown[] = [];
    const flaky = new Proxy(store, {
      get(target, prop) {
        if (prop === 'listKeys' && failing) return () => Promise.reject(new Error('down'));
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    registry = await KeyRegistry.open(flaky, { clock, onError: (e) => errors.push(e) });
    const flakyReg = registry;
    failing = true;
    await revokeAgentKeys(store, 'a', { clock });
    await until(() => errors.length > 0);
    expect(flakyReg.verify(a.key)).not.toBeNull();
    failing = false;
    await until(() => flakyReg.verify(a.key) === null, 3000);
  });
});

const BACKENDS = [
  { name: 'sqlite', url: 'sqlite:state.db' },
  { name: 'redis', url: REDIS_URL },
];

describe.each(BACKENDS)('KeyRegistry across processes: $name', ({ url }) => {
  let dir: string;
  let prefix: string;
  let shared: StateStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ca-registry-'));
    prefix = `claude-auth-test:${randomUUID()}:`;
    shared = await openStateStore({ state: { url } }, dir, { redisPrefix: prefix });
  });
  afterEach(async () => {
    await shared.close();
    rmSync(dir, { recursive: true, force: true });
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  function child(code: string): Promise<{ code: number | null; stdout: string; ms: number }> {
    const started = Date.now();
    const p = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { openStateStore } = await import(process.env.OPEN_MODULE);
         const { revokeAgentKeys, KeyRegistry } = await import(process.env.AGENTS_MODULE);
         const store = await openStateStore({ state: { url: process.env.STATE_URL } }, process.env.STATE_HOME,
           { redisPrefix: process.env.STATE_PREFIX });
         ${code}`,
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
        env: {
          ...process.env,
          OPEN_MODULE: pathToFileURL(join(ROOT, 'src/state/open.ts')).href,
          AGENTS_MODULE: pathToFileURL(join(ROOT, 'src/agents/index.ts')).href,
          STATE_URL: url,
          STATE_HOME: dir,
          STATE_PREFIX: prefix,
        },
      },
    );
    let stdout = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        reject(new Error('child did not exit within 10 s'));
      }, 10_000);
      p.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, ms: Date.now() - started });
      });
    });
  }

  it('refuses a key within a second of another process revoking it', async () => {
    const issued = await issueAgentKey(shared, 'builder-1');
    const reg = await KeyRegistry.open(shared);
    try {
      expect(reg.verify(issued.key)?.agentId).toBe('builder-1');
      let refusedAt = 0;
      const watching = until(() => reg.verify(issued.key) === null, 15_000).then((t) => (refusedAt = t));
      const result = await child(`
        const r = await revokeAgentKeys(store, 'builder-1');
        process.stdout.write(JSON.stringify({ revoked: r.revoked, at: Date.now() }));
        await store.close();`);
      expect(result.code).toBe(0);
      const { revoked, at } = JSON.parse(result.stdout) as { revoked: string[]; at: number };
      expect(revoked).toEqual([issued.keyId]);
      await watching;
      expect(refusedAt - at).toBeLessThan(1000);
    } finally {
      await reg.close();
    }
  });

  it('a process with a watching registry exits by itself after close', async () => {
    const result = await child(`
      const registry = await KeyRegistry.open(store, { flushIntervalMs: 100 });
      registry.verify('sk-ca-' + 'A'.repeat(43));
      await new Promise((r) => setTimeout(r, 300));
      await registry.close();
      await store.close();
      process.stdout.write('closed');`);
    expect(result).toMatchObject({ code: 0, stdout: 'closed' });
    expect(result.ms).toBeLessThan(5000);
  });
});
