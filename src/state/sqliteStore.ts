import type Database from 'better-sqlite3';
import { ClaudeAuthError } from '../errors.js';
import { openSqliteFile, toStateError } from './sqliteFile.js';
import type {
  AgentSessionRecord,
  KeyFilter,
  NewVirtualKey,
  StateStore,
  Unsubscribe,
  VirtualKeyRecord,
} from './types.js';

export interface SqliteStateStoreOptions {
  /** How often watchers check for changes made by other processes (ms). Default 250. */
  pollIntervalMs?: number;
  /** How long a write waits for another process's lock (ms). Default 5000. */
  busyTimeoutMs?: number;
}

interface KeyRow {
  key_id: string;
  agent: string;
  key_hash: Buffer;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_seen_at: number | null;
}

interface SessionRow {
  name: string;
  created_at: number;
  last_seen_at: number;
  reserved_mb: number;
  metadata: string;
}

const KEY_COLUMNS = 'key_id, agent, key_hash, created_at, expires_at, revoked_at, last_seen_at';

/**
 * The default state backend: one SQLite file (better-sqlite3, WAL). Other processes' key changes
 * are noticed by polling `PRAGMA data_version`, which changes only when another connection commits
 * and costs about a microsecond, so the watcher reads the key generation counter only then.
 */
export class SqliteStateStore implements StateStore {
  readonly location: string;
  private readonly db: Database.Database;
  private readonly pollIntervalMs: number;
  private readonly watchers = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;
  private dataVersion = -1;
  private generation = -1;
  private readonly sql: Statements;

  private constructor(file: string, db: Database.Database, options: SqliteStateStoreOptions) {
    this.location = file;
    this.db = db;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.sql = prepareStatements(db);
  }

  /**
   * Opens (creating and migrating if needed) the database at `file`, or `:memory:`.
   * @throws ClaudeAuthError state_corrupt naming the file, state_unavailable
   */
  static open(file: string, options: SqliteStateStoreOptions = {}): SqliteStateStore {
    const db = openSqliteFile(file, { busyTimeoutMs: options.busyTimeoutMs ?? 5000 });
    return new SqliteStateStore(file, db, options);
  }

