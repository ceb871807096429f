import {
  decorrelatedJitterGenerator,
  ExponentialBackoff,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
} from 'cockatiel';
import type { Clock } from '../clock.js';
import { ClaudeAuthError } from '../errors.js';

type Context = IRetryBackoffContext<unknown>;

/**
 * Exponential backoff with decorrelated jitter (cockatiel's), stretched to honour a server's
 * `retry-after`: when the failure carries `retryAt`, the next attempt waits at least until then.
 */
export class RetryAfterBackoff implements IBackoffFactory<Context> {
  constructor(
    private readonly clock: Clock,
    private readonly inner: IBackoffFactory<unknown> = new ExponentialBackoff({
      generator: decorrelatedJitterGenerator,
      initialDelay: 250,
      maxDelay: 30_000,
    }),
  ) {}

  next(context: Context): IBackoff<Context> {
    const base = this.inner.next(context);
    const error = 'error' in context.result ? context.result.error : undefined;
    const retryAt = error instanceof ClaudeAuthError ? error.retryAt : undefined;
    const duration =
      retryAt === undefined ? base.duration : Math.max(base.duration, retryAt - this.clock.now());
    return {
      duration,
      next: (ctx: Context) => new RetryAfterBackoff(this.clock, base).next(ctx),
    };
  }
}
