import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaudeAuthError } from '../errors.js';
import { openStateStore } from './open.js';
import type { NewVirtualKey, StateStore } from './types.js';

/** The same contract, run against every backend with real storage: a SQLite file and a Redis server. */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OPEN_MODULE = pathToFileURL(join(ROOT, 'src/state/open.ts')).href;
const REDIS_URL = process.env.CLAUDE_AUTH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

interface Backend {
  name: string;
  url: string;
}

const BACKENDS: Backend[] = [
  { name: 'sqlite', url: 'sqlite:state.db' },
  { name: 'redis', url: REDIS_URL },
];

let dir: string;
let prefix: string;
let opened: StateStore[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ca-state-'));
  prefix = `claude-auth-test:${randomUUID()}:`;
  opened = [];
});

afterEach(async () => {
  for (const s of opened) await s.close();
  rmSync(dir, { recursive: true, force: true });
  await deleteRedisPrefix(prefix);
});

async function deleteRedisPrefix(p: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys = await redis.keys(`${p}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

function key(agent: string, createdAt: number, extra: Partial<NewVirtualKey> = {}): NewVirtualKey {
  return {
    keyId: randomBytes(6).toString('hex'),
    agent,
    keyHash: randomBytes(32),
    createdAt,
    expiresAt: null,
    ...extra,
  };
}

/** Runs ES module code in a fresh Node process (with tsx, so it can import the sources). */
function runChild(
  code: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not exit within 10 s; stdout: ${stdout}`));
    }, 10_000);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ code: exitCode, stdout, ms: Date.now() - started });
    });
  });
}

