import { isAbsolute, join } from 'node:path';
import type { Config } from '../config/schema.js';
import { ClaudeAuthError } from '../errors.js';
import { parseRedisUrl } from './redisUrl.js';
import { MEMORY } from './sqliteFile.js';
import { SqliteStateStore, type SqliteStateStoreOptions } from './sqliteStore.js';
import type { StateStore } from './types.js';

/** Where `[state] url` points. */
export type StateTarget =
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'redis'; readonly url: string };

/**
 * Parses `[state] url`: `sqlite:PATH` (relative to `home`, or absolute), `sqlite::memory:`, or
 * `redis://…` / `rediss://…`.
 * @throws ClaudeAuthError config_invalid
 */
export function parseStateUrl(url: string, home: string): StateTarget {
  if (url.startsWith('redis://') || url.startsWith('rediss://')) return { kind: 'redis', url };
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === MEMORY) return { kind: 'sqlite', file: MEMORY };
    if (path.trim() === '') throw badUrl(url, 'it names no file');
    return { kind: 'sqlite', file: isAbsolute(path) ? path : join(home, path) };
  }
  throw badUrl(url, 'expected sqlite:PATH or redis://HOST:PORT/DB');
}

export interface OpenStateOptions extends SqliteStateStoreOptions {
  /** Redis key prefix, overriding the URL's `?prefix=` (tests use their own). */
  redisPrefix?: string;
  /** How long to wait for Redis to answer (ms). Default 3000. */
  connectTimeoutMs?: number;
}

/**
 * Opens the state store named by `[state] url`: SQLite (default `state.db` in `home`) or Redis.
 * Close it when done.
 * @throws ClaudeAuthError config_invalid (bad URL), state_unavailable (unreachable Redis, unwritable
 *   file), state_corrupt (a damaged SQLite file, named in the message)
 */
export async function openStateStore(
  config: Pick<Config, 'state'>,
  home: string,
  options: OpenStateOptions = {},
): Promise<StateStore> {
  const target = parseStateUrl(config.state.url, home);
  if (target.kind === 'sqlite') return SqliteStateStore.open(target.file, options);
  // Loaded on demand: ioredis costs ~150 ms of start-up that SQLite users should not pay.
  const { RedisStateStore } = await import('./redisStore.js');
  return RedisStateStore.connect(parseRedisUrl(target.url, options.redisPrefix), options);
}

function badUrl(url: string, why: string): ClaudeAuthError {
  return new ClaudeAuthError('config_invalid', `[state] url "${url}" is not valid: ${why}`, {
    hint: 'Use sqlite:state.db (relative to CLAUDE_AUTH_HOME), sqlite:/absolute/path.db or redis://127.0.0.1:6379/0.',
  });
}
