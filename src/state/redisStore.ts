import { ClaudeAuthError } from '../errors.js';
import { connectRedis, type RedisConnection, unavailable } from './redisConnection.js';
import { ADD_KEY, REVOKE_KEYS, TOUCH_KEYS } from './redisScripts.js';
import type { RedisTarget } from './redisUrl.js';
import type {
  AgentSessionRecord,
  KeyFilter,
  NewVirtualKey,
  StateStore,
  Unsubscribe,
  VirtualKeyRecord,
} from './types.js';

/**
 * The state backend for many hosts: Redis via ioredis, every key under a prefix. Key changes are
 * published on a channel by the same Lua script that makes them, so watchers on every host hear
 * of a revocation within a round trip. See redisScripts.ts for the key layout.
 */
export class RedisStateStore implements StateStore {
  readonly location: string;
  private readonly redis: RedisConnection['client'];
  private readonly p: string;
  private readonly channel: string;
  private readonly watchers = new Set<() => void>();
  private subscribed = false;
  /** Last `keys-generation` seen: tells a real change from a mere (re)subscription. */
  private generation: string | null = null;
  private generationCheck: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(private readonly connection: RedisConnection) {
    this.redis = connection.client;
    this.location = connection.target.location;
    this.p = connection.target.prefix;
    this.channel = `${this.p}keys-changed`;
  }

  /**
   * Connects to the Redis server named by `target` and checks that it answers.
   * @throws ClaudeAuthError state_unavailable when it cannot be reached within the timeout.
   */
  static async connect(
    target: RedisTarget,
    options: { connectTimeoutMs?: number } = {},
  ): Promise<RedisStateStore> {
    return new RedisStateStore(await connectRedis(target, options));
  }

  async addKey(key: NewVirtualKey, options: { replace?: boolean } = {}): Promise<string[]> {
    const reply = await this.run('add a key to', () =>
      this.redis.eval(
        ADD_KEY,
        4,
        `${this.p}key:${key.keyId}`,
        `${this.p}keys`,
        `${this.p}agent-keys:${key.agent}`,
        `${this.p}key-hash:${key.keyHash.toString('hex')}`,
        key.keyId,
        key.agent,
        key.keyHash.toString('hex'),
        key.createdAt,
        key.expiresAt ?? '',
        options.replace ? '1' : '0',
        this.p,
        this.channel,
      ),
    );
    const [added, ...replaced] = reply as [number, ...string[]];
    if (added !== 1) {
      throw new ClaudeAuthError(
        'usage',
        `a virtual key with id ${key.keyId} or the same hash already exists`,
      );
    }
    return replaced;
  }

  async listKeys(filter: KeyFilter = {}): Promise<VirtualKeyRecord[]> {
    const set = filter.agent === undefined ? `${this.p}keys` : `${this.p}agent-keys:${filter.agent}`;
    const records = await this.run('list keys in', async () => {
      const ids = await this.redis.smembers(set);
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hgetall(`${this.p}key:${id}`);
      const replies = ids.length === 0 ? [] : ((await pipeline.exec()) ?? []);
      return replies.map(([err, fields], i) => {
        if (err) throw err;
        return keyFromHash(ids[i]!, fields as Record<string, string>, this.location);
      });
    });
    return records
      .filter((r) => filter.includeRevoked !== false || r.revokedAt === null)
      .sort((a, b) => cmp(a.agent, b.agent) || a.createdAt - b.createdAt || cmp(a.keyId, b.keyId));
  }

  async revokeKeys(agent: string, at: number, keyId?: string): Promise<string[]> {
    const ids = await this.run('revoke keys in', () =>
      this.redis.eval(REVOKE_KEYS, 1, `${this.p}agent-keys:${agent}`, at, keyId ?? '', this.p, this.channel),
    );
    return ids as string[];
  }

  async touchKeys(seen: ReadonlyMap<string, number>): Promise<void> {
    if (seen.size === 0) return;
    const keys = [...seen.keys()].map((id) => `${this.p}key:${id}`);
    await this.run('record last-seen times in', () =>
      this.redis.eval(TOUCH_KEYS, keys.length, ...keys, ...seen.values()),
    );
  }

  watchKeys(onChange: () => void): Unsubscribe {
    if (this.closed) throw unavailable(this.connection.target, 'watch', new Error('the store is closed'));
    this.watchers.add(onChange);
    if (!this.subscribed) {
      this.subscribed = true;
      // The baseline is requested now, before any reload the watcher starts, so a change that lands
      // after the reload read the keys cannot be taken for the baseline. If it cannot be read, the
      // first check fires.
      this.generationCheck = this.redis.get(`${this.p}keys-generation`).then(
        (g) => void (this.generation = g),
        () => void (this.generation = UNKNOWN),
      );
      const sub = this.connection.subscriberClient();
      sub.on('message', (channel: string, generation: string) => {
        if (channel !== this.channel) return;
        this.generation = generation;
        this.notify();
      });
      // Messages published while the subscription was not (yet, or no longer) active are lost:
      // each time it is (re)established, compare the generation counter instead.
      sub.on('ready', () => this.checkGeneration());
      sub.subscribe(this.channel).then(
        () => this.checkGeneration(),
        () => undefined,
      );
    }
    return () => {
      this.watchers.delete(onChange);
    };
  }

