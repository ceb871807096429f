import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClaudeAuthError } from '../errors.js';
import { openStateStore, parseStateUrl } from './open.js';
import { DEFAULT_REDIS_PREFIX, parseRedisUrl } from './redisUrl.js';

const HOME = '/home/x/.local/share/claude-auth';

async function failure(p: Promise<unknown>): Promise<ClaudeAuthError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ClaudeAuthError);
  return e as ClaudeAuthError;
}

describe('parseStateUrl', () => {
  it('resolves sqlite paths against CLAUDE_AUTH_HOME, keeps absolute ones, knows :memory:', () => {
    expect(parseStateUrl('sqlite:state.db', HOME)).toEqual({ kind: 'sqlite', file: join(HOME, 'state.db') });
    expect(parseStateUrl('sqlite:sub/s.db', HOME)).toEqual({ kind: 'sqlite', file: join(HOME, 'sub/s.db') });
    expect(parseStateUrl('sqlite:/var/lib/ca.db', HOME)).toEqual({ kind: 'sqlite', file: '/var/lib/ca.db' });
    expect(parseStateUrl('sqlite::memory:', HOME)).toEqual({ kind: 'sqlite', file: ':memory:' });
    expect(parseStateUrl('redis://h:6379/2', HOME)).toEqual({ kind: 'redis', url: 'redis://h:6379/2' });
  });

  it.each(['sqlite:', 'postgres://x', 'state.db', ''])('rejects %j with config_invalid', (url) => {
    expect(() => parseStateUrl(url, HOME)).toThrow(ClaudeAuthError);
    try {
      parseStateUrl(url, HOME);
    } catch (e) {
      expect((e as ClaudeAuthError).code).toBe('config_invalid');
      expect((e as ClaudeAuthError).hint).toMatch(/sqlite:state\.db/);
    }
  });
});

describe('parseRedisUrl', () => {
  it('takes the prefix from ?prefix= or the caller, default claude-auth:', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379/0').prefix).toBe(DEFAULT_REDIS_PREFIX);
    const t = parseRedisUrl('redis://127.0.0.1:6379/0?prefix=team-a:');
    expect(t.prefix).toBe('team-a:');
    expect(t.url).toBe('redis://127.0.0.1:6379/0');
    expect(parseRedisUrl('redis://127.0.0.1/0?prefix=a:', 'b:').prefix).toBe('b:');
  });

  it('never shows the password', () => {
    const t = parseRedisUrl('redis://user:hunter2@127.0.0.1:6379/0');
    expect(t.location).toBe('redis://user:***@127.0.0.1:6379/0');
    expect(() => parseRedisUrl('redis://u:hunter2@h/notanumber')).toThrow(/u:\*\*\*@/);
  });

  it.each(['redis://', 'redis://h/db1', 'http://h'])('rejects %j with config_invalid', (url) => {
    expect(() => parseRedisUrl(url)).toThrow(expect.objectContaining({ code: 'config_invalid' }));
  });
});

describe('openStateStore with Redis', () => {
  it('fails fast with state_unavailable when nothing listens, naming the URL but not the password', async () => {
    const started = Date.now();
    const e = await failure(
      openStateStore({ state: { url: 'redis://:s3cret@127.0.0.1:1/0' } }, HOME, { connectTimeoutMs: 2000 }),
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(e.code).toBe('state_unavailable');
    expect(e.message).toContain('127.0.0.1:1');
    expect(e.message).not.toContain('s3cret');
    expect(e.hint).toMatch(/Redis is running/);
  });

  it('fails with state_unavailable when the server accepts but never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => void sockets.push(s)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as AddressInfo;
    const started = Date.now();
    const e = await failure(
      openStateStore({ state: { url: `redis://127.0.0.1:${port}/0` } }, HOME, { connectTimeoutMs: 500 }),
    );
    for (const s of sockets) s.destroy();
    silent.close();
    expect(e.code).toBe('state_unavailable');
    expect(e.message).toMatch(/no answer within 500 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
