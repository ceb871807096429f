/**
 * One naive agent process of `npm run bench:storm`: behaves like an independent session that
 * refreshes its own credential. It reads the shared credential file when it starts (as a session
 * that is already running holds its token) and prints "ready"; on a line on stdin (the moment the
 * token expires, the same for every process) it runs its own refresh_token grant with the refresh
 * token it read and, on success, writes the new tokens back to the file without any lock. Then
 * prints one JSON line: {"ok":true,"access_token":"…"} or {"ok":false,"error":"invalid_grant"}.
 *
 * Env: STORM_STORE (credentials.json), STORM_ENTRY (its oauth2 entry id), STORM_TOKEN_URL,
 * STORM_CLIENT_ID.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

interface Entry {
  refresh_token?: string;
  access_token?: string;
  expires_at?: number;
}

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const storePath = env('STORM_STORE');
const entryId = env('STORM_ENTRY');
const store = JSON.parse(readFileSync(storePath, 'utf8')) as { oauth2: Record<string, Entry> };
const held = store.oauth2[entryId]?.refresh_token ?? '';
// load fetch's machinery now, so the timed part is the grant, not module loading
await fetch(new URL('/v1/models', env('STORM_TOKEN_URL'))).then((r) => r.arrayBuffer());
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
process.stdin.pause();

const res = await fetch(env('STORM_TOKEN_URL'), {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: held,
    client_id: env('STORM_CLIENT_ID'),
  }),
});
const body = (await res.json()) as {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  error?: string;
};
if (res.ok && body.access_token) {
  const now = JSON.parse(readFileSync(storePath, 'utf8')) as typeof store;
  now.oauth2[entryId] = {
    ...now.oauth2[entryId],
    access_token: body.access_token,
    ...(body.refresh_token ? { refresh_token: body.refresh_token } : {}),
    expires_at: Date.now() + (body.expires_in ?? 3600) * 1000,
  };
  writeFileSync(`${storePath}.${process.pid}`, JSON.stringify(now));
  renameSync(`${storePath}.${process.pid}`, storePath);
  process.stdout.write(`${JSON.stringify({ ok: true, access_token: body.access_token })}\n`);
} else {
  process.stdout.write(`${JSON.stringify({ ok: false, error: body.error ?? `http_${res.status}` })}\n`);
}
// do not linger on kept-alive sockets: the parent times until the last exit
process.exit(0);
