import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import envPaths from 'env-paths';

/**
 * The directory that holds all state: `$CLAUDE_AUTH_HOME`, else the XDG data dir
 * (`~/.local/share/claude-auth` on Linux).
 */
export function claudeAuthHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.CLAUDE_AUTH_HOME;
  if (fromEnv && fromEnv.trim() !== '') return resolve(fromEnv);
  return envPaths('claude-auth', { suffix: '' }).data;
}

/** Creates the home directory if needed and makes sure it is 0700 (it holds secrets). */
export function ensureHome(home: string): string {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const mode = statSync(home).mode & 0o777;
  if (mode !== 0o700) chmodSync(home, 0o700);
  return home;
}

export function homePath(home: string, name: string): string {
  return join(home, name);
}
