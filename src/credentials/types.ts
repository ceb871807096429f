import type { ProviderName } from '../config/schema.js';

/**
 * What a credential is, which decides how it may be used:
 * - `api_key`: an Anthropic API key, sent upstream as `x-api-key`.
 * - `oauth_access_token`: an access token from the user's own IdP, sent as configured.
 * - `claude_code_oauth`: a `claude setup-token` subscription token. Only ever handed to official
 *   `claude` agents as CLAUDE_CODE_OAUTH_TOKEN; never refreshed by us, never injected (policy line).
 */
export type CredentialKind = 'api_key' | 'oauth_access_token' | 'claude_code_oauth';

export interface Credential {
  readonly kind: CredentialKind;
  /** The secret itself. Never log it; use `describeSecret`. */
  readonly secret: string;
  /** Epoch ms after which the credential is no longer accepted, or null when it does not expire. */
  readonly expiresAt: number | null;
  /**
   * Epoch ms from which a new credential should be fetched in the background while this one is
   * still served (the refresh margin, or a helper's TTL), or null when it never needs refreshing.
   */
  readonly refreshAt: number | null;
  /** Where it came from, for `status`: "store", "config", "env:ANTHROPIC_API_KEY", "helper", … */
  readonly source: string;
  /** How the gateway sends it upstream. */
  readonly injectAs: 'x-api-key' | 'authorization';
}

/** Token state as a person sees it. */
export type CredentialState = 'valid' | 'expiring' | 'expired' | 'missing' | 'reauth_required';

export interface ProviderStatus {
  provider: ProviderName;
  state: CredentialState;
  /** ISO time, or null when the credential does not expire or there is none. */
  expires_at: string | null;
  last_refresh_at: string | null;
  source: string | null;
  /** One sentence for a person: what is wrong and what to do, or what is in use. */
  detail: string;
}

export interface GetCredentialOptions {
  /** Ignore a cached or stored credential that looks valid (after upstream rejected it). */
  forceRefresh?: boolean;
  signal?: AbortSignal;
}

/** A source of credentials (the specification's UnifiedAuthManager providers). */
export interface CredentialProvider {
  readonly name: ProviderName;
  /**
   * A currently usable credential, refreshing it first when needed and possible.
   * @throws ClaudeAuthError credential_missing, reauth_required, refresh_failed, token_endpoint_unreachable,
   *   helper_failed, helper_timeout, policy_violation
   */
  getCredential(options?: GetCredentialOptions): Promise<Credential>;
  /** What `claude-auth status` shows; never contacts the network and never refreshes. */
  status(): Promise<ProviderStatus>;
}

/** `sk-ant-api03-…abcd (108 chars)`: enough to tell keys apart, never enough to use one. */
export function describeSecret(secret: string): string {
  const family = /^(sk-ant-[a-z]+\d*-)/.exec(secret)?.[1] ?? '';
  const tail = secret.length >= 24 ? secret.slice(-4) : '';
  return `${family}…${tail} (${secret.length} chars)`;
}
