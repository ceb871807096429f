import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CREDENTIALS_FILE, oauthEntryId } from '../credentials/store.js';
import type { Simulator } from '../simulator/index.js';

/** The refresh storm across OS processes: one process per agent, sharing one CLAUDE_AUTH_HOME. */

// The processes run the built CLI and script (`npm run build` first), also when this file runs from
// the TypeScript sources in tests.
const distDir = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? '../../dist/' : '../', import.meta.url),
);
const CLI = join(distDir, 'cli', 'main.js');
const NAIVE = join(distDir, 'bench', 'refreshStormNaive.js');

/**
 * Runs `node file args…`; resolves with the first line it prints (or what it printed, when it exits
 * without a full line) and its exit code, or null when it is still running at the first line.
 */
function firstLine(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; line: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (stdout.includes('\n'))
        resolve({ code: child.exitCode, line: stdout.slice(0, stdout.indexOf('\n')) });
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, line: stdout.trim() }));
  });
}

/** The environment of a child: ours, minus every credential variable. */
function childEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const k of [
    'ANTHROPIC_API_KEY',
    'ANTHROPIC_AUTH_TOKEN',
    'CLAUDE_CODE_OAUTH_TOKEN',
    'CLAUDE_AUTH_HOME',
  ])
    delete base[k];
  return { ...base, CLAUDE_AUTH_LOG_LEVEL: 'silent', ...extra };
}

/** Every process runs `claude-auth print-token`; the token each printed (null when it failed). */
export async function processesCoordinated(
  sim: Simulator,
  home: string,
  agents: number,
  clientId: string,
): Promise<(string | null)[]> {
  writeFileSync(
    join(home, 'config.toml'),
    `[auth]\nprovider = "oauth2"\n[auth.oauth2]\ntoken_url = "${sim.tokenUrl}"\nauthorize_url = "${sim.authorizeUrl}"\nclient_id = "${clientId}"\n`,
  );
  const env = childEnv({ CLAUDE_AUTH_HOME: home });
  // print-token prints the token only on success (errors go to stderr, exit non-zero)
  const out = await Promise.all(Array.from({ length: agents }, () => firstLine(CLI, ['print-token'], env)));
  return out.map((o) => (o.line.length > 0 && (o.code === null || o.code === 0) ? o.line : null));
}

/**
 * Starts the naive processes, waits until each has read the store and holds the refresh token, then
 * lets them all go at once (the token expires). Resolves with the moment they were let go and the
 * token each ended up with.
 */
export async function processesNaive(
  sim: Simulator,
  home: string,
  agents: number,
  clientId: string,
): Promise<{ goAt: number; tokens: (string | null)[] }> {
  const env = childEnv({
    STORM_STORE: join(home, CREDENTIALS_FILE),
    STORM_ENTRY: oauthEntryId(sim.tokenUrl, clientId),
    STORM_TOKEN_URL: sim.tokenUrl,
    STORM_CLIENT_ID: clientId,
  });
  const children = Array.from({ length: agents }, () => {
    const child = spawn(process.execPath, [NAIVE], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    let stdout = '';
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (stdout.startsWith('ready\n')) resolve();
      });
      child.on('error', reject);
      child.on('close', () => reject(new Error('a naive process exited before it was ready')));
    });
    const done = new Promise<string>((resolve) => {
      const check = () => {
        const rest = stdout.slice(6);
        if (rest.includes('\n')) resolve(rest.slice(0, rest.indexOf('\n')));
      };
      child.stdout.on('data', check);
      child.on('close', () => resolve(stdout.slice(6)));
    });
    return { child, ready, done };
  });
  await Promise.all(children.map((c) => c.ready));
  const goAt = Date.now();
  for (const c of children) c.child.stdin.end('go\n');
  const outputs = await Promise.all(children.map((c) => c.done));
  return {
    goAt,
    tokens: outputs.map((o) => {
      try {
        const r = JSON.parse(o) as { ok: boolean; access_token?: string };
        return r.ok && r.access_token ? r.access_token : null;
      } catch {
        return null;
      }
    }),
  };
}

/** Milliseconds until the last of `count` `claude-auth --version` started at once has printed. */
export async function startupOf(count: number): Promise<number> {
  const t = Date.now();
  await Promise.all(Array.from({ length: count }, () => firstLine(CLI, ['--version'], childEnv({}))));
  return Date.now() - t;
}
