import type { Logger } from 'pino';
import { type Clock, systemClock } from '../../clock.js';
import type { OAuth2Config } from '../../config/schema.js';
import { ClaudeAuthError } from '../../errors.js';
import { assertOAuthTargetAllowed } from '../policy.js';
import { type CredentialStore, oauthEntryId, type StoredOAuthTokens } from '../store.js';
import type { Credential, CredentialProvider, GetCredentialOptions, ProviderStatus } from '../types.js';
import {
  clientCredentialsGrant,
  type GrantContext,
  type GrantResult,
  refreshTokenGrant,
  type TokenFetch,
  type TokenSet,
  tokenEndpoint,
} from './grants.js';

export interface OAuth2ProviderOptions {
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** Abort a token request after this long (default 15 s). */
  requestTimeoutMs?: number;
  /** Where refresh decisions are logged (never a token: the logger redacts, and we pass none). */
  log?: Logger;
  /** The fetch used for token requests (default: the global fetch). */
  fetch?: TokenFetch;
}

/** The refresh margin actually used: the configured one, but at most a quarter of a short token's life. */
export function effectiveMarginMs(
  entry: Pick<StoredOAuthTokens, 'expires_at' | 'obtained_at'>,
  marginSeconds: number,
): number {
  const margin = marginSeconds * 1000;
  if (entry.expires_at === undefined || entry.obtained_at === undefined) return margin;
  const lifetime = entry.expires_at - entry.obtained_at;
  return lifetime > 0 ? Math.min(margin, lifetime / 4) : margin;
}

/**
 * OAuth 2.0 against the user's own identity provider or LLM gateway: `refresh_token` (rotation-safe
 * across processes) and `client_credentials` grants.
 *
 * Rotation safety: refresh tokens are single use, so a refresh happens only under the store lock,
 * after re-reading the store: when a peer process already refreshed, its token is adopted and the
 * endpoint is not called. New tokens are persisted before anyone uses them. On `invalid_grant` the
 * store is re-read once (a peer that does not take our lock may have rotated it) before the
 * credential is marked "re-login required".
 */
export class OAuth2Provider implements CredentialProvider {
  readonly name = 'oauth2' as const;
  private readonly clock: Clock;
  private readonly env: NodeJS.ProcessEnv;
  private readonly requestTimeoutMs: number;
  private readonly entryId: string;
  /** The last entry this process saw, so a warm path does not touch the disk. */
  private current: StoredOAuthTokens | undefined;
  private inFlight: Promise<Credential> | null = null;
  private readonly log: Logger | undefined;
  private readonly fetch: TokenFetch | undefined;

  constructor(
    private readonly config: OAuth2Config,
    private readonly store: CredentialStore,
    options: OAuth2ProviderOptions = {},
  ) {
    assertOAuthTargetAllowed(config.client_id, [config.token_url, config.authorize_url]);
    if (!config.token_url || !config.client_id) {
      throw new ClaudeAuthError(
        'config_invalid',
        'auth.provider is "oauth2" but auth.oauth2.token_url or client_id is not set',
        {
          hint: 'Set [auth.oauth2] token_url and client_id in config.toml (see `claude-auth config check`).',
        },
      );
    }
    tokenEndpoint(config);
    this.clock = options.clock ?? systemClock;
    this.env = options.env ?? process.env;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.log = options.log;
    this.fetch = options.fetch;
    this.entryId = oauthEntryId(config.token_url, config.client_id);
  }

  /** Where this provider's tokens live in the store. */
  get storeKey(): string {
    return this.entryId;
  }

