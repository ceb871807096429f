import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AlertEngine, type AlertRule } from './AlertEngine.js';
import { EventBus } from './EventBus.js';
import type { AuthEvent } from './events.js';

const clock = { now: () => Date.now() };
let bus: EventBus;
let events: AuthEvent[];
let engines: AlertEngine[];

beforeEach(() => {
  vi.useFakeTimers({ now: 1_800_000_000_000 });
  bus = new EventBus();
  events = [];
  engines = [];
  bus.subscribe((e) => events.push(e));
});
afterEach(() => {
  for (const e of engines) e.close();
  vi.useRealTimers();
});

/** A rule whose value the test sets. */
function rule(direction: 'above' | 'below' = 'above'): AlertRule & { value: number | null } {
  const r = {
    id: 'upstream_errors' as const,
    severity: 'warning' as const,
    direction,
    threshold: 10,
    value: 0 as number | null,
    measure: () => r.value,
    describe: (v: number) => `value ${v}`,
  };
  return r;
}

function engine(r: AlertRule, opts: { breachCount?: number; cooldownMs?: number; intervalMs?: number } = {}) {
  const e = new AlertEngine({
    rules: [r],
    breachCount: opts.breachCount ?? 3,
    cooldownMs: opts.cooldownMs ?? 300_000,
    intervalMs: opts.intervalMs ?? 60_000,
    clock,
    bus,
  });
  engines.push(e);
  return e;
}

const types = () => events.map((e) => e.type);

describe('AlertEngine lifecycle', () => {
  it('pending on the first breach, firing after N consecutive breaches, resolved after N healthy checks', () => {
    const r = rule();
    const e = engine(r);
    r.value = 50;
    e.check(r.id);
    expect(e.state(r.id).value).toBe('pending');
    expect(types()).toEqual(['alert.pending']);
    e.check(r.id);
    expect(e.state(r.id).value).toBe('pending');
    e.check(r.id);
    expect(e.state(r.id).value).toBe('firing');
    expect(types()).toEqual(['alert.pending', 'alert.firing']);
    const firing = events[1]!;
    expect(firing).toMatchObject({ rule: 'upstream_errors', severity: 'warning', value: 50, threshold: 10 });
    r.value = 1;
    e.check(r.id);
    e.check(r.id);
    expect(e.state(r.id).value).toBe('firing');
    r.value = 20; // a breach resets the healthy count
    e.check(r.id);
    r.value = 1;
    e.check(r.id);
    e.check(r.id);
    expect(e.state(r.id).value).toBe('firing');
    e.check(r.id);
    expect(e.state(r.id).value).toBe('resolved');
    expect(types()).toEqual(['alert.pending', 'alert.firing', 'alert.resolved']);
  });

  it('a healthy check while pending goes back to inactive without an event', () => {
    const r = rule();
    const e = engine(r);
    r.value = 50;
    e.check(r.id);
    r.value = null; // too little data counts as healthy
    e.check(r.id);
    expect(e.state(r.id).value).toBe('inactive');
    expect(e.quiet).toBe(true);
    expect(types()).toEqual(['alert.pending']);
  });

  it('the cooldown keeps a re-breaching alert pending, then lets it fire', () => {
    const r = rule('below');
    r.value = 20;
    const e = engine(r, { breachCount: 2, cooldownMs: 300_000, intervalMs: 0 });
    r.value = 1;
    e.check(r.id);
    e.check(r.id);
    r.value = 20;
    e.check(r.id);
    e.check(r.id);
    expect(e.state(r.id).value).toBe('resolved');
    vi.advanceTimersByTime(60_000);
    r.value = 1; // flaps back within the cooldown
    for (let i = 0; i < 10; i++) e.check(r.id);
    expect(e.state(r.id).value).toBe('pending');
    expect(types().filter((t) => t === 'alert.firing')).toHaveLength(1);
    vi.advanceTimersByTime(240_000); // cooldown over
    e.check(r.id);
    expect(e.state(r.id).value).toBe('firing');
    expect(types().filter((t) => t === 'alert.firing')).toHaveLength(2);
  });

  it('healthy during the cooldown returns to resolved, and to inactive once it has passed', () => {
    const r = rule();
    const e = engine(r, { breachCount: 1, cooldownMs: 60_000, intervalMs: 0 });
    r.value = 50;
    e.check(r.id); // count 1: pending and firing at once
    r.value = 0;
    e.check(r.id);
    expect(e.state(r.id).value).toBe('resolved');
    r.value = 50;
    e.check(r.id);
    expect(e.state(r.id).value).toBe('pending');
    r.value = 0;
    e.check(r.id);
    expect(e.state(r.id).value).toBe('resolved');
    vi.advanceTimersByTime(60_000);
    e.check(r.id);
    expect(e.state(r.id).value).toBe('inactive');
    expect(e.list()).toEqual([]);
  });

  it('runs the scheduled check every interval on an unref’d timer', () => {
    const r = rule();
    const e = engine(r, { intervalMs: 60_000 });
    r.value = 50;
    vi.advanceTimersByTime(59_999);
    expect(e.state(r.id).value).toBe('inactive');
    vi.advanceTimersByTime(1);
    expect(e.state(r.id).value).toBe('pending');
    vi.advanceTimersByTime(120_000);
    expect(e.state(r.id).value).toBe('firing');
    expect(e.checks).toBe(3);
  });

  it('sample() skips healthy points of a quiet rule and checks everything else', () => {
    const r = rule();
    const e = engine(r, { intervalMs: 0 });
    const measure = vi.spyOn(r, 'measure');
    e.sample(r.id, false);
    expect(measure).not.toHaveBeenCalled();
    r.value = 50;
    e.sample(r.id, true);
    expect(e.quiet).toBe(false);
    e.sample(r.id, false); // not quiet: checked, and the window still breaches
    expect(measure).toHaveBeenCalledTimes(2);
    e.sample(r.id, false);
    expect(e.state(r.id).value).toBe('firing');
  });

  it('lists alerts with state, age and times for the dashboard', () => {
    const r = rule();
    const e = engine(r, { intervalMs: 0 });
    r.value = 50;
    e.check(r.id);
    vi.advanceTimersByTime(5_000);
    e.check(r.id);
    e.check(r.id);
    const [view] = e.list();
    expect(view).toMatchObject({ rule: 'upstream_errors', state: 'firing', value: 50, age_seconds: 5 });
    expect(view?.fired_at).toBe(Date.now());
    expect(e.firing().map((x) => x.id)).toEqual(['upstream_errors']);
  });

  it('rejects a breach count below 1', () => {
    expect(() => engine(rule(), { breachCount: 0 })).toThrow(RangeError);
  });
});