  async addKey(key: NewVirtualKey, options: { replace?: boolean } = {}): Promise<string[]> {
    return this.write('add a key to', () => {
      const replaced = options.replace ? this.sql.revoke.all(key.createdAt, key.agent, null, null) : [];
      try {
        this.sql.insertKey.run(key);
      } catch (e) {
        if (String((e as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT')) {
          throw new ClaudeAuthError(
            'usage',
            `a virtual key with id ${key.keyId} or the same hash already exists`,
          );
        }
        throw e;
      }
      return replaced.map((r) => r.key_id);
    });
  }

  async listKeys(filter: KeyFilter = {}): Promise<VirtualKeyRecord[]> {
    return this.read('list keys in', () =>
      this.sql.listKeys
        .all({ agent: filter.agent ?? null, all: filter.includeRevoked === false ? 0 : 1 })
        .map(keyFromRow),
    );
  }

  async revokeKeys(agent: string, at: number, keyId?: string): Promise<string[]> {
    return this.write('revoke keys in', () =>
      this.sql.revoke.all(at, agent, keyId ?? null, keyId ?? null).map((r) => r.key_id),
    );
  }

  async touchKeys(seen: ReadonlyMap<string, number>): Promise<void> {
    if (seen.size === 0) return;
    this.read('record last-seen times in', () =>
      this.db.transaction(() => {
        for (const [keyId, at] of seen) this.sql.touch.run(at, keyId);
      })(),
    );
  }

  watchKeys(onChange: () => void): Unsubscribe {
    this.assertOpen();
    this.watchers.add(onChange);
    if (this.timer === null) {
      this.dataVersion = this.pragmaDataVersion();
      this.generation = this.sql.generation.get()!.generation;
      this.timer = setInterval(() => this.poll(), this.pollIntervalMs);
      this.timer.unref();
    }
    return () => {
      this.watchers.delete(onChange);
      if (this.watchers.size === 0) this.stopPolling();
    };
  }

  async putSession(session: AgentSessionRecord): Promise<void> {
    this.read('save a session in', () =>
      this.sql.putSession.run({ ...session, metadata: JSON.stringify(session.metadata) }),
    );
  }

  async getSession(name: string): Promise<AgentSessionRecord | null> {
    const row = this.read('read a session from', () => this.sql.getSession.get(name));
    return row ? this.sessionFromRow(row) : null;
  }

  async listSessions(): Promise<AgentSessionRecord[]> {
    return this.read('list sessions in', () => this.sql.listSessions.all()).map((r) =>
      this.sessionFromRow(r),
    );
  }

  async deleteSession(name: string): Promise<boolean> {
    return this.read('delete a session from', () => this.sql.deleteSession.run(name).changes > 0);
  }

  async getValue(key: string): Promise<string | null> {
    return this.read('read a value from', () => this.sql.getValue.get(key)?.value ?? null);
  }

  async setValue(key: string, value: string): Promise<void> {
    this.read('write a value to', () => this.sql.setValue.run(key, value));
  }

  async deleteValue(key: string): Promise<boolean> {
    return this.read('delete a value from', () => this.sql.deleteValue.run(key).changes > 0);
  }

  async close(): Promise<void> {
    this.watchers.clear();
    this.stopPolling();
    if (this.db.open) this.db.close();
  }

  /** Runs a key-changing transaction, then tells this process's watchers (other processes poll). */
  private write<T>(doing: string, fn: () => T): T {
    const result = this.read(doing, () => this.db.transaction(fn).immediate());
    if (this.timer !== null) {
      this.generation = this.sql.generation.get()!.generation;
      this.notify();
    }
    return result;
  }

  private read<T>(doing: string, fn: () => T): T {
    this.assertOpen();
    try {
      return fn();
    } catch (e) {
      throw toStateError(e, this.location, doing);
    }
  }

  private assertOpen(): void {
    if (!this.db.open) {
      throw new ClaudeAuthError('state_unavailable', `the state store ${this.location} is closed`);
    }
  }

  private poll(): void {
    try {
      const version = this.pragmaDataVersion();
      if (version === this.dataVersion) return;
      this.dataVersion = version;
      const generation = this.sql.generation.get()!.generation;
      if (generation === this.generation) return;
      this.generation = generation;
    } catch {
      return; // busy or closing: the next tick tries again
    }
    this.notify();
  }

  private notify(): void {
    for (const watcher of [...this.watchers]) {
      try {
        watcher();
      } catch {
        // a watcher's failure must not stop the others
      }
    }
  }

  private pragmaDataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  private stopPolling(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private sessionFromRow(row: SessionRow): AgentSessionRecord {
    let metadata: unknown;
    try {
      metadata = JSON.parse(row.metadata);
    } catch (e) {
      throw new ClaudeAuthError(
        'state_corrupt',
        `the session "${row.name}" in ${this.location} has metadata that is not JSON`,
        { cause: e },
      );
    }
    return {
      name: row.name,
      createdAt: row.created_at,
      lastSeenAt: row.last_seen_at,
      reservedMb: row.reserved_mb,
      metadata: metadata as Record<string, unknown>,
    };
  }
}

function keyFromRow(row: KeyRow): VirtualKeyRecord {
  return {
    keyId: row.key_id,
    agent: row.agent,
    keyHash: row.key_hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastSeenAt: row.last_seen_at,
  };
}

type Statements = ReturnType<typeof prepareStatements>;

function prepareStatements(db: Database.Database) {
  return {
    insertKey: db.prepare(
      `INSERT INTO virtual_keys (${KEY_COLUMNS}) VALUES (@keyId, @agent, @keyHash, @createdAt, @expiresAt, NULL, NULL)`,
    ),
    revoke: db.prepare<[number, string, string | null, string | null], { key_id: string }>(
      `UPDATE virtual_keys SET revoked_at = ? WHERE agent = ? AND revoked_at IS NULL
         AND (? IS NULL OR key_id = ?) RETURNING key_id`,
    ),
    listKeys: db.prepare<[{ agent: string | null; all: number }], KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM virtual_keys WHERE (@agent IS NULL OR agent = @agent)
         AND (@all = 1 OR revoked_at IS NULL) ORDER BY agent, created_at, key_id`,
    ),
    touch: db.prepare<[number, string]>(
      'UPDATE virtual_keys SET last_seen_at = MAX(COALESCE(last_seen_at, 0), ?) WHERE key_id = ?',
    ),
    generation: db.prepare<[], { generation: number }>('SELECT generation FROM key_generation'),
    putSession: db.prepare(
      `INSERT INTO agent_sessions (name, created_at, last_seen_at, reserved_mb, metadata)
         VALUES (@name, @createdAt, @lastSeenAt, @reservedMb, @metadata)
         ON CONFLICT (name) DO UPDATE SET created_at = excluded.created_at,
           last_seen_at = excluded.last_seen_at, reserved_mb = excluded.reserved_mb,
           metadata = excluded.metadata`,
    ),
    getSession: db.prepare<[string], SessionRow>('SELECT * FROM agent_sessions WHERE name = ?'),
    listSessions: db.prepare<[], SessionRow>('SELECT * FROM agent_sessions ORDER BY name'),
    deleteSession: db.prepare<[string]>('DELETE FROM agent_sessions WHERE name = ?'),
    getValue: db.prepare<[string], { value: string }>('SELECT value FROM kv WHERE key = ?'),
    setValue: db.prepare<[string, string]>(
      'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
    deleteValue: db.prepare<[string]>('DELETE FROM kv WHERE key = ?'),
  };
}
