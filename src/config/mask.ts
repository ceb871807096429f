import { SECRET_KEYS } from './schema.js';

/** What replaces a secret wherever the config is shown. */
export const MASKED = '…(masked)';

/** True for the dotted key paths whose values are secrets (`auth.api_key`). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.includes(key);
}

/**
 * True for strings that look like an Anthropic credential wherever they appear: a key pasted into
 * the wrong field must not be printed either.
 */
export function looksLikeSecret(value: string): boolean {
  return value.startsWith('sk-ant-');
}

/** A secret as it may be shown: its well-known prefix at most, never any of the value. */
export function maskSecret(value: string): string {
  return looksLikeSecret(value) ? `sk-ant-${MASKED}` : MASKED;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function maskAt(value: unknown, path: string): unknown {
  if (typeof value === 'string') {
    return isSecretKey(path) || looksLikeSecret(value) ? maskSecret(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => maskAt(v, path));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskAt(v, path === '' ? k : `${path}.${k}`);
    return out;
  }
  return value;
}

/** A deep copy of a config (or any part of one, given its dotted path) with every secret masked. */
export function maskSecrets<T>(value: T, path = ''): T {
  return maskAt(value, path) as T;
}
