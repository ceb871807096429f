import { LRUCache } from 'lru-cache';
import { type Clock, systemClock } from '../clock.js';

/** What the cache needs to know about a value: when it stops being usable and when to refresh it. */
export interface Expiring {
  /** Epoch ms after which the value must not be served, or Infinity. */
  readonly usableUntil: number;
  /** Epoch ms from which the value is served while one background refresh runs, or Infinity. */
  readonly refreshAt: number;
}

interface Entry<V> {
  readonly value: V;
  /** min(value.usableUntil, stored at + TTL) */
  readonly until: number;
}

export interface AuthenticationCacheOptions {
  /** Entries kept before least-recently-used eviction (`[performance.cache] max_size`). */
  maxSize: number;
  /** Longest an entry lives, whatever its own expiry (`ttl_minutes`). */
  ttlMs: number;
  /** Period of the purge of expired entries (`cleanup_interval_minutes`); 0 disables it. */
  cleanupIntervalMs: number;
  clock?: Clock;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Entries pushed out by the size limit. */
  evictions: number;
  /** Entries dropped because they expired (on lookup or by the purge). */
  expirations: number;
  /** Hits served from inside the refresh-ahead window. */
  staleServed: number;
  /** Times the whole cache was invalidated (a refresh, a revocation, a provider change). */
  invalidations: number;
  size: number;
  maxSize: number;
  hitRate: number;
}

/**
 * The specification's AuthenticationCache: an LRU (lru-cache) with a TTL, a per-entry expiry and a
 * refresh-ahead window. A lookup costs one `Map`-like get and two comparisons; it never awaits.
 * An entry inside its refresh-ahead window is still served (counted as `staleServed`), and the
 * caller starts the single background refresh.
 */
export class AuthenticationCache<V extends Expiring> {
  private readonly lru: LRUCache<string, Entry<V>>;
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly cleanupTimer: NodeJS.Timeout | undefined;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private expirations = 0;
  private staleServed = 0;
  private invalidations = 0;

  constructor(options: AuthenticationCacheOptions) {
    this.clock = options.clock ?? systemClock;
    this.ttlMs = options.ttlMs;
    this.lru = new LRUCache<string, Entry<V>>({
      max: options.maxSize,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.evictions++;
      },
    });
    if (options.cleanupIntervalMs > 0) {
      this.cleanupTimer = setInterval(() => this.purgeExpired(), options.cleanupIntervalMs);
      this.cleanupTimer.unref();
    }
  }

  /**
   * The usable entry for `key`, or undefined. `now` may be passed by a caller that already read the
   * clock. An expired entry is dropped and counts as a miss.
   */
  get(key: string, now = this.clock.now()): V | undefined {
    const entry = this.lru.get(key);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    if (entry.until <= now) {
      this.lru.delete(key);
      this.expirations++;
      this.misses++;
      return undefined;
    }
    this.hits++;
    if (entry.value.refreshAt <= now) this.staleServed++;
    return entry.value;
  }

  /** Stores `value`; it is served until its own `usableUntil` or the cache TTL, whichever is first. */
  set(key: string, value: V, now = this.clock.now()): void {
    this.lru.set(key, { value, until: Math.min(value.usableUntil, now + this.ttlMs) });
  }

  delete(key: string): boolean {
    return this.lru.delete(key);
  }

  /** Drops every entry: the credential behind them changed. */
  invalidateAll(): void {
    this.invalidations++;
    this.lru.clear();
  }

  /** Removes expired entries; runs every `cleanupIntervalMs`. Returns how many it removed. */
  purgeExpired(now = this.clock.now()): number {
    let removed = 0;
    for (const [key, entry] of this.lru.entries()) {
      if (entry.until <= now) {
        this.lru.delete(key);
        removed++;
      }
    }
    this.expirations += removed;
    return removed;
  }

  get size(): number {
    return this.lru.size;
  }

  stats(): CacheStats {
    const lookups = this.hits + this.misses;
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      expirations: this.expirations,
      staleServed: this.staleServed,
      invalidations: this.invalidations,
      size: this.lru.size,
      maxSize: this.lru.max,
      hitRate: lookups === 0 ? 0 : this.hits / lookups,
    };
  }

  /** Stops the purge timer and empties the cache. */
  close(): void {
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    this.lru.clear();
  }
}
