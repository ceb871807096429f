import { z } from 'zod';

/**
 * The config schema: the specification's `[performance.*]` keys with its defaults, and ours
 * (`[auth]`, `[upstream]`, `[gateway]`, `[state]`). Every key is documented in docs/config.md (a test
 * checks that every key and default appears there); keep the two in step. Unknown keys are errors
 * (`.strict()`). Messages of custom checks read `expected …`: the loader appends `, got VALUE`.
 */

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const positiveNumber = z.number().positive();

const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

const httpUrl = z.string().refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), {
  message: 'expected an http:// or https:// URL',
});

const cacheSchema = z
  .object({
    /** Minutes a cached authentication stays valid (bounded further by the token's own expiry). */
    ttl_minutes: positiveNumber.default(60),
    /** Entries kept before least-recently-used eviction. */
    max_size: positiveInt.default(1000),
    /** Minutes between purges of expired entries. */
    cleanup_interval_minutes: positiveNumber.default(10),
  })
  .strict();

const tokenOptimizerSchema = z
  .object({
    /** Refresh requests arriving within this window are coalesced into one batch. */
    batch_timeout_ms: nonNegativeInt.default(500),
    /** Refreshes run at most this many at a time within one batch. */
    max_batch_size: positiveInt.default(10),
    /** Retries of a failed refresh, with exponential backoff and jitter. */
    retry_attempts: nonNegativeInt.max(20).default(3),
  })
  .strict();

const memorySchema = z
  .object({
    /** Total memory that agent sessions may reserve, in MB. */
    max_memory_mb: positiveNumber.default(500),
    /** Above this many reserved MB, idle sessions are evicted least-recently-active first. */
    gc_threshold_mb: positiveNumber.default(400),
    /** Idle minutes after which a session ends. */
    session_timeout_minutes: positiveNumber.default(30),
    /** The most one agent may reserve, in MB (the specification's per-agent limit). */
    max_agent_memory_mb: positiveNumber.default(50),
    /** What a session reserves when the agent does not say (`estimatedMemoryMb`), in MB. */
    default_agent_memory_mb: positiveNumber.default(25),
  })
  .strict()
  .superRefine((memory, ctx) => {
    // Both limits are carved out of the global budget, so neither may exceed it.
    for (const key of ['gc_threshold_mb', 'max_agent_memory_mb'] as const) {
      if (memory[key] > memory.max_memory_mb) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          input: memory[key],
          message: `expected at most max_memory_mb (${memory.max_memory_mb})`,
        });
      }
    }
    if (memory.default_agent_memory_mb > memory.max_agent_memory_mb) {
      ctx.addIssue({
        code: 'custom',
        path: ['default_agent_memory_mb'],
        input: memory.default_agent_memory_mb,
        message: `expected at most max_agent_memory_mb (${memory.max_agent_memory_mb})`,
      });
    }
  });

const monitoringSchema = z
  .object({
    /** Consecutive breaching checks before an alert fires. */
    alert_threshold_breach_count: positiveInt.default(3),
    /** Minutes between scheduled health checks (checks also run on each sample). */
    health_check_interval_minutes: positiveNumber.default(1),
    /** Authentication latency above which the latency rule breaches, in ms. */
    authentication_threshold_ms: positiveNumber.default(100),
    /** Per-agent memory above which the memory rule breaches, in MB. */
    memory_threshold_mb: positiveNumber.default(50),
    /** Cache hit rate below which the cache rule breaches (0–1). */
    cache_hit_rate_threshold: z.number().min(0).max(1).default(0.8),
    /** Minutes after an alert resolves before the same alert may fire again. */
    alert_cooldown_minutes: z.number().nonnegative().default(5),
  })
  .strict();

const performanceSchema = z
  .object({
    enable_caching: z.boolean().default(true),
    enable_token_batching: z.boolean().default(true),
    enable_connection_pooling: z.boolean().default(true),
    enable_memory_optimization: z.boolean().default(true),
    enable_monitoring: z.boolean().default(true),
    cache: cacheSchema.prefault({}),
    token_optimizer: tokenOptimizerSchema.prefault({}),
    memory: memorySchema.prefault({}),
    monitoring: monitoringSchema.prefault({}),
  })
  .strict();

export const PROVIDERS = ['api_key', 'helper', 'oauth2', 'claude_code_token'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

const helperSchema = z
  .object({
    /** Shell command whose stdout is the API key (like Claude Code's apiKeyHelper). */
    command: z.string().min(1).optional(),
    /** How long a key printed by the helper is reused, in ms. */
    ttl_ms: positiveInt.default(300_000),
    /** The helper is killed after this many ms. */
    timeout_ms: positiveInt.default(10_000),
  })
  .strict();

const oauth2Schema = z
  .object({
    token_url: httpUrl.optional(),
    authorize_url: httpUrl.optional(),
    client_id: z.string().min(1).optional(),
    /** Name of the environment variable holding the client secret (never the secret itself). */
    client_secret_env: envVarName.optional(),
    grant: z.enum(['refresh_token', 'client_credentials']).default('refresh_token'),
    scope: z.string().default(''),
    /** How the access token is sent upstream. */
    inject_as: z.enum(['authorization', 'x-api-key']).default('authorization'),
    /** Refresh this many seconds before the access token expires. */
    refresh_margin_seconds: nonNegativeInt.default(300),
  })
  .strict();

const authSchema = z
  .object({
    provider: z.enum(PROVIDERS).default('api_key'),
    /** api_key: an API key in the config file itself (prefer the store or an env var). */
    api_key: z.string().min(1).optional(),
    /** api_key: the environment variable read when the store holds no key. */
    api_key_env: envVarName.default('ANTHROPIC_API_KEY'),
    helper: helperSchema.prefault({}),
    oauth2: oauth2Schema.prefault({}),
  })
  .strict();

const upstreamSchema = z
  .object({
    base_url: httpUrl.default('https://api.anthropic.com'),
  })
  .strict();

const gatewaySchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8787),
    /** Required for a non-loopback bind: the token admin routes demand. Prefer admin_token_env. */
    admin_token_env: envVarName.optional(),
    /** Most upstream connections per origin (the specification's "max connections per host"). */
    max_connections_per_host: positiveInt.max(1024).default(20),
    /** Requests one agent may have in flight through the gateway; more are answered 429. */
    max_concurrent_per_agent: positiveInt.default(64),
    /** Largest request body the gateway accepts, in MB (413 above it). */
    max_body_mb: positiveNumber.default(32),
  })
  .strict();

const stateSchema = z
  .object({
    /** `sqlite:PATH` (relative to CLAUDE_AUTH_HOME) or `redis://host:port/db`. */
    url: z
      .string()
      .refine((s) => s.startsWith('sqlite:') || s.startsWith('redis://') || s.startsWith('rediss://'), {
        message: 'expected sqlite:PATH or redis://HOST:PORT/DB',
      })
      .default('sqlite:state.db'),
  })
  .strict();

export const configSchema = z
  .object({
    performance: performanceSchema.prefault({}),
    auth: authSchema.prefault({}),
    upstream: upstreamSchema.prefault({}),
    gateway: gatewaySchema.prefault({}),
    state: stateSchema.prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type AuthConfig = Config['auth'];
export type OAuth2Config = AuthConfig['oauth2'];
export type HelperConfig = AuthConfig['helper'];
export type PerformanceConfig = Config['performance'];

/** The effective config with nothing set: the specification's defaults. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}

/** Dotted key paths whose values are secrets; `config check` masks them. */
export const SECRET_KEYS: readonly string[] = ['auth.api_key'];
