import { type Clock, systemClock } from '../clock.js';
import { ClaudeAuthError } from '../errors.js';
import type { StateStore, VirtualKeyRecord } from '../state/types.js';
import { validateAgentName } from './agentName.js';
import { generateVirtualKey, hashVirtualKey, newKeyId } from './virtualKey.js';

/** A key just created: the only moment the key itself exists outside the agent. */
export interface IssuedKey {
  readonly agent: string;
  /** The virtual key. Show it once; it is not stored anywhere. */
  readonly key: string;
  readonly keyId: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  /** Ids of the keys revoked because of `replace`. */
  readonly replaced: readonly string[];
}

export interface IssueOptions {
  /** Lifetime of the key in ms; omitted = never expires. */
  expiresInMs?: number;
  /** Revoke the agent's other keys in the same transaction (default: keep them, keys rotate). */
  replace?: boolean;
  clock?: Clock;
}

/**
 * Creates a virtual key for `agent` and stores its hash. An agent may hold several keys at once
 * (rotation: hand out the new one, then revoke the old one), unless `replace` is set.
 * @throws ClaudeAuthError usage (invalid name), state_unavailable
 */
export async function issueAgentKey(
  store: StateStore,
  agent: string,
  options: IssueOptions = {},
): Promise<IssuedKey> {
  validateAgentName(agent);
  const createdAt = (options.clock ?? systemClock).now();
  const expiresAt = options.expiresInMs === undefined ? null : createdAt + options.expiresInMs;
  const key = generateVirtualKey();
  const keyId = newKeyId();
  const replaced = await store.addKey(
    { keyId, agent, keyHash: hashVirtualKey(key), createdAt, expiresAt },
    { replace: options.replace },
  );
  return { agent, key, keyId, createdAt, expiresAt, replaced };
}

/** What revocation did. */
export interface RevokeResult {
  readonly agent: string;
  /** Ids revoked by this call (empty when every key was revoked already). */
  readonly revoked: readonly string[];
  readonly revokedAt: number;
}

/**
 * Revokes all of `agent`'s keys, or only `keyId`. Gateways watching the store stop accepting them
 * within about a second.
 * @throws ClaudeAuthError agent_not_found when the agent never had a key or has no key `keyId`.
 */
export async function revokeAgentKeys(
  store: StateStore,
  agent: string,
  options: { keyId?: string; clock?: Clock } = {},
): Promise<RevokeResult> {
  validateAgentName(agent);
  const keys = await store.listKeys({ agent });
  if (keys.length === 0) {
    throw new ClaudeAuthError('agent_not_found', `there is no agent named "${agent}"`, {
      hint: 'See `claude-auth agent list` for the agents that have keys.',
    });
  }
  if (options.keyId !== undefined && !keys.some((k) => k.keyId === options.keyId)) {
    throw new ClaudeAuthError('agent_not_found', `agent "${agent}" has no key with id ${options.keyId}`, {
      hint: `Its keys: ${keys.map((k) => k.keyId).join(', ')}.`,
    });
  }
  const revokedAt = (options.clock ?? systemClock).now();
  const revoked = await store.revokeKeys(agent, revokedAt, options.keyId);
  return { agent, revoked, revokedAt };
}

/** The state of a key at `now`. */
export type KeyState = 'active' | 'revoked' | 'expired';

/** Whether a key is usable at `now`, and if not, why. */
export function keyState(key: VirtualKeyRecord, now: number): KeyState {
  if (key.revokedAt !== null) return 'revoked';
  if (key.expiresAt !== null && key.expiresAt <= now) return 'expired';
  return 'active';
}
