import type { Clock } from '../clock.js';
import type { EventBus } from './EventBus.js';
import type { AlertRuleId, AlertSeverity } from './events.js';

/** One alert rule: a key figure measured on demand and compared against a threshold. */
export interface AlertRule {
  readonly id: AlertRuleId;
  readonly severity: AlertSeverity;
  /** `above`: breaches when value > threshold; `below`: when value < threshold. */
  readonly direction: 'above' | 'below';
  readonly threshold: number;
  /** The key figure now, or null when there is too little data to judge (counts as healthy). */
  measure(): number | null;
  /** One line for people: the value, the threshold, the window. */
  describe(value: number): string;
}

/**
 * Where a rule is in its lifecycle. `breaches` and `healthy` count consecutive checks;
 * `cooldownUntil` is when a resolved alert may fire again (0: no cooldown).
 */
export type AlertState =
  | { value: 'inactive' }
  | {
      value: 'pending';
      since: number;
      breaches: number;
      /** The resolved episode whose cooldown this breach falls in, if any. */
      previous: ResolvedState | null;
    }
  | { value: 'firing'; since: number; firedAt: number; healthy: number }
  | ResolvedState;

/** A firing alert that recovered; it may not fire again before `cooldownUntil`. */
export interface ResolvedState {
  value: 'resolved';
  since: number;
  firedAt: number;
  resolvedAt: number;
  cooldownUntil: number;
}

/** An alert as the dashboard shows it. Times are epoch ms. */
export interface AlertView {
  rule: AlertRuleId;
  severity: AlertSeverity;
  state: 'pending' | 'firing' | 'resolved';
  value: number;
  threshold: number;
  message: string;
  /** When the current episode began (first breach). */
  since: number;
  fired_at: number | null;
  resolved_at: number | null;
  age_seconds: number;
}

/** Options of {@link AlertEngine}. */
export interface AlertEngineOptions {
  rules: readonly AlertRule[];
  /** Consecutive breaching checks before an alert fires (`alert_threshold_breach_count`). */
  breachCount: number;
  /** Consecutive healthy checks before a firing alert resolves. Default `breachCount`. */
  resolveCount?: number;
  /** After resolving, the alert may not fire again for this long (`alert_cooldown_minutes`). */
  cooldownMs: number;
  /** Scheduled check of every rule (`health_check_interval_minutes`); 0 for none. */
  intervalMs: number;
  clock: Clock;
  bus: EventBus;
}

interface Entry {
  readonly rule: AlertRule;
  state: AlertState;
  value: number;
  message: string;
}

const INACTIVE: AlertState = { value: 'inactive' };

/**
 * Runs the alert rules through their lifecycle: inactive → pending on a breach → firing after
 * `breachCount` consecutive breaching checks → resolved after `resolveCount` consecutive healthy
 * checks → inactive once the cooldown has passed. A breach during the cooldown makes the alert
 * pending again, and it stays pending until the cooldown is over. Checks run on a timer (unref'd)
 * and on demand: `sample()` after each new data point, so an alert fires in the same tick as the
 * sample that completes its breach count. Emits `alert.pending|firing|resolved` on the bus.
 */
export class AlertEngine {
  private readonly entries = new Map<AlertRuleId, Entry>();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly resolveCount: number;
  /** Checks run so far (scheduled and on sample). */
  checks = 0;
  /** True while every rule is inactive: callers can skip `sample()` for healthy data points. */
  quiet = true;

  constructor(private readonly options: AlertEngineOptions) {
    if (!Number.isInteger(options.breachCount) || options.breachCount < 1)
      throw new RangeError('breachCount must be a positive integer');
    this.resolveCount = options.resolveCount ?? options.breachCount;
    for (const rule of options.rules)
      this.entries.set(rule.id, { rule, state: INACTIVE, value: 0, message: '' });
    if (options.intervalMs > 0) {
      this.timer = setInterval(() => this.checkAll(), options.intervalMs);
      this.timer.unref();
    }
  }

  /**
   * A new data point for `rule`: checks it when the point breaches or the alert is not inactive
   * (healthy points for a quiet rule cost one lookup and no measurement).
   */
  sample(rule: AlertRuleId, breaching: boolean): void {
    const e = this.entries.get(rule);
    if (e === undefined || (!breaching && e.state.value === 'inactive')) return;
    this.evaluate(e);
  }

