import { stringify } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './error.js';
import { parseConfig, validateConfig } from './load.js';
import { defaultConfig } from './schema.js';

const SECRET = 'sk-ant-api03-TOPSECRETvalue0123456789';

/** The error parseConfig throws for `text`, or a failed test when it does not throw. */
function configError(text: string): ConfigError {
  try {
    parseConfig(text, 'config.toml');
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const FULL = `
[performance]
enable_caching = false
enable_token_batching = false
enable_connection_pooling = false
enable_memory_optimization = false
enable_monitoring = false

[performance.cache]
ttl_minutes = 15
max_size = 50
cleanup_interval_minutes = 2.5

[performance.token_optimizer]
batch_timeout_ms = 0
max_batch_size = 4
retry_attempts = 0

[performance.memory]
max_memory_mb = 2048
gc_threshold_mb = 1500
session_timeout_minutes = 5
max_agent_memory_mb = 128
default_agent_memory_mb = 20

[performance.monitoring]
alert_threshold_breach_count = 1
health_check_interval_minutes = 0.5
authentication_threshold_ms = 250
memory_threshold_mb = 100
cache_hit_rate_threshold = 0.95
alert_cooldown_minutes = 0

[auth]
provider = "oauth2"
api_key = "${SECRET}"
api_key_env = "MY_KEY"

[auth.helper]
command = "pass show anthropic"
ttl_ms = 60_000
timeout_ms = 2000

[auth.oauth2]
token_url = "https://idp.example.com/oauth/token"
authorize_url = "https://idp.example.com/oauth/authorize"
client_id = "fleet"
client_secret_env = "CLIENT_SECRET"
grant = "client_credentials"
scope = "llm"
inject_as = "x-api-key"
refresh_margin_seconds = 60

[upstream]
base_url = "https://llm-gateway.example.com"

[gateway]
host = "0.0.0.0"
port = 0
admin_token_env = "ADMIN_TOKEN"
max_connections_per_host = 8
max_concurrent_per_agent = 4
max_body_mb = 1.5

[state]
url = "redis://127.0.0.1:6379/0"
`;

describe('parseConfig', () => {
  it('gives the defaults for an empty file', () => {
    expect(parseConfig('', 'config.toml')).toEqual(defaultConfig());
    expect(parseConfig('\uFEFF# only a comment\n', 'config.toml')).toEqual(defaultConfig());
  });

  it('reads a file that sets every key, and its stringified form reads back the same', () => {
    const c = parseConfig(FULL, 'config.toml');
    expect(c.performance.cache).toEqual({ ttl_minutes: 15, max_size: 50, cleanup_interval_minutes: 2.5 });
    expect(c.performance.memory.max_agent_memory_mb).toBe(128);
    expect(c.performance.monitoring.cache_hit_rate_threshold).toBe(0.95);
    expect(c.auth.provider).toBe('oauth2');
    expect(c.auth.api_key).toBe(SECRET);
    expect(c.auth.helper).toEqual({ command: 'pass show anthropic', ttl_ms: 60_000, timeout_ms: 2000 });
    expect(c.auth.oauth2.grant).toBe('client_credentials');
    expect(c.gateway).toEqual({
      host: '0.0.0.0',
      port: 0,
      admin_token_env: 'ADMIN_TOKEN',
      max_connections_per_host: 8,
      max_concurrent_per_agent: 4,
      max_body_mb: 1.5,
    });
    expect(c.state.url).toBe('redis://127.0.0.1:6379/0');
    expect(parseConfig(stringify(c), 'again.toml')).toEqual(c);
    expect(parseConfig(stringify(defaultConfig()), 'defaults.toml')).toEqual(defaultConfig());
  });

  it('fills in the defaults next to the keys that are set', () => {
    const c = parseConfig('[performance.cache]\nmax_size = 5\n', 'config.toml');
    expect(c.performance.cache).toEqual({ ttl_minutes: 60, max_size: 5, cleanup_interval_minutes: 10 });
    expect(c.performance.memory).toEqual(defaultConfig().performance.memory);
  });

  it('reports a TOML syntax error with file:line:column and the parser message', () => {
    const e = configError('[performance]\nenable_caching = true\nenable_monitoring = \n');
    expect(e.code).toBe('config_invalid');
    expect(e.kind.exit).toBe(2);
    expect(e.message).toMatch(/^config\.toml:3:\d+: TOML syntax error: \S/);
    expect(e.problems).toEqual([expect.objectContaining({ key: null, line: 3 })]);
    expect(e.hint).toContain('config.toml:3');
  });

  it('does not show the line of a syntax error, which may hold a secret', () => {
    const e = configError(`[auth]\napi_key = "${SECRET}\n`);
    expect(e.message).toMatch(/^config\.toml:2:\d+: /);
    expect(e.describe()).not.toContain('TOPSECRET');
  });

  it('lists every problem in one error, one line each, as FILE: KEY: problem', () => {
    const e = configError(
      [
        '[performance]',
        'enable_caching = "yes"',
        '[performance.cache]',
        'max_size = -1',
        'ttl_minuts = 5',
        '[performance.token_optimizer]',
        'retry_attempts = 21',
        '[gateway]',
        'port = 1.5',
      ].join('\n'),
    );
    expect(e.code).toBe('config_invalid');
    const lines = e.message.split('\n');
    expect(lines[0]).toBe('config.toml has 5 problems:');
    expect(lines.slice(1).sort()).toEqual(
      [
        '  config.toml: performance.enable_caching: expected boolean, got string "yes"',
        '  config.toml: performance.cache.max_size: expected an integer > 0, got -1',
        '  config.toml: performance.cache.ttl_minuts: unknown key; did you mean "ttl_minutes"?',
        '  config.toml: performance.token_optimizer.retry_attempts: expected an integer from 0 to 20, got 21',
        '  config.toml: gateway.port: expected an integer from 0 to 65535, got 1.5',
      ].sort(),
    );
    expect(e.problems).toHaveLength(5);
    expect(e.hint).toBe('Fix the keys above, or run `claude-auth config check config.toml` after editing.');
  });

  it('puts a single problem on one line', () => {
    const e = configError('[performance.cache]\nmax_size = 0\n');
    expect(e.message).toBe('config.toml: performance.cache.max_size: expected an integer > 0, got 0');
    expect(e.describe()).toBe(
      'config.toml: performance.cache.max_size: expected an integer > 0, got 0\n' +
        '  Fix the key above, or run `claude-auth config check config.toml` after editing.',
    );
  });

  it('suggests the right table for a key in the wrong one', () => {
    expect(configError('[performance]\nttl_minutes = 5\n').problems[0]?.message).toBe(
      'unknown key; did you mean "performance.cache.ttl_minutes"?',
    );
    expect(configError('[cache]\nmax_size = 5\n').problems[0]).toEqual({
      key: 'cache',
      message: 'unknown key; did you mean "performance.cache"?',
    });
  });

  it('lists the valid keys when nothing is close', () => {
    expect(configError('colour = 1\n').problems[0]?.message).toBe(
      'unknown key; valid keys at the top level are performance, auth, upstream, gateway, state',
    );
    expect(configError('[upstream]\nzzz = 1\n').problems[0]?.message).toBe(
      'unknown key; valid keys in [upstream] are base_url',
    );
  });

  it('lists the allowed values of an enum, and the closest one', () => {
    expect(configError('[auth]\nprovider = "oauth"\n').problems[0]?.message).toBe(
      'expected one of "api_key", "helper", "oauth2", "claude_code_token", got "oauth"; did you mean "oauth2"?',
    );
    expect(configError('[auth.oauth2]\ngrant = "password"\n').problems[0]?.message).toBe(
      'expected one of "refresh_token", "client_credentials", got "password"',
    );
  });

  it('names the type of a value of the wrong type', () => {
    const msg = (text: string) => configError(text).problems[0]?.message;
    expect(msg('[gateway]\nport = "8080"\n')).toBe('expected an integer from 0 to 65535, got string "8080"');
    expect(msg('[performance]\ncache = 5\n')).toBe('expected a table, got number 5');
    expect(msg('[upstream]\nbase_url = 1979-05-27T07:32:00Z\n')).toBe(
      'expected string, got date-time 1979-05-27T07:32:00.000Z',
    );
    expect(msg('[performance.monitoring]\ncache_hit_rate_threshold = nan\n')).toBe(
      'expected a number from 0 to 1, got nan',
    );
    expect(msg('[upstream]\nbase_url = "ftp://example.com"\n')).toBe(
      'expected an http:// or https:// URL, got "ftp://example.com"',
    );
  });

  it('explains cross-field memory rules, marking a value that is a default', () => {
    const e = configError('[performance.memory]\nmax_memory_mb = 300\nmax_agent_memory_mb = 301\n');
    expect(e.problems).toEqual([
      {
        key: 'performance.memory.gc_threshold_mb',
        message: 'expected at most max_memory_mb (300), got 400 (the default)',
      },
      {
        key: 'performance.memory.max_agent_memory_mb',
        message: 'expected at most max_memory_mb (300), got 301',
      },
    ]);
  });

  it('never echoes a secret value, wherever it was put', () => {
    const texts = [
      `[auth]\napi_key = ""\n`,
      `[auth]\napi_key = 12345678\n`,
      `[auth]\napi_key_env = "${SECRET}"\n`,
      `[auth]\nprovider = "${SECRET}"\n`,
      `[auth]\napi_kee = "${SECRET}"\n`,
      `[upstream]\nbase_url = "${SECRET}"\n`,
    ];
    for (const text of texts) {
      const e = configError(text);
      const shown = `${e.describe()}\n${JSON.stringify(e.problems)}`;
      expect(shown).not.toContain('TOPSECRET');
      expect(shown).not.toContain('12345678');
    }
    expect(configError(`[auth]\napi_key = 12345678\n`).problems[0]?.message).toBe(
      'expected a non-empty string, got a number (value hidden: secret)',
    );
    expect(configError(`[auth]\napi_key_env = "${SECRET}"\n`).problems[0]?.message).toBe(
      'expected an environment variable name, got "sk-ant-…(masked)"',
    );
  });
});

describe('validateConfig', () => {
  it('validates an object and fills in defaults', () => {
    expect(validateConfig({ gateway: { port: 1 } }).gateway.port).toBe(1);
    expect(() => validateConfig({ gateway: { port: -1 } }, 'inline')).toThrow(
      'inline: gateway.port: expected an integer from 0 to 65535, got -1',
    );
  });
});
