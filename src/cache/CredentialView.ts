import { upstreamAuthHeaders } from '../credentials/policy.js';
import type { Credential, CredentialKind } from '../credentials/types.js';
import { ClaudeAuthError } from '../errors.js';
import type { UpstreamCredential } from '../gateway/ports.js';
import { usableUntil } from '../refresh/RefreshCoordinator.js';

/** One credential as agents see it; built once per credential, shared by every agent's cache entry. */
export class CredentialView implements UpstreamCredential {
  readonly headers: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
  readonly kind: CredentialKind;
  readonly expiresAt: number | null;
  readonly usableUntil: number;
  readonly refreshAt: number;

  constructor(readonly credential: Credential) {
    this.kind = credential.kind;
    this.expiresAt = credential.expiresAt;
    this.usableUntil = usableUntil(credential);
    this.refreshAt = credential.refreshAt ?? Number.POSITIVE_INFINITY;
    this.headers = Object.freeze(
      credential.kind === 'claude_code_oauth' ? {} : upstreamAuthHeaders(credential),
    );
    const variable =
      credential.kind === 'api_key'
        ? 'ANTHROPIC_API_KEY'
        : credential.kind === 'oauth_access_token'
          ? 'ANTHROPIC_AUTH_TOKEN'
          : 'CLAUDE_CODE_OAUTH_TOKEN';
    this.env = Object.freeze({ [variable]: credential.secret });
  }
}

/** The gateway asked to inject a subscription token: refuse (policy line). */
export function refuseInjection(view: CredentialView): never {
  upstreamAuthHeaders(view.credential); // throws policy_violation
  throw new ClaudeAuthError('policy_violation', 'refusing to inject a Claude subscription token');
}
