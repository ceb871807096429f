import type Database from 'better-sqlite3';
import { ClaudeAuthError } from '../errors.js';

/**
 * Schema migrations of the SQLite state file. `PRAGMA user_version` holds how many have run; each
 * runs once, in its own transaction, in order. Append new ones; never edit a released one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE virtual_keys (
    key_id       TEXT PRIMARY KEY,
    agent        TEXT NOT NULL,
    key_hash     BLOB NOT NULL UNIQUE,     -- SHA-256 of the key; the key itself is never stored
    created_at   INTEGER NOT NULL,         -- epoch ms
    expires_at   INTEGER,
    revoked_at   INTEGER,
    last_seen_at INTEGER
  ) STRICT;
  CREATE INDEX virtual_keys_by_agent ON virtual_keys (agent, created_at);

  CREATE TABLE agent_sessions (
    name         TEXT PRIMARY KEY,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    reserved_mb  REAL NOT NULL DEFAULT 0,
    metadata     TEXT NOT NULL DEFAULT '{}'  -- JSON object
  ) STRICT;

  CREATE TABLE kv (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  -- Bumped by triggers whenever the set of usable keys changes (not on last_seen_at), so watchers
  -- reload keys only when they must, whoever wrote the change.
  CREATE TABLE key_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
  ) STRICT;
  INSERT INTO key_generation (id, generation) VALUES (1, 0);
  CREATE TRIGGER virtual_keys_insert AFTER INSERT ON virtual_keys
    BEGIN UPDATE key_generation SET generation = generation + 1; END;
  CREATE TRIGGER virtual_keys_update AFTER UPDATE OF key_id, agent, key_hash, expires_at, revoked_at
    ON virtual_keys BEGIN UPDATE key_generation SET generation = generation + 1; END;
  CREATE TRIGGER virtual_keys_delete AFTER DELETE ON virtual_keys
    BEGIN UPDATE key_generation SET generation = generation + 1; END;
  `,
];

/** Schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to SCHEMA_VERSION. Runs under BEGIN IMMEDIATE so two processes opening a new
 * file at once do not both migrate it.
 * @throws ClaudeAuthError state_unavailable when the file was written by a newer claude-auth.
 */
export function migrate(db: Database.Database, file: string): void {
  const run = db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new ClaudeAuthError(
        'state_unavailable',
        `the state file ${file} has schema version ${version}; this claude-auth knows up to ${SCHEMA_VERSION}`,
        { hint: 'It was written by a newer claude-auth: upgrade this one, or point [state] url elsewhere.' },
      );
    }
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    if (version !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  });
  run.immediate();
}
