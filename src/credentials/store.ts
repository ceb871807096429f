import { chmodSync, copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { type Clock, systemClock } from '../clock.js';
import { ClaudeAuthError } from '../errors.js';
import { ensureHome } from '../paths.js';
import { resolveSymlinks, writeFileAtomic } from './atomicFile.js';

/** One OAuth 2.0 token set as persisted. Times are epoch milliseconds. */
export interface StoredOAuthTokens {
  token_url: string;
  client_id: string;
  grant: 'refresh_token' | 'client_credentials';
  access_token?: string;
  refresh_token?: string;
  token_type?: string;
  scope?: string;
  expires_at?: number;
  obtained_at?: number;
  last_refresh_at?: number;
  /** Set when the refresh token was rejected and a person must log in again. */
  reauth_required?: { at: number; reason: string };
  [unknown: string]: unknown;
}

export interface StoreData {
  version: 1;
  api_key?: { key: string; saved_at: number; [unknown: string]: unknown };
  claude_code_token?: { token: string; saved_at: number; [unknown: string]: unknown };
  /** Token sets keyed by `oauthEntryId(token_url, client_id)`. */
  oauth2?: Record<string, StoredOAuthTokens>;
  [unknown: string]: unknown;
}

export interface CredentialStoreOptions {
  clock?: Clock;
  /** A lock not refreshed for this long is taken over (its holder died). proper-lockfile's floor is 2000. */
  lockStaleMs?: number;
  /** Give up waiting for the lock after this long. */
  lockTimeoutMs?: number;
}

export const CREDENTIALS_FILE = 'credentials.json';

/** Key of one token set in the store: tokens of one IdP and client are never used for another. */
export function oauthEntryId(tokenUrl: string, clientId: string): string {
  return `${clientId}@${tokenUrl}`;
}

/**
 * The credential store: one JSON file in CLAUDE_AUTH_HOME, 0600 in a 0700 directory, written
 * atomically, with fields it does not know preserved. Changes go through `update`, which holds a
 * cross-process lock (proper-lockfile) and re-reads the file under it, so concurrent processes
 * serialize their read-modify-write cycles and see each other's tokens.
 */
export class CredentialStore {
  readonly path: string;
  readonly home: string;
  private readonly clock: Clock;
  private readonly lockStaleMs: number;
  private readonly lockTimeoutMs: number;
  private readonly lockPath: string;
  /** In-process queue so callers in one process do not poll the file lock against each other. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(home: string, options: CredentialStoreOptions = {}) {
    this.home = home;
    this.path = join(home, CREDENTIALS_FILE);
    this.lockPath = join(home, `${CREDENTIALS_FILE}.lock`);
    this.clock = options.clock ?? systemClock;
    this.lockStaleMs = Math.max(
      options.lockStaleMs ?? envNumber('CLAUDE_AUTH_LOCK_STALE_MS') ?? 10_000,
      2000,
    );
    this.lockTimeoutMs = options.lockTimeoutMs ?? 60_000;
  }

  /**
   * Reads the store without locking. A missing file is an empty store. A file that is not a valid
   * store is copied aside and reported; it is never overwritten.
   * @throws ClaudeAuthError credential_store_corrupt, credential_store_io
   */
  read(): StoreData {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1 };
      throw new ClaudeAuthError('credential_store_io', `cannot read ${this.path}: ${(e as Error).message}`, {
        hint: 'Check the file permissions of CLAUDE_AUTH_HOME.',
        cause: e,
      });
    }
    return this.parse(text);
  }

  /**
   * Runs `fn` on a fresh read of the store while holding the cross-process lock, and writes the
   * store back (atomically) if `fn` changed it. `fn`'s result is returned once the write is durable.
   */
  update<T>(fn: (data: StoreData) => T | Promise<T>): Promise<T> {
    return this.withLock(async () => {
      const data = this.read();
      const before = JSON.stringify(data);
      const result = await fn(data);
      if (JSON.stringify(data) !== before) this.write(data);
      return result;
    });
  }

  /**
   * Puts one OAuth token set under its id (`oauthEntryId(token_url, client_id)`), as a login
   * would: under the lock, replacing that entry and keeping everything else.
   */
  putOAuthEntry(entry: StoredOAuthTokens): Promise<void> {
    return this.update((d) => {
      (d.oauth2 ??= {})[oauthEntryId(entry.token_url, entry.client_id)] = entry;
    });
  }

  /** Holds the store lock (in-process queue, then the file lock) while `fn` runs. */
  withLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(async () => {
      const release = await this.acquire();
      try {
        return await fn();
      } finally {
        await release().catch(() => undefined);
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Writes the whole store atomically (0600). Callers outside `update` must hold the lock. */
  write(data: StoreData): void {
    ensureHome(this.home);
    const text = `${JSON.stringify(data, null, 2)}\n`;
    try {
      writeFileAtomic(this.path, text, 0o600);
      chmodSync(resolveSymlinks(this.path), 0o600);
    } catch (e) {
      throw new ClaudeAuthError('credential_store_io', `cannot write ${this.path}: ${(e as Error).message}`, {
        hint: 'Check free disk space and the permissions of CLAUDE_AUTH_HOME; the previous file is unchanged.',
        cause: e,
      });
    }
  }

  /** File mode of the store (for `status` and `doctor`), or null when there is no file yet. */
  mode(): number | null {
    try {
      return statSync(this.path).mode & 0o777;
    } catch {
      return null;
    }
  }

  private parse(text: string): StoreData {
    let value: unknown;
    let problem: string | null = null;
    try {
      value = JSON.parse(text);
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        problem = 'it is not a JSON object';
      else if ((value as { version?: unknown }).version !== 1)
        problem = `its "version" is ${JSON.stringify((value as { version?: unknown }).version)}, expected 1`;
    } catch (e) {
      problem = `it is not valid JSON (${(e as Error).message})`;
    }
    if (problem === null) return value as StoreData;
    const backup = this.keepCorruptCopy();
    throw new ClaudeAuthError(
      'credential_store_corrupt',
      `the credential store ${this.path} is corrupt: ${problem}`,
      {
        hint: `A copy was kept at ${backup}. Fix the file by hand, or move it away and run \`claude-auth login\` again; nothing was overwritten.`,
      },
    );
  }

  private keepCorruptCopy(): string {
    const stamp = new Date(this.clock.now()).toISOString().replace(/[:.]/g, '-');
    const backup = `${this.path}.corrupt-${stamp}`;
    try {
      if (!existsSync(backup)) copyFileSync(this.path, backup);
      chmodSync(backup, 0o600);
    } catch {
      // the original file is still in place, untouched
      return this.path;
    }
    return backup;
  }

  private async acquire(): Promise<() => Promise<void>> {
    ensureHome(this.home);
    const deadline = Date.now() + this.lockTimeoutMs;
    let delay = 10;
    for (;;) {
      try {
        return await lockfile.lock(this.home, {
          lockfilePath: this.lockPath,
          realpath: false,
          stale: this.lockStaleMs,
          retries: 0,
          // A compromised lock (event loop blocked past the stale time) must not crash the process.
          onCompromised: () => undefined,
        });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') {
          throw new ClaudeAuthError(
            'credential_store_io',
            `cannot lock ${this.lockPath}: ${(e as Error).message}`,
            {
              cause: e,
            },
          );
        }
        if (Date.now() >= deadline) {
          throw new ClaudeAuthError(
            'lock_timeout',
            `another claude-auth process has held ${this.lockPath} for over ${Math.round(this.lockTimeoutMs / 1000)} s`,
            {
              hint: `If no claude-auth process is running, remove ${this.lockPath}.`,
            },
          );
        }
        await sleep(delay + Math.random() * delay);
        delay = Math.min(delay * 1.5, 200);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function envNumber(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
