import type { CredentialKind } from '../credentials/types.js';

/** Optional bounded retry of 529 overloaded answers (off by default). */
export interface RetryOverloaded {
  /** Retries after the first attempt. */
  attempts: number;
  /** Longest wait before a retry, in ms; `retry-after` is honoured up to this. */
  maxDelayMs: number;
}

/** Bodies up to this size are read whole before sending when a replay may be needed. */
export const DEFAULT_REPLAY_BUFFER_BYTES = 1024 * 1024;

/**
 * Whether to read the body whole before sending: only when an answer may have to be replayed (a
 * 401 on an OAuth access token, or a 529 with retries on) and the body is small and of known size.
 * Everything else streams through and is never replayed.
 */
export function shouldBuffer(
  kind: CredentialKind,
  contentLength: number,
  retryOverloaded: RetryOverloaded | null,
  limit: number,
): boolean {
  if (contentLength <= 0 || contentLength > limit) return false;
  return kind === 'oauth_access_token' || retryOverloaded !== null;
}

/** Base of the exponential backoff between 529 retries when upstream sends no `retry-after`. */
const BACKOFF_BASE_MS = 250;

/**
 * The wait before 529 retry number `retry` (1-based): `retry-after` when upstream sent one, else
 * exponential backoff with full jitter; never more than `maxDelayMs`.
 */
export function overloadDelayMs(retry: number, retryAfter: string | undefined, maxDelayMs: number): number {
  const seconds = retryAfter === undefined ? Number.NaN : Number(retryAfter);
  const wanted =
    Number.isFinite(seconds) && seconds >= 0
      ? seconds * 1000
      : Math.random() * BACKOFF_BASE_MS * 2 ** (retry - 1);
  return Math.min(wanted, maxDelayMs);
}