const CHILD_OPEN = `
const { openStateStore } = await import(process.env.OPEN_MODULE);
const store = await openStateStore({ state: { url: process.env.STATE_URL } }, process.env.STATE_HOME, {
  redisPrefix: process.env.STATE_PREFIX,
});`;

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.each(BACKENDS)('StateStore contract: $name', (backend) => {
  const childEnv = () => ({ OPEN_MODULE, STATE_URL: backend.url, STATE_HOME: dir, STATE_PREFIX: prefix });

  async function open(): Promise<StateStore> {
    const store = await openStateStore({ state: { url: backend.url } }, dir, { redisPrefix: prefix });
    opened.push(store);
    return store;
  }

  it('adds and lists keys with every field, ordered by agent then creation', async () => {
    const store = await open();
    const b = key('beta', 2000, { expiresAt: 9000 });
    const a2 = key('alpha', 3000);
    const a1 = key('alpha', 1000);
    for (const k of [b, a2, a1]) expect(await store.addKey(k)).toEqual([]);
    const listed = await store.listKeys();
    expect(listed.map((k) => k.keyId)).toEqual([a1.keyId, a2.keyId, b.keyId]);
    expect(listed[2]).toEqual({ ...b, revokedAt: null, lastSeenAt: null });
    expect(Buffer.isBuffer(listed[2]!.keyHash) && listed[2]!.keyHash.equals(b.keyHash)).toBe(true);
    expect((await store.listKeys({ agent: 'alpha' })).map((k) => k.keyId)).toEqual([a1.keyId, a2.keyId]);
    expect(await store.listKeys({ agent: 'nobody' })).toEqual([]);
  });

  it('refuses a duplicate key id or hash', async () => {
    const store = await open();
    const k = key('a', 1);
    await store.addKey(k);
    await expect(store.addKey({ ...k, keyHash: randomBytes(32) })).rejects.toMatchObject({ code: 'usage' });
    await expect(store.addKey({ ...k, keyId: 'other' })).rejects.toMatchObject({ code: 'usage' });
    expect(await store.listKeys()).toHaveLength(1);
  });

  it('revokes all of an agent’s keys, or one, and skips revoked ones', async () => {
    const store = await open();
    const [a1, a2, a3, b1] = [key('a', 1), key('a', 2), key('a', 3), key('b', 4)];
    for (const k of [a1, a2, a3, b1]) await store.addKey(k);
    expect(await store.revokeKeys('a', 100, a2.keyId)).toEqual([a2.keyId]);
    expect(await store.revokeKeys('a', 100, b1.keyId)).toEqual([]); // another agent's key
    expect((await store.revokeKeys('a', 200)).sort()).toEqual([a1.keyId, a3.keyId].sort());
    expect(await store.revokeKeys('a', 300)).toEqual([]);
    expect(await store.revokeKeys('nobody', 300)).toEqual([]);
    const byId = new Map((await store.listKeys()).map((k) => [k.keyId, k.revokedAt]));
    expect(Object.fromEntries(byId)).toEqual({
      [a1.keyId]: 200,
      [a2.keyId]: 100,
      [a3.keyId]: 200,
      [b1.keyId]: null,
    });
    expect((await store.listKeys({ includeRevoked: false })).map((k) => k.keyId)).toEqual([b1.keyId]);
  });

  it('adds with replace: the agent’s other active keys are revoked at the new key’s creation', async () => {
    const store = await open();
    const [old1, old2, other] = [key('a', 1), key('a', 2), key('b', 3)];
    for (const k of [old1, old2, other]) await store.addKey(k);
    await store.revokeKeys('a', 50, old1.keyId);
    const fresh = key('a', 100);
    expect(await store.addKey(fresh, { replace: true })).toEqual([old2.keyId]);
    const byId = Object.fromEntries((await store.listKeys()).map((k) => [k.keyId, k.revokedAt]));
    expect(byId).toEqual({ [old1.keyId]: 50, [old2.keyId]: 100, [fresh.keyId]: null, [other.keyId]: null });
  });

  it('records last-seen times, only forwards, ignoring unknown ids', async () => {
    const store = await open();
    const k = key('a', 1);
    await store.addKey(k);
    await store.touchKeys(new Map([[k.keyId, 500]]));
    await store.touchKeys(
      new Map([
        [k.keyId, 400],
        ['unknown', 1],
      ]),
    );
    const [listed] = await store.listKeys();
    expect(listed!.lastSeenAt).toBe(500);
    expect(await store.listKeys()).toHaveLength(1);
  });

  it('watchKeys fires on key changes (not on last-seen) and stops when unsubscribed', async () => {
    const store = await open();
    const writer = await open(); // a second connection, as another process would have
    let fired = 0;
    const stop = store.watchKeys(() => fired++);
    await new Promise((r) => setTimeout(r, 500));
    expect(fired).toBe(0); // nothing changed: no call, not even when the Redis subscription comes up
    const k = key('a', 1);
    await writer.addKey(k);
    await until(() => fired > 0);
    fired = 0;
    await writer.touchKeys(new Map([[k.keyId, 10]]));
    await new Promise((r) => setTimeout(r, 600));
    expect(fired).toBe(0);
    await store.revokeKeys('a', 20); // this store's own change fires too
    await until(() => fired > 0);
    stop();
    fired = 0;
    await writer.addKey(key('a', 2));
    await new Promise((r) => setTimeout(r, 600));
    expect(fired).toBe(0);
  });

  it('reports a change made before its subscription was active (none lost at start)', async () => {
    const store = await open();
    const writer = await open();
    let fired = 0;
    store.watchKeys(() => fired++);
    await writer.addKey(key('a', 1)); // with Redis: before the SUBSCRIBE has been answered
    await until(() => fired > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(fired).toBeLessThanOrEqual(2);
  });

  it('hears a revocation made by another process within a second', async () => {
    const store = await open();
    const k = key('builder-1', 1);
    await store.addKey(k);
    const fired: number[] = [];
    store.watchKeys(() => fired.push(Date.now()));
    const child = await runChild(
      `${CHILD_OPEN}
       const ids = await store.revokeKeys('builder-1', Date.now());
       process.stdout.write(JSON.stringify({ ids, at: Date.now() }));
       await store.close();`,
      childEnv(),
    );
    expect(child.code).toBe(0);
    const { ids, at } = JSON.parse(child.stdout) as { ids: string[]; at: number };
    expect(ids).toEqual([k.keyId]);
    await until(() => fired.length > 0, 2000);
    expect(fired[0]! - at).toBeLessThan(1000);
    expect((await store.listKeys({ includeRevoked: false })).length).toBe(0);
  });

  it('stores, replaces, lists and deletes agent sessions', async () => {
    const store = await open();
    const s = {
      name: 'b',
      createdAt: 1,
      lastSeenAt: 2,
      reservedMb: 25.5,
      metadata: { pid: 42, tags: ['x'] },
    };
    await store.putSession(s);
    await store.putSession({ ...s, name: 'a', metadata: {} });
    expect(await store.getSession('b')).toEqual(s);
    await store.putSession({ ...s, lastSeenAt: 9, metadata: { pid: 43 } });
    expect(await store.getSession('b')).toEqual({ ...s, lastSeenAt: 9, metadata: { pid: 43 } });
    expect((await store.listSessions()).map((x) => x.name)).toEqual(['a', 'b']);
    expect(await store.deleteSession('b')).toBe(true);
    expect(await store.deleteSession('b')).toBe(false);
    expect(await store.getSession('b')).toBeNull();
  });

  it('keeps key/value pairs', async () => {
    const store = await open();
    expect(await store.getValue('k')).toBeNull();
    await store.setValue('k', 'v1');
    await store.setValue('k', 'v2');
    expect(await store.getValue('k')).toBe('v2');
    expect(await store.deleteValue('k')).toBe(true);
    expect(await store.deleteValue('k')).toBe(false);
    expect(await store.getValue('k')).toBeNull();
  });

  it('sees what another connection wrote', async () => {
    const a = await open();
    const k = key('a', 1);
    await a.addKey(k);
    await a.setValue('x', '1');
    const b = await open();
    expect((await b.listKeys()).map((r) => r.keyId)).toEqual([k.keyId]);
    expect(await b.getValue('x')).toBe('1');
  });

  it('close is idempotent and later calls fail with state_unavailable', async () => {
    const store = await open();
    await store.close();
    await store.close();
    const e = await store.listKeys().catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ClaudeAuthError);
    expect((e as ClaudeAuthError).code).toBe('state_unavailable');
  });

  it('close releases every handle: a process that watched and wrote exits by itself', async () => {
    const child = await runChild(
      `${CHILD_OPEN}
       store.watchKeys(() => {});
       await store.addKey({ keyId: 'k1', agent: 'a', keyHash: Buffer.alloc(32, 7), createdAt: 1, expiresAt: null });
       await new Promise((r) => setTimeout(r, 300));
       await store.close();
       process.stdout.write('closed');`,
      childEnv(),
    );
    expect(child.stdout).toBe('closed');
    expect(child.code).toBe(0);
    expect(child.ms).toBeLessThan(5000);
  });
});
