import type { Config } from '../config/schema.js';
import type { Credential } from '../credentials/types.js';
import { ClaudeAuthError } from '../errors.js';

/**
 * Every variable that can carry or switch an official client's credential. Both modes set the ones
 * they mean and unset the rest: a stray ANTHROPIC_API_KEY silently switches Claude Code from a
 * subscription to API billing, and with both ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN set it
 * sends both headers.
 */
export const CREDENTIAL_VARIABLES = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'ANTHROPIC_BASE_URL',
  'CLAUDE_CODE_USE_BEDROCK',
  'CLAUDE_CODE_USE_VERTEX',
] as const;

export type EnvMode = 'gateway' | 'direct';
export type EnvFormat = 'shell' | 'json' | 'dotenv';

/** What to set and what to remove from an agent's environment. */
export interface AgentEnvironment {
  set: Record<string, string>;
  unset: string[];
}

function finish(set: Record<string, string>): AgentEnvironment {
  return { set, unset: CREDENTIAL_VARIABLES.filter((v) => !(v in set)) };
}

/** The URL agents use to reach the gateway configured in `[gateway]`. */
export function gatewayUrl(config: Config): string {
  const { host, port } = config.gateway;
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/** Gateway mode: the agent talks to our gateway with its own virtual key; the real credential stays here. */
export function gatewayEnvironment(baseUrl: string, virtualKey: string): AgentEnvironment {
  return finish({
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_API_KEY: virtualKey,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  });
}

/** Direct mode: the provider's own variables, for an official client that talks to the upstream itself. */
export function directEnvironment(config: Config, credential: Credential): AgentEnvironment {
  const set: Record<string, string> = {};
  switch (credential.kind) {
    case 'claude_code_oauth':
      set.CLAUDE_CODE_OAUTH_TOKEN = credential.secret;
      break;
    case 'api_key':
      set.ANTHROPIC_API_KEY = credential.secret;
      break;
    case 'oauth_access_token':
      if (credential.injectAs === 'x-api-key') set.ANTHROPIC_API_KEY = credential.secret;
      else set.ANTHROPIC_AUTH_TOKEN = credential.secret;
      break;
  }
  if (config.upstream.base_url !== 'https://api.anthropic.com')
    set.ANTHROPIC_BASE_URL = config.upstream.base_url;
  return finish(set);
}

/** Applies an AgentEnvironment to a copy of `base` (the rest of the environment is inherited). */
export function applyEnvironment(base: NodeJS.ProcessEnv, env: AgentEnvironment): NodeJS.ProcessEnv {
  const out = { ...base };
  for (const name of env.unset) delete out[name];
  return Object.assign(out, env.set);
}

/** POSIX shell single-quoting: safe to `eval`. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Renders an AgentEnvironment for a shell (`eval "$(claude-auth env A)"`), as JSON, or as a .env file. */
export function formatEnvironment(env: AgentEnvironment, format: EnvFormat): string {
  switch (format) {
    case 'shell':
      return [
        ...env.unset.map((n) => `unset ${n}`),
        ...Object.entries(env.set).map(([n, v]) => `export ${n}=${shellQuote(v)}`),
      ].join('\n');
    case 'json':
      return JSON.stringify(env);
    case 'dotenv':
      return [
        '# a .env file cannot unset: these are set empty, which official clients treat as unset',
        ...env.unset.map((n) => `${n}=`),
        ...Object.entries(env.set).map(([n, v]) => `${n}=${JSON.stringify(v)}`),
      ].join('\n');
  }
}

export function parseEnvFormat(value: string): EnvFormat {
  if (value === 'shell' || value === 'json' || value === 'dotenv') return value;
  throw new ClaudeAuthError('usage', `--format must be shell, json or dotenv, got "${value}"`);
}

export function parseEnvMode(value: string): EnvMode {
  if (value === 'gateway' || value === 'direct') return value;
  throw new ClaudeAuthError('usage', `--mode must be gateway or direct, got "${value}"`);
}
