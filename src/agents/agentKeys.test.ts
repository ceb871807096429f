import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../clock.js';
import { SqliteStateStore } from '../state/sqliteStore.js';
import type { StateStore } from '../state/types.js';
import { issueAgentKey, keyState, revokeAgentKeys } from './agentKeys.js';

let store: StateStore;
const clock: Clock & { t: number } = { t: 1_000_000, now: () => clock.t };

beforeEach(() => {
  store = SqliteStateStore.open(':memory:');
  clock.t = 1_000_000;
});
afterEach(() => store.close());

describe('issueAgentKey', () => {
  it('stores only the SHA-256 of the key, with times from the clock', async () => {
    const issued = await issueAgentKey(store, 'builder-1', { expiresInMs: 60_000, clock });
    expect(issued).toMatchObject({
      agent: 'builder-1',
      createdAt: 1_000_000,
      expiresAt: 1_060_000,
      replaced: [],
    });
    const [stored] = await store.listKeys();
    expect(stored).toMatchObject({
      keyId: issued.keyId,
      agent: 'builder-1',
      createdAt: 1_000_000,
      expiresAt: 1_060_000,
    });
    expect(stored!.keyHash.equals(createHash('sha256').update(issued.key).digest())).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(issued.key.slice(6));
  });

  it('adds another key for an existing agent (rotation) unless replace revokes the old ones', async () => {
    const first = await issueAgentKey(store, 'a', { clock });
    clock.t += 10;
    const second = await issueAgentKey(store, 'a', { clock });
    expect((await store.listKeys({ includeRevoked: false })).map((k) => k.keyId)).toEqual([
      first.keyId,
      second.keyId,
    ]);
    clock.t += 10;
    const third = await issueAgentKey(store, 'a', { clock, replace: true });
    expect([...third.replaced].sort()).toEqual([first.keyId, second.keyId].sort());
    expect((await store.listKeys({ includeRevoked: false })).map((k) => k.keyId)).toEqual([third.keyId]);
  });

  it('rejects an invalid name before touching the store', async () => {
    await expect(issueAgentKey(store, 'no/slashes')).rejects.toMatchObject({ code: 'usage' });
    expect(await store.listKeys()).toEqual([]);
  });
});

describe('revokeAgentKeys', () => {
  it('revokes every key of the agent, or one', async () => {
    const a = await issueAgentKey(store, 'a', { clock });
    const b = await issueAgentKey(store, 'a', { clock });
    clock.t = 2_000_000;
    expect(await revokeAgentKeys(store, 'a', { keyId: a.keyId, clock })).toEqual({
      agent: 'a',
      revoked: [a.keyId],
      revokedAt: 2_000_000,
    });
    expect((await revokeAgentKeys(store, 'a', { clock })).revoked).toEqual([b.keyId]);
    expect((await revokeAgentKeys(store, 'a', { clock })).revoked).toEqual([]);
  });

  it('is agent_not_found for an unknown agent or a key id the agent does not have', async () => {
    await issueAgentKey(store, 'a');
    const other = await issueAgentKey(store, 'b');
    await expect(revokeAgentKeys(store, 'nobody')).rejects.toMatchObject({
      code: 'agent_not_found',
      message: 'there is no agent named "nobody"',
    });
    await expect(revokeAgentKeys(store, 'a', { keyId: other.keyId })).rejects.toMatchObject({
      code: 'agent_not_found',
    });
    expect(await store.listKeys({ includeRevoked: false })).toHaveLength(2);
  });
});

describe('keyState', () => {
  it('is revoked, expired or active', async () => {
    const k = await issueAgentKey(store, 'a', { expiresInMs: 100, clock });
    const [rec] = await store.listKeys();
    expect(keyState(rec!, k.createdAt + 99)).toBe('active');
    expect(keyState(rec!, k.createdAt + 100)).toBe('expired');
    expect(keyState({ ...rec!, revokedAt: 1 }, 0)).toBe('revoked');
  });
});
