import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaudeAuthError } from '../errors.js';
import { openStateStore } from './open.js';
import { SCHEMA_VERSION } from './sqliteSchema.js';
import { SqliteStateStore } from './sqliteStore.js';

let dir: string;
let home: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ca-sqlite-'));
  home = join(dir, 'home');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o777;

async function failure(p: Promise<unknown>): Promise<ClaudeAuthError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ClaudeAuthError);
  return e as ClaudeAuthError;
}

describe('SqliteStateStore', () => {
  it('creates state.db 0600 (and its WAL files) in a 0700 CLAUDE_AUTH_HOME', async () => {
    const store = await openStateStore({ state: { url: 'sqlite:state.db' } }, home);
    await store.addKey({ keyId: 'k', agent: 'a', keyHash: randomBytes(32), createdAt: 1, expiresAt: null });
    expect(store.location).toBe(join(home, 'state.db'));
    expect(mode(home)).toBe(0o700);
    expect(mode(join(home, 'state.db'))).toBe(0o600);
    expect(mode(join(home, 'state.db-wal'))).toBe(0o600);
    expect(mode(join(home, 'state.db-shm'))).toBe(0o600);
    await store.close();
  });

  it('uses WAL, a busy timeout and records the schema version', async () => {
    const file = join(dir, 'abs.db');
    const store = await openStateStore({ state: { url: `sqlite:${file}` } }, home);
    await store.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('keeps data across reopen and runs no migration twice', async () => {
    const file = join(dir, 's.db');
    const a = SqliteStateStore.open(file);
    await a.setValue('x', '1');
    await a.close();
    const b = SqliteStateStore.open(file);
    expect(await b.getValue('x')).toBe('1');
    await b.close();
  });

  it('runs in memory for tests (sqlite::memory:)', async () => {
    const store = await openStateStore({ state: { url: 'sqlite::memory:' } }, home);
    await store.setValue('a', 'b');
    expect(await store.getValue('a')).toBe('b');
    await store.close();
  });

  it('reports a file that is not a database as state_corrupt, naming it, and leaves it alone', async () => {
    const file = join(dir, 'state.db');
    const junk = 'this is not a database\n'.repeat(100);
    writeFileSync(file, junk);
    const e = await failure(openStateStore({ state: { url: `sqlite:${file}` } }, home));
    expect(e.code).toBe('state_corrupt');
    expect(e.message).toContain(file);
    expect(e.hint).toMatch(/Nothing was changed/);
    expect(readFileSync(file, 'utf8')).toBe(junk);
  });

  it('reports damaged pages in a real database as state_corrupt', async () => {
    const file = join(dir, 'state.db');
    const store = SqliteStateStore.open(file);
    for (let i = 0; i < 200; i++) {
      await store.addKey({
        keyId: `k${i}`,
        agent: `agent-${i}`,
        keyHash: randomBytes(32),
        createdAt: i,
        expiresAt: null,
      });
    }
    await store.close();
    const fd = openSync(file, 'r+');
    writeSync(fd, randomBytes(4096 * 3), 0, 4096 * 3, 4096); // pages 2-4: table and index b-trees
    closeSync(fd);
    const before = readFileSync(file);
    const e = await failure(openStateStore({ state: { url: `sqlite:${file}` } }, home));
    expect(e.code).toBe('state_corrupt');
    expect(e.message).toContain(file);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a file written by a newer schema', async () => {
    const file = join(dir, 'state.db');
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const e = await failure(openStateStore({ state: { url: `sqlite:${file}` } }, home));
    expect(e.code).toBe('state_unavailable');
    expect(e.message).toContain(`schema version ${SCHEMA_VERSION + 1}`);
  });

  it('reports an unwritable location as state_unavailable', async () => {
    writeFileSync(join(dir, 'file'), '');
    const e = await failure(
      openStateStore({ state: { url: `sqlite:${join(dir, 'file', 'state.db')}` } }, home),
    );
    expect(e.code).toBe('state_unavailable');
  });

  it('serializes writers from two connections on one file', async () => {
    const file = join(dir, 'state.db');
    const a = SqliteStateStore.open(file);
    const b = SqliteStateStore.open(file);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? a : b).addKey({
          keyId: `k${i}`,
          agent: 'x',
          keyHash: randomBytes(32),
          createdAt: i,
          expiresAt: null,
        }),
      ),
    );
    expect(await a.listKeys()).toHaveLength(50);
    await a.close();
    await b.close();
  });
});
