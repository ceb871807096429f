/**
 * The challenge the guarded routes send with a 401, so a browser opening the dashboard asks for
 * the admin token once (as the password; the user name is ignored) and then sends it with every
 * request of the page, EventSource included, which cannot set an Authorization header itself.
 */
export const BASIC_CHALLENGE = 'Basic realm="claude-auth", charset="UTF-8"';

/**
 * The password of an `Authorization: Basic base64(user:password)` header, whatever the user name;
 * null for any other header (or none).
 */
export function basicAuthPassword(header: string | undefined): string | null {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (m === null) return null;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decoded.slice(colon + 1);
}
