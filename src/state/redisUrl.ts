import { ClaudeAuthError } from '../errors.js';

/** The key prefix when the URL names none. */
export const DEFAULT_REDIS_PREFIX = 'claude-auth:';

/** A Redis URL taken apart: what to connect to, the key prefix, and a printable form. */
export interface RedisTarget {
  /** The URL for ioredis (without our `prefix` parameter). */
  readonly url: string;
  /** Prefix of every key and channel (`?prefix=` in the URL, default `claude-auth:`). */
  readonly prefix: string;
  /** The URL with any password masked, for messages. */
  readonly location: string;
}

/**
 * Parses `redis://[user:password@]host[:port][/db][?prefix=P]` (or `rediss://`).
 * @throws ClaudeAuthError config_invalid
 */
export function parseRedisUrl(raw: string, prefix?: string): RedisTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badUrl(raw, 'it is not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw badUrl(raw, 'expected redis:// or rediss://');
  if (url.hostname === '') throw badUrl(raw, 'it names no host');
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw badUrl(raw, `the database "${db}" is not a number`);
  const chosen = prefix ?? url.searchParams.get('prefix') ?? DEFAULT_REDIS_PREFIX;
  url.searchParams.delete('prefix');
  const printable = new URL(url);
  if (printable.password) printable.password = '***';
  const location = `${printable}${chosen === DEFAULT_REDIS_PREFIX ? '' : ` (prefix ${chosen})`}`;
  return { url: url.toString(), prefix: chosen, location };
}

function badUrl(raw: string, why: string): ClaudeAuthError {
  const shown = raw.replace(/\/\/([^@/]*):[^@/]*@/, '//$1:***@');
  return new ClaudeAuthError('config_invalid', `[state] url "${shown}" is not a usable Redis URL: ${why}`, {
    hint: 'Use redis://HOST:PORT/DB, e.g. redis://127.0.0.1:6379/0.',
  });
}
