import type { ErrorCode } from '../errors.js';

/** Why a refresh ran. */
export type RefreshReason = 'expired' | 'refresh_ahead' | 'scheduled' | 'unauthorized' | 'initial';
export type RefreshPriority = 'urgent' | 'background';
/** Alert rules of the monitor (src/monitor/alertRules.ts). */
export type AlertRuleId =
  | 'authentication_latency'
  | 'memory_per_agent'
  | 'cache_hit_rate'
  | 'refresh_failures'
  | 'circuit_open'
  | 'reauth_required'
  | 'rate_limited'
  | 'upstream_errors';
export type AlertSeverity = 'warning' | 'critical';

/** What every alert event carries: the rule, its measured value against its threshold, and why. */
export interface AlertEventFields {
  at: number;
  rule: AlertRuleId;
  severity: AlertSeverity;
  /** The rule's key figure at this check (unit in the message). */
  value: number;
  threshold: number;
  message: string;
}
/** Why an agent session ended. */
export type SessionEndReason = 'idle_timeout' | 'memory_pressure' | 'process_exited' | 'revoked' | 'closed';

/**
 * Everything the library reports as it works, as a discriminated union on `type`. Events carry ids
 * and numbers, never a secret. `at` is epoch ms from the injected clock.
 */
export type AuthEvent =
  | {
      type: 'refresh.started';
      at: number;
      credential: string;
      reason: RefreshReason;
      priority: RefreshPriority;
    }
  | {
      type: 'refresh.succeeded';
      at: number;
      credential: string;
      reason: RefreshReason;
      durationMs: number;
      attempts: number;
      expiresAt: number | null;
    }
  | {
      type: 'refresh.failed';
      at: number;
      credential: string;
      reason: RefreshReason;
      code: ErrorCode;
      message: string;
      attempts: number;
      /** When the next background attempt is scheduled, if any. */
      nextAttemptAt: number | null;
    }
  | { type: 'refresh.batch'; at: number; size: number; waitedMs: number }
  | { type: 'circuit.opened'; at: number; endpoint: string; retryAt: number }
  | { type: 'circuit.half_open'; at: number; endpoint: string }
  | { type: 'circuit.closed'; at: number; endpoint: string }
  | { type: 'reauth.required'; at: number; credential: string; message: string }
  | {
      type: 'cache.invalidated';
      at: number;
      credential: string;
      reason: 'refreshed' | 'revoked' | 'provider_changed';
    }
  | { type: 'session.started'; at: number; agentId: string; reservedMb: number }
  | { type: 'session.ended'; at: number; agentId: string; reason: SessionEndReason; reservedMb: number }
  | {
      type: 'memory.pressure';
      at: number;
      reservedMb: number;
      gcThresholdMb: number;
      maxMemoryMb: number;
      /** Agents whose idle sessions were ended to make room, least recently active first. */
      evicted: string[];
    }
  | {
      type: 'memory.refused';
      at: number;
      agentId: string;
      requestedMb: number;
      reservedMb: number;
      maxMemoryMb: number;
    }
  | {
      type: 'memory.over_limit';
      at: number;
      agentId: string;
      observedMb: number;
      limitMb: number;
      enforced: boolean;
    }
  /** A rule breached once (or again during its cooldown). */
  | ({ type: 'alert.pending' } & AlertEventFields)
  /** A rule breached `alert_threshold_breach_count` checks in a row. */
  | ({ type: 'alert.firing' } & AlertEventFields)
  /** A firing rule was healthy for `alert_threshold_breach_count` checks in a row. */
  | ({ type: 'alert.resolved' } & AlertEventFields);

export type AuthEventType = AuthEvent['type'];