  async getCredential(options: GetCredentialOptions = {}): Promise<Credential> {
    const entry = this.current ?? this.readEntry();
    this.current = entry;
    if (!options.forceRefresh && entry && !entry.reauth_required && this.isFresh(entry))
      return this.toCredential(entry);
    // one refresh per process at a time; peers in other processes are serialized by the store lock
    this.inFlight ??= this.refresh(entry?.access_token, options.forceRefresh === true).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  async status(): Promise<ProviderStatus> {
    const entry = this.readEntry();
    const base = { provider: this.name, source: entry ? 'store' : null } as const;
    const lastRefresh = entry?.last_refresh_at ? new Date(entry.last_refresh_at).toISOString() : null;
    const expiresAt = entry?.expires_at ? new Date(entry.expires_at).toISOString() : null;
    if (!entry || (!entry.access_token && !entry.refresh_token)) {
      return {
        ...base,
        state: 'missing',
        expires_at: null,
        last_refresh_at: null,
        detail:
          this.config.grant === 'client_credentials'
            ? 'no token yet: one is requested on first use'
            : 'not logged in: run `claude-auth login --provider oauth2`',
      };
    }
    if (entry.reauth_required) {
      return {
        ...base,
        state: 'reauth_required',
        expires_at: expiresAt,
        last_refresh_at: lastRefresh,
        detail: `re-login required (${entry.reauth_required.reason}): run \`claude-auth login --provider oauth2\``,
      };
    }
    const now = this.clock.now();
    const state =
      entry.expires_at === undefined || entry.expires_at > now
        ? this.isFresh(entry)
          ? 'valid'
          : 'expiring'
        : 'expired';
    const detail =
      state === 'valid'
        ? 'access token valid'
        : state === 'expiring'
          ? 'access token inside its refresh margin: the next use refreshes it'
          : 'access token expired: the next use refreshes it';
    return { ...base, state, expires_at: expiresAt, last_refresh_at: lastRefresh, detail };
  }

  private readEntry(): StoredOAuthTokens | undefined {
    return this.store.read().oauth2?.[this.entryId];
  }

  private isFresh(entry: StoredOAuthTokens): boolean {
    if (!entry.access_token) return false;
    if (entry.expires_at === undefined) return true;
    return entry.expires_at - effectiveMarginMs(entry, this.config.refresh_margin_seconds) > this.clock.now();
  }

  private isUsable(entry: StoredOAuthTokens): boolean {
    return !!entry.access_token && (entry.expires_at === undefined || entry.expires_at > this.clock.now());
  }

  private toCredential(entry: StoredOAuthTokens): Credential {
    return {
      kind: 'oauth_access_token',
      secret: entry.access_token as string,
      expiresAt: entry.expires_at ?? null,
      refreshAt:
        entry.expires_at === undefined
          ? null
          : entry.expires_at - effectiveMarginMs(entry, this.config.refresh_margin_seconds),
      source: 'store',
      injectAs: this.config.inject_as,
    };
  }

  private ctx(): GrantContext {
    return {
      config: this.config,
      env: this.env,
      now: () => this.clock.now(),
      timeoutMs: this.requestTimeoutMs,
      ...(this.fetch ? { fetch: this.fetch } : {}),
    };
  }

  /**
   * Refreshes under the store lock. `staleAccess` is the access token the caller found wanting;
   * if the store now holds a different, fresh one, a peer refreshed first and we adopt it.
   */
  private async refresh(staleAccess: string | undefined, force: boolean): Promise<Credential> {
    try {
      const entry = await this.store.update(async (data) => {
        const entries = (data.oauth2 ??= {});
        const cur = entries[this.entryId];
        if (cur?.reauth_required) throw this.reauthError(cur.reauth_required.reason);
        if (cur && this.isFresh(cur) && (!force || cur.access_token !== staleAccess)) {
          this.log?.debug(
            { entry: this.entryId, expires_at: cur.expires_at },
            'adopted a token a peer already refreshed',
          );
          return cur;
        }
        this.log?.debug({ entry: this.entryId, grant: this.config.grant, force }, 'refresh started');
        const result = await this.grant(cur);
        if (result.ok) {
          this.log?.debug(
            { entry: this.entryId, expires_at: result.tokens.expires_at },
            'refresh succeeded; persisted before use',
          );
          return (entries[this.entryId] = this.merge(cur, result.tokens));
        }
        this.log?.warn(
          { entry: this.entryId, description: result.description },
          'invalid_grant; re-reading the store once',
        );
        // invalid_grant: a writer that does not take our lock may have rotated the token meanwhile
        const reread = this.readEntry();
        if (reread?.refresh_token && reread.refresh_token !== cur?.refresh_token) {
          const retry = await this.grant(reread);
          if (retry.ok) return (entries[this.entryId] = this.merge(reread, retry.tokens));
        }
        const reason = `the identity provider rejected the refresh token (invalid_grant${result.description ? `: ${result.description}` : ''})`;
        this.log?.error({ entry: this.entryId }, 're-login required');
        entries[this.entryId] = {
          ...(reread ?? cur ?? this.blankEntry()),
          reauth_required: { at: this.clock.now(), reason },
        };
        return entries[this.entryId] as StoredOAuthTokens;
      });
      this.current = entry;
      if (entry.reauth_required) throw this.reauthError(entry.reauth_required.reason);
      return this.toCredential(entry);
    } catch (e) {
      // a refresh that failed for a passing reason leaves a still-valid token usable
      const fallback = this.current;
      if (e instanceof ClaudeAuthError && isTransient(e) && fallback && this.isUsable(fallback) && !force) {
        this.log?.warn(
          { entry: this.entryId, code: e.code },
          'refresh failed; serving the still-valid token',
        );
        return this.toCredential(fallback);
      }
      throw e;
    }
  }

  private grant(cur: StoredOAuthTokens | undefined): Promise<GrantResult> {
    if (this.config.grant === 'client_credentials') return clientCredentialsGrant(this.ctx());
    if (!cur?.refresh_token) {
      throw new ClaudeAuthError('credential_missing', 'no OAuth refresh token is stored: not logged in', {
        hint: 'Run `claude-auth login --provider oauth2`, or pipe a refresh token into `claude-auth login --provider oauth2 --refresh-token-stdin`.',
      });
    }
    return refreshTokenGrant(this.ctx(), cur.refresh_token);
  }

  private blankEntry(): StoredOAuthTokens {
    return {
      token_url: this.config.token_url as string,
      client_id: this.config.client_id as string,
      grant: this.config.grant,
    };
  }

  /** The new entry: new tokens over the old entry, keeping the old refresh token when none came back. */
  merge(cur: StoredOAuthTokens | undefined, tokens: TokenSet): StoredOAuthTokens {
    const now = this.clock.now();
    const { reauth_required: _dropped, ...rest } = cur ?? this.blankEntry();
    const next: StoredOAuthTokens = {
      ...rest,
      token_url: this.config.token_url as string,
      client_id: this.config.client_id as string,
      grant: this.config.grant,
      access_token: tokens.access_token,
      token_type: tokens.token_type,
      obtained_at: now,
      last_refresh_at: now,
    };
    if (tokens.refresh_token) next.refresh_token = tokens.refresh_token;
    if (tokens.scope) next.scope = tokens.scope;
    if (tokens.expires_at !== undefined) next.expires_at = tokens.expires_at;
    else delete next.expires_at;
    return next;
  }

  private reauthError(reason: string): ClaudeAuthError {
    return new ClaudeAuthError('reauth_required', `re-login required: ${reason}`, {
      hint: 'Run `claude-auth login --provider oauth2` (or `--refresh-token-stdin` on a headless host).',
    });
  }
}

function isTransient(e: ClaudeAuthError): boolean {
  return e.code === 'token_endpoint_unreachable' || e.code === 'refresh_failed' || e.code === 'lock_timeout';
}
