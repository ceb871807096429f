import { describe, expect, it } from 'vitest';
import { configSchema, defaultConfig, SECRET_KEYS } from './schema.js';

describe('defaultConfig', () => {
  it("equals the specification's values", () => {
    const c = defaultConfig();
    expect(c.performance).toEqual({
      enable_caching: true,
      enable_token_batching: true,
      enable_connection_pooling: true,
      enable_memory_optimization: true,
      enable_monitoring: true,
      cache: { ttl_minutes: 60, max_size: 1000, cleanup_interval_minutes: 10 },
      token_optimizer: { batch_timeout_ms: 500, max_batch_size: 10, retry_attempts: 3 },
      memory: {
        max_memory_mb: 500,
        gc_threshold_mb: 400,
        session_timeout_minutes: 30,
        max_agent_memory_mb: 50,
        default_agent_memory_mb: 25,
      },
      monitoring: {
        alert_threshold_breach_count: 3,
        health_check_interval_minutes: 1,
        authentication_threshold_ms: 100,
        memory_threshold_mb: 50,
        cache_hit_rate_threshold: 0.8,
        alert_cooldown_minutes: 5,
      },
    });
  });

  it('has our defaults: api_key provider, loopback gateway, sqlite state, no secret', () => {
    const c = defaultConfig();
    expect(c.auth.provider).toBe('api_key');
    expect(c.auth.api_key).toBeUndefined();
    expect(c.auth.api_key_env).toBe('ANTHROPIC_API_KEY');
    expect(c.upstream.base_url).toBe('https://api.anthropic.com');
    expect(c.gateway).toEqual({
      host: '127.0.0.1',
      port: 8787,
      max_connections_per_host: 20,
      max_concurrent_per_agent: 64,
      max_body_mb: 32,
    });
    expect(c.state.url).toBe('sqlite:state.db');
    expect(SECRET_KEYS).toContain('auth.api_key');
  });

  it('returns a fresh object each time', () => {
    const a = defaultConfig();
    a.performance.cache.max_size = 1;
    expect(defaultConfig().performance.cache.max_size).toBe(1000);
  });
});

describe('cross-field memory rules', () => {
  const memory = (m: Record<string, number>) => configSchema.safeParse({ performance: { memory: m } });

  it('accepts limits equal to the budget', () => {
    expect(memory({ max_memory_mb: 100, gc_threshold_mb: 100, max_agent_memory_mb: 100 }).success).toBe(true);
  });

  it('rejects gc_threshold_mb and max_agent_memory_mb above max_memory_mb, each on its own key', () => {
    const r = memory({ max_memory_mb: 100, gc_threshold_mb: 101, max_agent_memory_mb: 200 });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual([
      'performance.memory.gc_threshold_mb',
      'performance.memory.max_agent_memory_mb',
    ]);
  });
});
