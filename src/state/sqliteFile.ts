import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ClaudeAuthError, isClaudeAuthError } from '../errors.js';
import { migrate } from './sqliteSchema.js';

/** The in-memory database name (`sqlite::memory:`). */
export const MEMORY = ':memory:';

export interface SqliteOpenOptions {
  /** How long a write waits for another process's write lock before failing (ms). */
  busyTimeoutMs: number;
}

/**
 * Opens (creating if needed) the state database: the file 0600 in a 0700 directory, WAL mode so
 * readers never block the writer, a busy timeout so concurrent CLI writers queue instead of
 * failing, a quick integrity check, then migrations. A damaged file is reported, never recreated.
 * @throws ClaudeAuthError state_corrupt (names the file), state_unavailable
 */
export function openSqliteFile(file: string, options: SqliteOpenOptions): Database.Database {
  if (file !== MEMORY) prepareFile(file);
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (e) {
    throw toStateError(e, file, 'open');
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
    if (file !== MEMORY) db.pragma('journal_mode = WAL');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') {
      throw new ClaudeAuthError('state_corrupt', `the state file ${file} is corrupt: ${String(check)}`, {
        hint: corruptHint(file),
      });
    }
    migrate(db, file);
    if (file !== MEMORY) restrictModes(file);
    return db;
  } catch (e) {
    db.close();
    throw toStateError(e, file, 'open');
  }
}

/**
 * Maps an error from better-sqlite3 to a ClaudeAuthError naming the file: damaged data is
 * `state_corrupt`, everything else (locked too long, disk full, permissions) `state_unavailable`.
 */
export function toStateError(e: unknown, file: string, doing: string): ClaudeAuthError {
  if (isClaudeAuthError(e)) return e;
  const code = String((e as { code?: unknown }).code ?? '');
  const message = (e as Error).message ?? String(e);
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new ClaudeAuthError('state_corrupt', `the state file ${file} is corrupt: ${message}`, {
      hint: corruptHint(file),
      cause: e,
    });
  }
  const hint = code.startsWith('SQLITE_BUSY')
    ? 'Another process held the state database for too long; try again.'
    : `Check free disk space and the permissions of ${file === MEMORY ? 'the process' : dirname(file)}.`;
  return new ClaudeAuthError('state_unavailable', `cannot ${doing} the state database ${file}: ${message}`, {
    hint,
    cause: e,
  });
}

function corruptHint(file: string): string {
  return `Nothing was changed. Move ${file} aside (agent keys in it are lost; issue new ones with \`claude-auth agent add\`), or restore it from a backup.`;
}

/** Creates the directory (0700) and an empty file (0600) so SQLite never creates it with the umask. */
function prepareFile(file: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
  } catch (e) {
    throw new ClaudeAuthError(
      'state_unavailable',
      `cannot create the state file ${file}: ${(e as Error).message}`,
      {
        hint: `Check the permissions of ${dirname(file)}.`,
        cause: e,
      },
    );
  }
}

/** SQLite gives -wal and -shm the main file's mode; make sure anyway, they hold the same data. */
function restrictModes(file: string): void {
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((statSync(path).mode & 0o777) !== 0o600) chmodSync(path, 0o600);
    } catch {
      // -wal and -shm exist only while a connection is open
    }
  }
}
