import type { AuthConfig } from '../config/schema.js';
import { ClaudeAuthError } from '../errors.js';
import { isSubscriptionToken } from './policy.js';
import type { CredentialStore } from './store.js';
import type { Credential, CredentialProvider, ProviderStatus } from './types.js';

function statusFrom(
  provider: ProviderStatus['provider'],
  credential: Credential | null,
  missingDetail: string,
): ProviderStatus {
  if (!credential) {
    return {
      provider,
      state: 'missing',
      expires_at: null,
      last_refresh_at: null,
      source: null,
      detail: missingDetail,
    };
  }
  return {
    provider,
    state: 'valid',
    expires_at: null,
    last_refresh_at: null,
    source: credential.source,
    detail: `using the ${credential.kind === 'api_key' ? 'API key' : 'token'} from ${credential.source}`,
  };
}

/**
 * An Anthropic API key: `[auth] api_key` in the config, else the store (`claude-auth login
 * --provider api_key --api-key-stdin`), else the environment variable named by `api_key_env`.
 */
export class ApiKeyProvider implements CredentialProvider {
  readonly name = 'api_key' as const;

  constructor(
    private readonly auth: AuthConfig,
    private readonly store: CredentialStore,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private find(): Credential | null {
    const fromConfig = this.auth.api_key;
    if (fromConfig)
      return {
        kind: 'api_key',
        secret: fromConfig,
        expiresAt: null,
        refreshAt: null,
        source: 'config',
        injectAs: 'x-api-key',
      };
    const stored = this.store.read().api_key?.key;
    if (stored)
      return {
        kind: 'api_key',
        secret: stored,
        expiresAt: null,
        refreshAt: null,
        source: 'store',
        injectAs: 'x-api-key',
      };
    const fromEnv = this.env[this.auth.api_key_env]?.trim();
    if (fromEnv) {
      return {
        kind: 'api_key',
        secret: fromEnv,
        expiresAt: null,
        refreshAt: null,
        source: `env:${this.auth.api_key_env}`,
        injectAs: 'x-api-key',
      };
    }
    return null;
  }

  async getCredential(): Promise<Credential> {
    const credential = this.find();
    if (!credential) {
      throw new ClaudeAuthError('credential_missing', 'no Anthropic API key is configured', {
        hint: `Run \`claude-auth login --provider api_key --api-key-stdin\` and paste the key, or set ${this.auth.api_key_env}.`,
      });
    }
    if (isSubscriptionToken(credential.secret)) {
      throw new ClaudeAuthError(
        'policy_violation',
        `the API key from ${credential.source} is a Claude subscription token (sk-ant-oat…), not an API key`,
        { hint: 'Store it with `claude-auth login --provider claude_code_token --token-stdin` instead.' },
      );
    }
    return credential;
  }

  async status(): Promise<ProviderStatus> {
    return statusFrom(
      this.name,
      this.find(),
      `no API key: run \`claude-auth login --provider api_key --api-key-stdin\` or set ${this.auth.api_key_env}`,
    );
  }
}

/**
 * A long-lived `claude setup-token` token from the store or CLAUDE_CODE_OAUTH_TOKEN. Never refreshed
 * by us; only ever handed to official `claude` agents (policy line).
 */
export class ClaudeCodeTokenProvider implements CredentialProvider {
  readonly name = 'claude_code_token' as const;

  constructor(
    private readonly store: CredentialStore,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private find(): Credential | null {
    const stored = this.store.read().claude_code_token?.token;
    if (stored)
      return {
        kind: 'claude_code_oauth',
        secret: stored,
        expiresAt: null,
        refreshAt: null,
        source: 'store',
        injectAs: 'authorization',
      };
    const fromEnv = this.env.CLAUDE_CODE_OAUTH_TOKEN?.trim();
    if (fromEnv) {
      return {
        kind: 'claude_code_oauth',
        secret: fromEnv,
        expiresAt: null,
        refreshAt: null,
        source: 'env:CLAUDE_CODE_OAUTH_TOKEN',
        injectAs: 'authorization',
      };
    }
    return null;
  }

  async getCredential(): Promise<Credential> {
    const credential = this.find();
    if (!credential) {
      throw new ClaudeAuthError('credential_missing', 'no Claude Code token is stored', {
        hint: 'Run `claude setup-token`, then pipe its token into `claude-auth login --provider claude_code_token --token-stdin`.',
      });
    }
    return credential;
  }

  async status(): Promise<ProviderStatus> {
    return statusFrom(
      this.name,
      this.find(),
      'no Claude Code token: run `claude setup-token`, then `claude-auth login --provider claude_code_token --token-stdin`',
    );
  }
}
