import { type Logger, pino } from 'pino';

/**
 * Field paths that may hold secrets. pino replaces their values with "[redacted]" wherever they
 * appear, so a careless `log.info({ headers })` cannot leak a credential.
 */
export const REDACT_PATHS: readonly string[] = [
  'secret',
  'token',
  'key',
  'apiKey',
  'api_key',
  'access_token',
  'refresh_token',
  'client_secret',
  'authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.secret',
  '*.token',
  '*.apiKey',
  '*.api_key',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.authorization',
  '*["x-api-key"]',
];

/** A JSON logger on stderr (fd 2) at the level from `CLAUDE_AUTH_LOG_LEVEL` (default warn). */
export function createLogger(level = process.env.CLAUDE_AUTH_LOG_LEVEL ?? 'warn'): Logger {
  return pino(
    { name: 'claude-auth', level, redact: { paths: [...REDACT_PATHS], censor: '[redacted]' } },
    pino.destination({ fd: 2, sync: true }),
  );
}
