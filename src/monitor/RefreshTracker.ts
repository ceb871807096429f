import type { ErrorCode } from '../errors.js';
import { LatencyHistogram } from './buckets.js';
import type { AuthEvent, RefreshReason } from './events.js';

/** A token endpoint's circuit breaker state. */
export type CircuitState = 'closed' | 'open' | 'half_open';
/** Every refresh reason: the closed set of the `reason` label. */
export const REFRESH_REASONS: readonly RefreshReason[] = [
  'expired',
  'refresh_ahead',
  'scheduled',
  'unauthorized',
  'initial',
];

/** A token endpoint's circuit as the monitor saw it change. */
export interface CircuitView {
  endpoint: string;
  state: CircuitState;
  /** Epoch ms of the last change seen (0 when only sampled). */
  since: number;
}

/**
 * What the refresh, circuit and re-login events say, kept as counters: refresh durations by
 * outcome, refreshes by outcome and reason, failures since the last success, circuits by endpoint
 * (scheme, host and path only) and credentials that need a new login.
 */
export class RefreshTracker {
  readonly duration = { success: new LatencyHistogram(), failure: new LatencyHistogram() };
  /** Refreshes by outcome (0 success, 1 failure) × reason. */
  readonly byReason = new Float64Array(2 * REFRESH_REASONS.length);
  succeeded = 0;
  failed = 0;
  batches = 0;
  consecutiveFailures = 0;
  lastFailure: { at: number; code: ErrorCode; message: string } | null = null;
  private readonly started = new Map<string, number>();
  private readonly circuitMap = new Map<string, CircuitView>();
  readonly reauth = new Set<string>();

  /** Takes one bus event; returns true when it concerns refreshes, circuits or re-login. */
  handle(e: AuthEvent): boolean {
    switch (e.type) {
      case 'refresh.started':
        if (this.started.size < 1000) this.started.set(e.credential, e.at);
        return false;
      case 'refresh.succeeded':
        this.started.delete(e.credential);
        this.succeeded++;
        this.byReason[REFRESH_REASONS.indexOf(e.reason)]!++;
        this.duration.success.observe(e.durationMs);
        this.consecutiveFailures = 0;
        this.reauth.delete(e.credential);
        return true;
      case 'refresh.failed': {
        const began = this.started.get(e.credential);
        this.started.delete(e.credential);
        this.failed++;
        this.byReason[REFRESH_REASONS.length + REFRESH_REASONS.indexOf(e.reason)]!++;
        if (began !== undefined) this.duration.failure.observe(Math.max(0, e.at - began));
        this.consecutiveFailures++;
        this.lastFailure = { at: e.at, code: e.code, message: e.message };
        return true;
      }
      case 'refresh.batch':
        this.batches++;
        return false;
      case 'circuit.opened':
        this.setCircuit(e.endpoint, 'open', e.at);
        return true;
      case 'circuit.half_open':
        this.setCircuit(e.endpoint, 'half_open', e.at);
        return true;
      case 'circuit.closed':
        this.setCircuit(e.endpoint, 'closed', e.at);
        return true;
      case 'reauth.required':
        if (this.reauth.size < 100) this.reauth.add(e.credential);
        return true;
      default:
        return false;
    }
  }

  /** Brings circuits in line with a sampled `endpoint → state` map (the manager's view). */
  syncCircuits(circuits: Readonly<Record<string, CircuitState>>, now: number): void {
    for (const [endpoint, state] of Object.entries(circuits)) {
      const known = this.circuitMap.get(safeEndpoint(endpoint));
      if (known === undefined || known.state !== state) this.setCircuit(endpoint, state, now);
    }
  }

  /** Every circuit seen. */
  circuits(): CircuitView[] {
    return [...this.circuitMap.values()].map((c) => ({ ...c }));
  }

  /** Endpoints whose circuit is not closed. */
  open(): string[] {
    const out: string[] = [];
    for (const c of this.circuitMap.values()) if (c.state !== 'closed') out.push(c.endpoint);
    return out;
  }

  /** Circuits in a given state. */
  count(state: CircuitState): number {
    let n = 0;
    for (const c of this.circuitMap.values()) if (c.state === state) n++;
    return n;
  }

  private setCircuit(endpoint: string, state: CircuitState, at: number): void {
    const key = safeEndpoint(endpoint);
    if (this.circuitMap.size >= 100 && !this.circuitMap.has(key)) return;
    this.circuitMap.set(key, { endpoint: key, state, since: at });
  }
}

/** An endpoint without query, fragment or credentials: scheme, host and path. */
export function safeEndpoint(endpoint: string): string {
  if (!URL.canParse(endpoint)) return endpoint.slice(0, 64);
  const u = new URL(endpoint);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
