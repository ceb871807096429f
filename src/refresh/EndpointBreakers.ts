import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import type { Clock } from '../clock.js';
import { ClaudeAuthError } from '../errors.js';
import type { EventBus } from '../monitor/EventBus.js';

export interface BreakerOptions {
  /** Consecutive transient failures that open the circuit. */
  threshold: number;
  /** How long the circuit stays open before one trial request is let through. */
  halfOpenAfterMs: number;
}

/** Failures that say the endpoint is unwell (and are worth retrying), not that the grant is bad. */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof ClaudeAuthError &&
    (error.code === 'token_endpoint_unreachable' ||
      error.code === 'refresh_failed' ||
      error.code === 'lock_timeout')
  );
}

export type CircuitView = 'closed' | 'open' | 'half_open';

interface Entry {
  policy: CircuitBreakerPolicy;
  retryAt: number;
}

/**
 * One circuit breaker per token endpoint (cockatiel). While a circuit is open, refreshes against that
 * endpoint fail fast with `refresh_unavailable` carrying when to retry; still-valid tokens keep being
 * served by the caller.
 */
export class EndpointBreakers {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly options: BreakerOptions,
    private readonly clock: Clock,
    private readonly events: EventBus,
  ) {}

  /** Runs `fn` through the breaker of `endpoint`. */
  async execute<T>(endpoint: string, fn: () => Promise<T>): Promise<T> {
    const entry = this.entry(endpoint);
    try {
      return await entry.policy.execute(fn);
    } catch (e) {
      if (e instanceof BrokenCircuitError) {
        throw new ClaudeAuthError(
          'refresh_unavailable',
          `refreshes against ${endpoint} are paused after repeated failures; retry after ${new Date(entry.retryAt).toISOString()}`,
          {
            hint: 'Still-valid tokens keep being served. Check the identity provider; `claude-auth status` shows the state.',
            retryAt: entry.retryAt,
            cause: e,
          },
        );
      }
      throw e;
    }
  }

  state(endpoint: string): CircuitView {
    const policy = this.entries.get(endpoint)?.policy;
    if (!policy) return 'closed';
    switch (policy.state) {
      case CircuitState.Open:
      case CircuitState.Isolated:
        return 'open';
      case CircuitState.HalfOpen:
        return 'half_open';
      default:
        return 'closed';
    }
  }

  /** Endpoint → circuit state, for the dashboard. */
  snapshot(): Record<string, CircuitView> {
    const out: Record<string, CircuitView> = {};
    for (const endpoint of this.entries.keys()) out[endpoint] = this.state(endpoint);
    return out;
  }

  private entry(endpoint: string): Entry {
    let entry = this.entries.get(endpoint);
    if (entry) return entry;
    const policy = circuitBreaker(handleWhen(isTransient), {
      halfOpenAfter: this.options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(this.options.threshold),
    });
    entry = { policy, retryAt: 0 };
    const e = entry;
    policy.onBreak(() => {
      e.retryAt = this.clock.now() + this.options.halfOpenAfterMs;
      this.events.emit({ type: 'circuit.opened', at: this.clock.now(), endpoint, retryAt: e.retryAt });
    });
    policy.onHalfOpen(() => this.events.emit({ type: 'circuit.half_open', at: this.clock.now(), endpoint }));
    policy.onReset(() => this.events.emit({ type: 'circuit.closed', at: this.clock.now(), endpoint }));
    this.entries.set(endpoint, entry);
    return entry;
  }
}