  async putSession(session: AgentSessionRecord): Promise<void> {
    const key = `${this.p}session:${session.name}`;
    await this.run('save a session in', () =>
      this.redis
        .multi()
        .del(key)
        .hset(key, {
          created_at: session.createdAt,
          last_seen_at: session.lastSeenAt,
          reserved_mb: session.reservedMb,
          metadata: JSON.stringify(session.metadata),
        })
        .sadd(`${this.p}sessions`, session.name)
        .exec(),
    );
  }

  async getSession(name: string): Promise<AgentSessionRecord | null> {
    const fields = await this.run('read a session from', () =>
      this.redis.hgetall(`${this.p}session:${name}`),
    );
    return Object.keys(fields).length === 0 ? null : this.sessionFromHash(name, fields);
  }

  async listSessions(): Promise<AgentSessionRecord[]> {
    const names = (await this.run('list sessions in', () => this.redis.smembers(`${this.p}sessions`))).sort(
      cmp,
    );
    const sessions = await Promise.all(names.map((n) => this.getSession(n)));
    return sessions.filter((s): s is AgentSessionRecord => s !== null);
  }

  async deleteSession(name: string): Promise<boolean> {
    const replies = await this.run('delete a session from', () =>
      this.redis.multi().del(`${this.p}session:${name}`).srem(`${this.p}sessions`, name).exec(),
    );
    return replies?.[0]?.[1] === 1;
  }

  async getValue(key: string): Promise<string | null> {
    return this.run('read a value from', () => this.redis.hget(`${this.p}kv`, key));
  }

  async setValue(key: string, value: string): Promise<void> {
    await this.run('write a value to', () => this.redis.hset(`${this.p}kv`, key, value));
  }

  async deleteValue(key: string): Promise<boolean> {
    return (await this.run('delete a value from', () => this.redis.hdel(`${this.p}kv`, key))) > 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watchers.clear();
    this.connection.close();
  }

  private async run<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw unavailable(this.connection.target, doing, new Error('the store is closed'));
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ClaudeAuthError) throw e;
      throw unavailable(this.connection.target, doing, e);
    }
  }

  /** Fires the watchers if `keys-generation` moved since it was last seen. Checks run one at a time. */
  private checkGeneration(): void {
    this.generationCheck = this.generationCheck.then(async () => {
      if (this.closed) return;
      let current: string | null;
      try {
        current = await this.redis.get(`${this.p}keys-generation`);
      } catch {
        return; // disconnected: the next 'ready' checks again
      }
      const moved = current !== this.generation;
      this.generation = current;
      if (moved) this.notify();
    });
  }

  private notify(): void {
    for (const watcher of [...this.watchers]) {
      try {
        watcher();
      } catch {
        // a watcher's failure must not stop the others
      }
    }
  }

  private sessionFromHash(name: string, fields: Record<string, string>): AgentSessionRecord {
    let metadata: unknown;
    try {
      metadata = JSON.parse(fields.metadata ?? '{}');
    } catch (e) {
      throw corrupt(this.location, `the session "${name}" has metadata that is not JSON`, e);
    }
    return {
      name,
      createdAt: Number(fields.created_at),
      lastSeenAt: Number(fields.last_seen_at),
      reservedMb: Number(fields.reserved_mb ?? 0),
      metadata: metadata as Record<string, unknown>,
    };
  }
}

/** A generation no counter ever has. */
const UNKNOWN = 'unknown';

function keyFromHash(keyId: string, h: Record<string, string>, location: string): VirtualKeyRecord {
  if (h.agent === undefined || h.hash === undefined || !/^[0-9a-f]{64}$/.test(h.hash)) {
    throw corrupt(location, `the key ${keyId} is missing or damaged`);
  }
  const time = (v: string | undefined) => (v === undefined ? null : Number(v));
  return {
    keyId,
    agent: h.agent,
    keyHash: Buffer.from(h.hash, 'hex'),
    createdAt: Number(h.created_at),
    expiresAt: time(h.expires_at),
    revokedAt: time(h.revoked_at),
    lastSeenAt: time(h.last_seen_at),
  };
}

function corrupt(location: string, what: string, cause?: unknown): ClaudeAuthError {
  return new ClaudeAuthError('state_corrupt', `state in Redis at ${location} is damaged: ${what}`, {
    hint: 'Someone changed these Redis keys by hand or another program uses the same prefix; choose another ?prefix=.',
    cause,
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
