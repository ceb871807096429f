import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyRegistry } from '../src/agents/keyRegistry.js';
import { openStateStore } from '../src/state/open.js';
import { runCli } from './helpers/cli.js';

const REDIS_URL = process.env.CLAUDE_AUTH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

let dir: string;
let home: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ca-cli-agent-'));
  home = join(dir, 'home');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli(args, { env: { CLAUDE_AUTH_HOME: home } });

interface Added {
  agent: string;
  key: string;
  key_id: string;
  created_at: string;
  expires_at: string | null;
  replaced: string[];
}

async function add(name: string, ...flags: string[]): Promise<Added> {
  const r = await cli('agent', 'add', name, '--json', ...flags);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Added;
}

/** Every byte SQLite wrote: the database and, if still there, its WAL and shared-memory files. */
function stateBytes(): Buffer {
  const file = join(home, 'state.db');
  return Buffer.concat([file, `${file}-wal`, `${file}-shm`].filter(existsSync).map((p) => readFileSync(p)));
}

describe('claude-auth agent', () => {
  it('add --json prints exactly one line with the agent and a sk-ca- key', async () => {
    const r = await cli('agent', 'add', 'builder-1', '--json');
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    const out = JSON.parse(r.stdout) as Added;
    expect(out).toMatchObject({ agent: 'builder-1', expires_at: null, replaced: [] });
    expect(out.key).toMatch(/^sk-ca-[A-Za-z0-9_-]{43}$/);
    expect(out.key_id).toMatch(/^[0-9a-f]{12}$/);
  });

  it('add/list/revoke round trip in human form; the key is printed once and stored only as its hash', async () => {
    const r = await cli('agent', 'add', 'builder-1');
    expect(r.code).toBe(0);
    const key = r.stdout.trim();
    expect(key).toMatch(/^sk-ca-[A-Za-z0-9_-]{43}$/);
    expect(r.stderr).toMatch(/Created key [0-9a-f]{12} for agent "builder-1"; it never expires\./);
    expect(r.stderr).toMatch(/only time the key is shown/);
    expect((r.stdout + r.stderr).split(key.slice(6)).length - 1).toBe(1);

    const list = await cli('agent', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^AGENT\s+KEY ID\s+STATE\s+CREATED\s+EXPIRES\s+REVOKED\s+LAST SEEN\n/);
    expect(list.stdout).toMatch(
      /builder-1\s+[0-9a-f]{12}\s+active\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+never\s+-\s+-\n/,
    );
    const listJson = await cli('agent', 'list', '--json');
    const digest = createHash('sha256').update(key).digest();
    for (const out of [list.stdout, listJson.stdout]) {
      expect(out).not.toContain(key.slice(6));
      expect(out).not.toContain(digest.toString('hex'));
      expect(out).not.toContain(digest.toString('base64'));
    }

    const bytes = stateBytes();
    expect(bytes.includes(Buffer.from(key.slice(6)))).toBe(false);
    expect(bytes.includes(Buffer.from(key.slice(6, 26)))).toBe(false);
    const db = new Database(join(home, 'state.db'), { readonly: true });
    const rows = db.prepare('SELECT agent, key_hash FROM virtual_keys').all() as {
      agent: string;
      key_hash: Buffer;
    }[];
    db.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.key_hash.equals(digest)).toBe(true);

    const revoke = await cli('agent', 'revoke', 'builder-1');
    expect(revoke.code).toBe(0);
    expect(revoke.stdout).toMatch(/^Revoked 1 key\(s\) of agent "builder-1": [0-9a-f]{12}\.\n$/);
    const after = await cli('agent', 'list');
    expect(after.stdout).toMatch(
      /builder-1\s+[0-9a-f]{12}\s+revoked\s+\S+ \S+\s+never\s+\d{4}-\S+ \S+Z\s+-\n/,
    );
    const again = await cli('agent', 'revoke', 'builder-1');
    expect(again).toMatchObject({
      code: 0,
      stdout: 'Agent "builder-1" has no active keys; nothing to revoke.\n',
    });
  });

  it('keeps the state file 0600 in a 0700 home', async () => {
    await add('a');
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, 'state.db')).mode & 0o777).toBe(0o600);
  });

  it('list --json shows every key without secrets, with state and times', async () => {
    const a = await add('a', '--expires-in', '1h');
    const b = await add('b');
    await cli('agent', 'revoke', 'b');
    const r = await cli('agent', 'list', '--json');
    expect(r.code).toBe(0);
    const { keys } = JSON.parse(r.stdout) as { keys: Record<string, unknown>[] };
    expect(keys.map((k) => Object.keys(k).sort())).toEqual(
      Array(2).fill(['agent', 'created_at', 'expires_at', 'key_id', 'last_seen_at', 'revoked_at', 'state']),
    );
    expect(keys[0]).toMatchObject({
      agent: 'a',
      key_id: a.key_id,
      state: 'active',
      expires_at: a.expires_at,
    });
    expect(Date.parse(a.expires_at!) - Date.parse(a.created_at)).toBe(3_600_000);
    expect(keys[1]).toMatchObject({ agent: 'b', key_id: b.key_id, state: 'revoked' });
    expect(typeof keys[1]!.revoked_at).toBe('string');
  });

  it('rotates: add on an existing agent adds a key; --replace revokes the others; revoke --key-id one', async () => {
    const first = await add('w');
    const second = await add('w');
    const third = await add('w', '--replace');
    expect(third.replaced.sort()).toEqual([first.key_id, second.key_id].sort());
    const fourth = await add('w');
    const r = await cli('agent', 'revoke', 'w', '--key-id', third.key_id, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ agent: 'w', revoked: [third.key_id] });
    const { keys } = JSON.parse((await cli('agent', 'list', '--json')).stdout) as {
      keys: { key_id: string; state: string }[];
    };
    expect(keys.filter((k) => k.state === 'active').map((k) => k.key_id)).toEqual([fourth.key_id]);
  });

  it('exits 1 with a clear message when revoking an agent that does not exist', async () => {
    await add('real');
    const r = await cli('agent', 'revoke', 'ghost');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^claude-auth: there is no agent named "ghost"\n {2}See `claude-auth agent list`/,
    );
    const k = await cli('agent', 'revoke', 'real', '--key-id', 'nope');
    expect(k.code).toBe(1);
    expect(k.stderr).toContain('agent "real" has no key with id nope');
  });

  it.each(['-x', 'a/b', 'has space', 'x'.repeat(65)])(
    'refuses the invalid name %j with exit 2',
    async (name) => {
      const r = await runCli(['agent', 'add', '--', name], { env: { CLAUDE_AUTH_HOME: home } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('invalid agent name');
      expect(r.stdout).toBe('');
    },
  );

  it('refuses a bad --expires-in with exit 2', async () => {
    const r = await cli('agent', 'add', 'a', '--expires-in', 'soon');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--expires-in must be a positive duration');
  });

  it('reports a corrupt state file by name and leaves it alone', async () => {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    writeFileSync(join(home, 'state.db'), 'garbage '.repeat(200));
    const r = await cli('agent', 'list');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the state file ${join(home, 'state.db')} is corrupt`);
    expect(readFileSync(join(home, 'state.db'), 'utf8')).toBe('garbage '.repeat(200));
  });

  it('a gateway registry refuses a key within a second of `agent revoke` in another process', async () => {
    const { key } = await add('builder-1');
    const store = await openStateStore({ state: { url: 'sqlite:state.db' } }, home);
    const registry = await KeyRegistry.open(store);
    try {
      expect(registry.verify(key)?.agentId).toBe('builder-1');
      let refusedAt = 0;
      const watch = (async () => {
        const deadline = Date.now() + 20_000;
        while (registry.verify(key) !== null && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 2));
        refusedAt = Date.now();
      })();
      const r = await cli('agent', 'revoke', 'builder-1', '--json');
      expect(r.code).toBe(0);
      const revokedAt = Date.parse((JSON.parse(r.stdout) as { revoked_at: string }).revoked_at);
      await watch;
      expect(registry.verify(key)).toBeNull();
      expect(refusedAt - revokedAt).toBeLessThan(1000);
    } finally {
      await registry.close();
      await store.close();
    }
  });
});

describe('claude-auth agent with [state] url = redis://…', () => {
  const prefix = `claude-auth-test:${randomUUID()}:`;

  afterEach(async () => {
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  function config(url: string): void {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    writeFileSync(join(home, 'config.toml'), `[state]\nurl = "${url}"\n`);
  }

  it('adds, lists and revokes through Redis, and writes no SQLite file', async () => {
    config(`${REDIS_URL}?prefix=${prefix}`);
    const a = await add('r1');
    const { keys } = JSON.parse((await cli('agent', 'list', '--json')).stdout) as {
      keys: { key_id: string }[];
    };
    expect(keys.map((k) => k.key_id)).toEqual([a.key_id]);
    expect((await cli('agent', 'revoke', 'r1')).code).toBe(0);
    expect(existsSync(join(home, 'state.db'))).toBe(false);
  });

  it('exits 1 with a clear message when Redis cannot be reached', async () => {
    config('redis://127.0.0.1:1/0');
    const r = await cli('agent', 'list');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^claude-auth: cannot connect to Redis at redis:\/\/127\.0\.0\.1:1\/0: .*ECONNREFUSED/,
    );
    expect(r.stderr).toContain('Check that Redis is running');
  });
});
