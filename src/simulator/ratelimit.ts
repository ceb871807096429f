/** Requests per minute the simulated organisation may make (what the headers report). */
export const REQUESTS_LIMIT = 4000;
/** Input plus output tokens per minute. */
export const TOKENS_LIMIT = 400_000;

const WINDOW_MS = 60_000;

/**
 * The `anthropic-ratelimit-*` headers: a fixed one-minute window on the injected clock counting
 * requests and tokens. Informational only: the simulator never refuses on its own count (rate
 * limiting is the `rateLimitRate` fault's job), but the numbers move like the real ones.
 */
export class RateLimitWindow {
  private windowEnd = 0;
  private requests = 0;
  private tokens = 0;
  private resetIso = '';

  constructor(private readonly now: () => number) {}

  /**
   * Counts one request using `tokens` and returns the headers of its response.
   * @param exhausted report zero remaining requests (a 429 answer)
   */
  headers(requestId: string, tokens: number, exhausted = false): Record<string, string | number> {
    const now = this.now();
    if (now >= this.windowEnd) {
      this.windowEnd = now - (now % WINDOW_MS) + WINDOW_MS;
      this.resetIso = new Date(this.windowEnd).toISOString();
      this.requests = 0;
      this.tokens = 0;
    }
    this.requests++;
    this.tokens += tokens;
    return {
      'request-id': requestId,
      'anthropic-ratelimit-requests-limit': REQUESTS_LIMIT,
      'anthropic-ratelimit-requests-remaining': exhausted ? 0 : Math.max(0, REQUESTS_LIMIT - this.requests),
      'anthropic-ratelimit-requests-reset': this.resetIso,
      'anthropic-ratelimit-tokens-limit': TOKENS_LIMIT,
      'anthropic-ratelimit-tokens-remaining': Math.max(0, TOKENS_LIMIT - this.tokens),
      'anthropic-ratelimit-tokens-reset': this.resetIso,
    };
  }
}
