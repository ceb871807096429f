import type { CredentialKind } from '../credentials/types.js';

/**
 * What the gateway needs from the rest of the system, as interfaces, so the proxy can be built and
 * tested on its own. The manager (src/manager.ts) implements UpstreamAuth; the virtual key registry
 * (src/agents/) implements AgentKeyVerifier.
 */

/** Who a virtual key belongs to. */
export interface AgentIdentity {
  /** The agent's name, e.g. "builder-1" (as given to `claude-auth agent add NAME`). */
  readonly agentId: string;
  /** Stable id of the key (not the key): for logs, metrics and revocation. */
  readonly keyId: string;
  /** Epoch ms after which the key is refused, or null. */
  readonly expiresAt: number | null;
}

/** Checks a presented virtual key. Must be in-memory (no disk or network on the hot path) and constant-time. */
export interface AgentKeyVerifier {
  /** The identity behind `presentedKey`, or null when it is unknown, revoked or expired. */
  verify(presentedKey: string): AgentIdentity | null;
}

/** The credential to inject for one agent's request. */
export interface UpstreamCredential {
  /** Headers to set on the upstream request (`x-api-key` or `authorization`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly kind: CredentialKind;
  /** Epoch ms when the injected credential expires, or null. */
  readonly expiresAt: number | null;
}

export interface UpstreamAuth {
  /**
   * The credential for `agentId`. Returns synchronously on a warm cache (no promise on the hot
   * path) and a promise otherwise.
   * @throws ClaudeAuthError: policy_violation (a subscription token), reauth_required,
   *   refresh_unavailable, credential_missing, … — the gateway maps `code` to an Anthropic error.
   */
  authenticate(agentId: string): UpstreamCredential | Promise<UpstreamCredential>;
  /**
   * Upstream answered 401 to a request that carried `rejected`. Forces one refresh shared by every
   * caller that saw the same credential rejected; resolves when a new credential is ready (or throws).
   */
  onUnauthorized(agentId: string, rejected: UpstreamCredential): Promise<void>;
}
