import { ClaudeAuthError, isClaudeAuthError } from '../errors.js';

/**
 * Wraps a command's action: a ClaudeAuthError becomes `claude-auth: <message>` plus its hint on
 * stderr and the exit status from the error table; anything else is a bug and prints its stack.
 * Actions return the exit status (default 0) instead of calling process.exit, so pending writes flush.
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<number | undefined> | number | undefined,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? 0;
    } catch (e) {
      process.exitCode = reportError(e);
    }
  };
}

/** Prints an error for a person and returns the exit status it maps to. */
export function reportError(e: unknown): number {
  if (isClaudeAuthError(e)) {
    process.stderr.write(`claude-auth: ${e.describe()}\n`);
    return e.kind.exit;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(`claude-auth: unexpected error: ${err.stack ?? err.message}\n`);
  return 1;
}

/** Writes a value as one line of JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Parses a TCP port option, or throws a usage error naming the option. */
export function parsePort(value: string, option = '--port'): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ClaudeAuthError('usage', `${option} must be an integer from 0 to 65535, got "${value}"`);
  }
  return n;
}
