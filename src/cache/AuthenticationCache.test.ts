import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuthenticationCache } from './AuthenticationCache.js';

const clock = { now: () => Date.now() };
const value = (usableUntil: number, refreshAt = Number.POSITIVE_INFINITY) => ({
  usableUntil,
  refreshAt,
  tag: usableUntil,
});

let cache: AuthenticationCache<ReturnType<typeof value>>;

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  cache = new AuthenticationCache({ maxSize: 3, ttlMs: 60_000, cleanupIntervalMs: 10_000, clock });
});
afterEach(() => {
  cache.close();
  vi.useRealTimers();
});

describe('AuthenticationCache', () => {
  it('counts hits and misses and reports the hit rate', () => {
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', value(Number.POSITIVE_INFINITY));
    expect(cache.get('a')?.tag).toBe(Number.POSITIVE_INFINITY);
    expect(cache.get('a')).toBeDefined();
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 1, size: 1, maxSize: 3 });
    expect(cache.stats().hitRate).toBeCloseTo(2 / 3);
  });

  it('evicts the least recently used entry beyond max_size and counts it', () => {
    for (const k of ['a', 'b', 'c']) cache.set(k, value(Number.POSITIVE_INFINITY));
    cache.get('a'); // a is now most recent
    cache.set('d', value(Number.POSITIVE_INFINITY));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.stats().evictions).toBe(1);
  });

  it('never serves an entry past its own expiry, nor past the cache TTL', () => {
    cache.set('short', value(Date.now() + 5_000));
    cache.set('long', value(Number.POSITIVE_INFINITY));
    vi.advanceTimersByTime(4_999);
    expect(cache.get('short')).toBeDefined();
    vi.advanceTimersByTime(1);
    expect(cache.get('short')).toBeUndefined();
    vi.advanceTimersByTime(60_000 - 5_000 - 1);
    expect(cache.get('long')).toBeDefined();
    vi.advanceTimersByTime(1);
    expect(cache.get('long')).toBeUndefined();
    expect(cache.stats().expirations).toBe(2);
  });

  it('serves an entry inside its refresh-ahead window and counts it as stale-served', () => {
    const now = Date.now();
    cache.set('a', value(now + 10_000, now + 8_000));
    expect(cache.get('a')).toBeDefined();
    expect(cache.stats().staleServed).toBe(0);
    vi.advanceTimersByTime(8_000);
    expect(cache.get('a')).toBeDefined();
    expect(cache.stats().staleServed).toBe(1);
  });

  it('purges expired entries every cleanup interval', () => {
    cache.set('a', value(Date.now() + 1_000));
    cache.set('b', value(Number.POSITIVE_INFINITY));
    expect(cache.size).toBe(2);
    vi.advanceTimersByTime(10_000);
    expect(cache.size).toBe(1);
    expect(cache.stats().expirations).toBe(1);
  });

  it('invalidateAll drops everything and counts the invalidation', () => {
    cache.set('a', value(Number.POSITIVE_INFINITY));
    cache.invalidateAll();
    expect(cache.get('a')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ invalidations: 1, size: 0 });
  });
});
