import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaudeAuthError } from '../errors.js';
import { CredentialStore } from './store.js';

let dir: string;
let home: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ca-store-'));
  home = join(dir, 'home');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('CredentialStore', () => {
  it('reads a missing file as an empty store', () => {
    expect(new CredentialStore(home).read()).toEqual({ version: 1 });
  });

  it('writes 0600 in a 0700 directory, leaving no temp files', async () => {
    const store = new CredentialStore(home);
    await store.update((d) => {
      d.api_key = { key: 'sk-ant-api03-secret', saved_at: 1 };
    });
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(readdirSync(home).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(store.read().api_key?.key).toBe('sk-ant-api03-secret');
  });

  it('preserves fields it does not know, at the top and inside entries', async () => {
    const store = new CredentialStore(home);
    await store.update((d) => {
      d.api_key = { key: 'k1', saved_at: 1 };
    });
    const raw = JSON.parse(readFileSync(store.path, 'utf8'));
    raw.someOtherTool = { keep: true };
    raw.api_key.note = 'mine';
    writeFileSync(store.path, JSON.stringify(raw));
    await store.update((d) => {
      d.claude_code_token = { token: 'sk-ant-oat01-x', saved_at: 2 };
      if (d.api_key) d.api_key = { ...d.api_key, key: 'k2' };
    });
    const after = JSON.parse(readFileSync(store.path, 'utf8'));
    expect(after.someOtherTool).toEqual({ keep: true });
    expect(after.api_key).toEqual({ key: 'k2', saved_at: 1, note: 'mine' });
  });

  it('writes through a symlinked store instead of replacing the link', async () => {
    const shared = join(dir, 'shared-credentials.json');
    writeFileSync(shared, JSON.stringify({ version: 1 }), { mode: 0o600 });
    const store = new CredentialStore(home);
    await store.update(() => undefined); // creates home
    symlinkSync(shared, store.path);
    await store.update((d) => {
      d.api_key = { key: 'through-the-link', saved_at: 1 };
    });
    expect(statSync(store.path, { throwIfNoEntry: true }).isFile()).toBe(true);
    expect(JSON.parse(readFileSync(shared, 'utf8')).api_key.key).toBe('through-the-link');
    const { lstatSync } = await import('node:fs');
    expect(lstatSync(store.path).isSymbolicLink()).toBe(true);
  });

  it('refuses a corrupt file, keeps a backup copy and never overwrites it', async () => {
    const store = new CredentialStore(home);
    await store.update(() => undefined);
    writeFileSync(store.path, '{"version":1, "api_key": {"key": "sk-ant-api03-precious"', { mode: 0o600 });
    let error: unknown;
    try {
      await store.update((d) => {
        d.api_key = { key: 'new', saved_at: 1 };
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ClaudeAuthError);
    const err = error as ClaudeAuthError;
    expect(err.code).toBe('credential_store_corrupt');
    expect(err.message).toContain('not valid JSON');
    expect(err.message).not.toContain('precious');
    const backups = readdirSync(home).filter((f) => f.startsWith('credentials.json.corrupt-'));
    expect(backups).toHaveLength(1);
    expect(err.hint).toContain(backups[0]);
    expect(readFileSync(store.path, 'utf8')).toContain('sk-ant-api03-precious');
    expect(readFileSync(join(home, backups[0] as string), 'utf8')).toContain('sk-ant-api03-precious');
  });

  it('reports a store with a wrong version as corrupt', () => {
    const store = new CredentialStore(home);
    store.write({ version: 1 });
    writeFileSync(store.path, JSON.stringify({ version: 7 }));
    expect(() => store.read()).toThrow(/"version" is 7, expected 1/);
  });

  it('serializes concurrent updates within one process: no lost writes', async () => {
    const store = new CredentialStore(home);
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        store.update(async (d) => {
          const n = Number((d as { counter?: number }).counter ?? 0);
          await new Promise((r) => setImmediate(r));
          (d as { counter?: number }).counter = n + 1;
          return i;
        }),
      ),
    );
    expect((store.read() as { counter?: number }).counter).toBe(25);
    expect(existsSync(join(home, 'credentials.json.lock'))).toBe(false);
  });

  it('releases the lock when the update function throws', async () => {
    const store = new CredentialStore(home);
    await expect(
      store.update(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await store.update((d) => {
      d.api_key = { key: 'after', saved_at: 1 };
    });
    expect(store.read().api_key?.key).toBe('after');
  });
});