  /** Checks one rule now. */
  check(rule: AlertRuleId): void {
    const e = this.entries.get(rule);
    if (e !== undefined) this.evaluate(e);
  }

  /** Checks every rule now (what the scheduled check does). */
  checkAll(): void {
    for (const e of this.entries.values()) this.evaluate(e);
  }

  /** The lifecycle state of a rule. */
  state(rule: AlertRuleId): AlertState {
    return this.entries.get(rule)?.state ?? INACTIVE;
  }

  /** Every alert that is not inactive (pending, firing, or resolved within its cooldown). */
  list(): AlertView[] {
    const now = this.options.clock.now();
    const out: AlertView[] = [];
    for (const e of this.entries.values()) {
      const s = e.state;
      if (s.value === 'inactive') continue;
      out.push({
        rule: e.rule.id,
        severity: e.rule.severity,
        state: s.value,
        value: round(e.value),
        threshold: e.rule.threshold,
        message: e.message,
        since: s.since,
        fired_at: s.value === 'pending' ? null : s.firedAt,
        resolved_at: s.value === 'resolved' ? s.resolvedAt : null,
        age_seconds: Math.max(0, Math.round((now - s.since) / 1000)),
      });
    }
    return out;
  }

  /** Rules with a firing alert. */
  firing(): AlertRule[] {
    const out: AlertRule[] = [];
    for (const e of this.entries.values()) if (e.state.value === 'firing') out.push(e.rule);
    return out;
  }

  /** The rules, in the order given. */
  rules(): AlertRule[] {
    return [...this.entries.values()].map((e) => e.rule);
  }

  /** Stops the scheduled check. */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  private evaluate(e: Entry): void {
    this.checks++;
    const { rule } = e;
    const value = rule.measure();
    const breach =
      value !== null && (rule.direction === 'above' ? value > rule.threshold : value < rule.threshold);
    if (value !== null) e.value = value;
    const now = this.options.clock.now();
    const s = e.state;
    switch (s.value) {
      case 'inactive':
        if (breach) this.pend(e, now, null);
        break;
      case 'pending':
        if (breach) {
          s.breaches++;
          e.message = rule.describe(e.value);
          this.maybeFire(e, s, now);
        } else {
          e.state = s.previous !== null && s.previous.cooldownUntil > now ? s.previous : INACTIVE;
        }
        break;
      case 'firing':
        if (breach) {
          s.healthy = 0;
          e.message = rule.describe(e.value);
        } else if (++s.healthy >= this.resolveCount) {
          e.state = {
            value: 'resolved',
            since: s.since,
            firedAt: s.firedAt,
            resolvedAt: now,
            cooldownUntil: now + this.options.cooldownMs,
          };
          e.message = `resolved: ${rule.describe(e.value)}`;
          this.emit('alert.resolved', e, now);
        }
        break;
      case 'resolved':
        if (breach) this.pend(e, now, s);
        else if (now >= s.cooldownUntil) e.state = INACTIVE;
        break;
    }
    if (e.state.value !== 'inactive') this.quiet = false;
    else if (!this.quiet) this.quiet = [...this.entries.values()].every((x) => x.state.value === 'inactive');
  }

  private pend(e: Entry, now: number, previous: ResolvedState | null): void {
    const s: AlertState = { value: 'pending', since: now, breaches: 1, previous };
    e.state = s;
    e.message = e.rule.describe(e.value);
    this.emit('alert.pending', e, now);
    this.maybeFire(e, s, now);
  }

  private maybeFire(e: Entry, s: Extract<AlertState, { value: 'pending' }>, now: number): void {
    if (s.breaches < this.options.breachCount) return;
    if (s.previous !== null && now < s.previous.cooldownUntil) return;
    e.state = { value: 'firing', since: s.since, firedAt: now, healthy: 0 };
    this.emit('alert.firing', e, now);
  }

  private emit(type: 'alert.pending' | 'alert.firing' | 'alert.resolved', e: Entry, at: number): void {
    this.options.bus.emit({
      type,
      at,
      rule: e.rule.id,
      severity: e.rule.severity,
      value: round(e.value),
      threshold: e.rule.threshold,
      message: e.message,
    });
  }
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
