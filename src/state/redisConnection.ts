import { Redis } from 'ioredis';
import { ClaudeAuthError } from '../errors.js';
import type { RedisTarget } from './redisUrl.js';

const COMMAND_TIMEOUT_MS = 5000;

/**
 * Connects to Redis and waits until it answers, failing fast (no endless reconnect loop) when it
 * cannot be reached. Once connected, a dropped connection is retried every ≤2 s until `close`.
 * @throws ClaudeAuthError state_unavailable
 */
export async function connectRedis(
  target: RedisTarget,
  options: { connectTimeoutMs?: number } = {},
): Promise<RedisConnection> {
  const timeoutMs = options.connectTimeoutMs ?? 3000;
  const connection = new RedisConnection(target, timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  // ioredis's connectTimeout covers only the TCP connect; a server that accepts and never answers
  // would otherwise hang here forever.
  const silence = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([connection.client.connect().then(() => connection.client.ping()), silence]);
  } catch (e) {
    connection.close();
    throw unavailable(target, 'connect to', timedOut ? e : (connection.lastError ?? e));
  } finally {
    clearTimeout(timer);
  }
  return connection;
}

/** An ioredis client plus, on demand, a subscriber connection. */
export class RedisConnection {
  /** The command connection. */
  readonly client: Redis;
  /** The most recent connection error, for messages. */
  lastError: unknown = null;
  private subscriber: Redis | null = null;
  private closing = false;
  /** Retry only connections that once worked: a first connect that fails is reported at once. */
  private connected = false;

  /** Creates the client without connecting (`connectRedis` connects it). */
  constructor(
    /** What to connect to. */
    readonly target: RedisTarget,
    connectTimeoutMs: number,
  ) {
    this.client = this.create(connectTimeoutMs, false);
  }

  /** A second connection in subscriber mode (Redis allows no other commands on it). */
  subscriberClient(): Redis {
    if (this.subscriber === null) {
      this.subscriber = this.client.duplicate({ enableOfflineQueue: true, lazyConnect: false });
      this.subscriber.on('error', (e: unknown) => (this.lastError = e));
    }
    return this.subscriber;
  }

  /** Drops both connections at once; pending commands fail. Idempotent. */
  close(): void {
    this.closing = true;
    this.subscriber?.disconnect();
    this.client.disconnect();
  }

  private create(connectTimeoutMs: number, offlineQueue: boolean): Redis {
    const client = new Redis(this.target.url, {
      lazyConnect: true,
      connectTimeout: connectTimeoutMs,
      // Fail a command instead of queueing it while disconnected: the caller gets state_unavailable.
      enableOfflineQueue: offlineQueue,
      maxRetriesPerRequest: 1,
      // A server that stops answering fails the command instead of hanging the caller.
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (times) => (this.closing || !this.connected ? null : Math.min(times * 200, 2000)),
    });
    client.once('ready', () => (this.connected = true));
    // Without a listener ioredis prints every connection error; we report them through lastError.
    client.on('error', (e: unknown) => (this.lastError = e));
    return client;
  }
}

/** A state_unavailable error naming the Redis location (never its password). */
export function unavailable(target: RedisTarget, doing: string, e: unknown): ClaudeAuthError {
  const why = e instanceof Error ? e.message || e.name : String(e);
  return new ClaudeAuthError('state_unavailable', `cannot ${doing} Redis at ${target.location}: ${why}`, {
    hint: 'Check that Redis is running and reachable, or set [state] url = "sqlite:state.db" for a single host.',
    cause: e,
  });
}
