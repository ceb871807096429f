import { timingSafeEqual } from 'node:crypto';
import type { CredentialKind } from '../credentials/types.js';
import type { AgentIdentity, AgentKeyVerifier, UpstreamAuth, UpstreamCredential } from '../gateway/ports.js';

/**
 * Minimal in-memory implementations of the gateway's ports, for the benchmark and tests while the
 * real registry and manager are built elsewhere. They do what the real ones must do on the hot
 * path (a map lookup and a constant-time compare; a synchronous credential) and nothing else.
 */

/** Virtual keys held in a map: `key → agent`. Revoking deletes the key. */
export class MemoryKeyVerifier implements AgentKeyVerifier {
  private readonly keys = new Map<string, { identity: AgentIdentity; key: Buffer }>();

  /** Registers `key` for `agentId`; `expiresAt` in epoch ms or null. */
  add(key: string, agentId: string, expiresAt: number | null = null): void {
    this.keys.set(key, { identity: { agentId, keyId: `key_${agentId}`, expiresAt }, key: Buffer.from(key) });
  }

  /** Stops accepting `key`. */
  revoke(key: string): void {
    this.keys.delete(key);
  }

  /** @inheritdoc */
  verify(presentedKey: string): AgentIdentity | null {
    const entry = this.keys.get(presentedKey);
    if (entry === undefined) return null;
    // The map lookup already matched; the compare keeps the check constant-time in the key's bytes.
    const presented = Buffer.from(presentedKey);
    return presented.length === entry.key.length && timingSafeEqual(presented, entry.key)
      ? entry.identity
      : null;
  }
}

/** One fixed credential for every agent, returned synchronously. */
export class StaticUpstreamAuth implements UpstreamAuth {
  private credential: UpstreamCredential;
  /** Times onUnauthorized was called. */
  unauthorized = 0;

  constructor(
    secret: string,
    kind: CredentialKind = 'api_key',
    injectAs: 'x-api-key' | 'authorization' = 'x-api-key',
  ) {
    this.credential = StaticUpstreamAuth.make(secret, kind, injectAs);
  }

  /** A credential object as the manager would hand it out. */
  static make(
    secret: string,
    kind: CredentialKind,
    injectAs: 'x-api-key' | 'authorization' = 'x-api-key',
  ): UpstreamCredential {
    const headers: Record<string, string> =
      injectAs === 'x-api-key' ? { 'x-api-key': secret } : { authorization: `Bearer ${secret}` };
    return { headers, kind, expiresAt: null };
  }

  /** Replaces the credential handed out from now on. */
  set(credential: UpstreamCredential): void {
    this.credential = credential;
  }

  /** @inheritdoc */
  authenticate(_agentId: string): UpstreamCredential {
    return this.credential;
  }

  /** @inheritdoc */
  onUnauthorized(_agentId: string, _rejected: UpstreamCredential): Promise<void> {
    this.unauthorized++;
    return Promise.resolve();
  }
}
