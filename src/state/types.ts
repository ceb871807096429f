/**
 * What the gateway persists besides credentials (those stay in credentials.json): virtual agent
 * keys (hashed), agent session records and a small key/value map. Two backends implement it:
 * embedded SQLite (one host, the default) and Redis (many hosts). Times are epoch milliseconds.
 */

/** One virtual agent key as stored: never the key itself, only its SHA-256. */
export interface VirtualKeyRecord {
  /** Short random public id of the key: for logs, listings and revocation. */
  readonly keyId: string;
  /** Name of the agent the key belongs to. */
  readonly agent: string;
  /** SHA-256 of the key (32 bytes). */
  readonly keyHash: Buffer;
  readonly createdAt: number;
  /** The key is refused from this instant on; null = never expires. */
  readonly expiresAt: number | null;
  /** When the key was revoked, or null while it is not. */
  readonly revokedAt: number | null;
  /** Last time the gateway accepted the key (flushed every few seconds), or null. */
  readonly lastSeenAt: number | null;
}

/** A key to add: a record that has not been revoked or seen yet. */
export type NewVirtualKey = Omit<VirtualKeyRecord, 'revokedAt' | 'lastSeenAt'>;

/** Which keys `listKeys` returns. */
export interface KeyFilter {
  /** Only this agent's keys. */
  agent?: string;
  /** Include revoked keys (default true). */
  includeRevoked?: boolean;
}

/** An agent session (issue #5 extends it; `metadata` holds what this schema does not name yet). */
export interface AgentSessionRecord {
  readonly name: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  /** Memory reserved for the agent, in MB. */
  readonly reservedMb: number;
  /** Free-form JSON object. */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** Stops a `watchKeys` subscription. */
export type Unsubscribe = () => void;

/**
 * Persistent state behind one interface. Every method is async because Redis is; the SQLite
 * backend answers synchronously inside. Methods throw ClaudeAuthError `state_unavailable` when the
 * backend cannot be reached or is busy for too long, and `state_corrupt` when its data is damaged.
 */
export interface StateStore {
  /** Where the state lives, for messages (a file path or a Redis URL without its password). */
  readonly location: string;

  /**
   * Adds a key. With `replace`, every active key of the same agent is revoked at `key.createdAt` in
   * the same transaction, so there is no instant with zero or two generations of keys.
   * @returns the ids of the keys revoked because of `replace` (empty without it).
   * @throws ClaudeAuthError usage when a key with the same id or hash exists.
   */
  addKey(key: NewVirtualKey, options?: { replace?: boolean }): Promise<string[]>;
  /** Keys ordered by agent, then creation time. */
  listKeys(filter?: KeyFilter): Promise<VirtualKeyRecord[]>;
  /**
   * Revokes the agent's active keys (or just `keyId`) at `at`.
   * @returns the ids of the keys that were revoked by this call (already revoked ones are skipped).
   */
  revokeKeys(agent: string, at: number, keyId?: string): Promise<string[]>;
  /** Records last-seen times (keyId → epoch ms); never moves a time backwards; unknown ids are ignored. */
  touchKeys(seen: ReadonlyMap<string, number>): Promise<void>;
  /**
   * Calls `onChange` (without arguments: reload with `listKeys`) after keys were added or revoked
   * by this or another process: within about 250 ms with SQLite, a round trip with Redis (changes
   * made while a Redis subscription was down are reported when it is back). It fires only when
   * keys changed; last-seen updates do not fire it. Changes made before the call are not reported,
   * so call it before the first `listKeys`.
   */
  watchKeys(onChange: () => void): Unsubscribe;

  /** Creates or replaces the session named `session.name`. */
  putSession(session: AgentSessionRecord): Promise<void>;
  getSession(name: string): Promise<AgentSessionRecord | null>;
  /** Sessions ordered by name. */
  listSessions(): Promise<AgentSessionRecord[]>;
  /** @returns whether there was such a session. */
  deleteSession(name: string): Promise<boolean>;

  /** The value stored under `key`, or null. */
  getValue(key: string): Promise<string | null>;
  setValue(key: string, value: string): Promise<void>;
  /** @returns whether there was such a key. */
  deleteValue(key: string): Promise<boolean>;

  /** Stops watchers and timers and releases the database handle or connections. Idempotent. */
  close(): Promise<void>;
}
