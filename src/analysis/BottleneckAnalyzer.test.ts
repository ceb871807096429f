import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import { RequestRecord } from '../gateway/record.js';
import { BottleneckAnalyzer } from './BottleneckAnalyzer.js';
import type { Finding } from './types.js';

const T0 = Date.UTC(2026, 11, 4, 12);

/** A finished request ending at `end`: healthy stages unless `change` says otherwise. */
function record(end: number, change: Partial<RequestRecord> = {}): RequestRecord {
  const total = change.totalMs ?? 1900;
  const r = new RequestRecord('r', end - total, 'POST', '/v1/messages');
  Object.assign(r, {
    agentId: 'agent-1',
    keyCheckMs: 0.005,
    authMs: 0.003,
    poolMs: 0.2,
    ttfbMs: 400,
    streamMs: 1499,
    totalMs: total,
    status: 200,
    source: 'upstream',
    streamed: true,
    credentialKind: 'api_key',
    ...change,
  });
  return r;
}

function clockAt(start: number) {
  const c = { t: start, now: () => c.t };
  return c;
}

/** Every dotted key path of the config. */
function configKeys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? configKeys(v, `${prefix}${k}.`)
      : [`${prefix}${k}`],
  );
}

describe('BottleneckAnalyzer', () => {
  it('copies what it needs: a record changed after observe() changes nothing', () => {
    const clock = clockAt(T0);
    const fed = new BottleneckAnalyzer({ clock, bucketMs: 1000, windowMs: 60_000 });
    const control = new BottleneckAnalyzer({ clock, bucketMs: 1000, windowMs: 60_000 });
    for (let i = 0; i < 50; i++) {
      clock.t += 100;
      const r = record(clock.t, { ttfbMs: 3000, totalMs: 4500 });
      fed.observe(r);
      control.observe(record(clock.t, { ttfbMs: 3000, totalMs: 4500 }));
      Object.assign(r, { ttfbMs: 1_000_000, totalMs: 2_000_000, status: 429, agentId: 'someone-else' });
    }
    expect(fed.analyze()).toEqual(control.analyze());
    expect(fed.topFinding()?.kind).toBe('slow_upstream');
  });

  it('forgets everything older than the window', () => {
    const clock = clockAt(T0);
    const a = new BottleneckAnalyzer({ clock, bucketMs: 10_000 });
    for (let i = 0; i < 100; i++)
      a.observe(record((clock.t += 1000), { ttfbMs: 5000, totalMs: 6500, agentId: `a${i}` }));
    expect(a.topFinding()?.kind).toBe('slow_upstream');
    expect(a.topFinding()?.evidence.requests).toBe(100);
    clock.t += 16 * 60_000;
    expect(a.analyze()).toEqual([]);
    for (let i = 0; i < 100; i++) a.observe(record((clock.t += 1000)));
    expect(a.analyze()).toEqual([]);
  });

  it('counts distinct active agents and forgets idle ones', () => {
    const clock = clockAt(T0);
    const a = new BottleneckAnalyzer({ clock, bucketMs: 1000, windowMs: 60_000 });
    a.observeSignals({ cache: { hits: 0, misses: 0, evictions: 0, size: 4, maxSize: 4 } });
    for (let i = 0; i < 100; i++) a.observe(record((clock.t += 100), { agentId: `agent-${i % 25}` }));
    a.observeSignals({ cache: { hits: 0, misses: 100, evictions: 96, size: 4, maxSize: 4 } });
    expect(a.analyze()[0]?.evidence.activeAgents).toBe(25);
    clock.t += 30_000;
    for (let i = 0; i < 100; i++) a.observe(record((clock.t += 100), { agentId: `agent-${i % 5}` }));
    clock.t += 35_000;
    a.observeSignals({ cache: { hits: 0, misses: 200, evictions: 196, size: 4, maxSize: 4 } });
    expect(a.analyze()[0]?.evidence.activeAgents).toBe(5);
  });

  it('sorts findings by impact and gives the top one', () => {
    const clock = clockAt(T0);
    const a = new BottleneckAnalyzer({ clock, bucketMs: 1000, windowMs: 60_000 });
    for (let i = 0; i < 200; i++) {
      clock.t += 100;
      a.observe(
        i % 4 === 0
          ? record(clock.t, { status: 429, totalMs: 5 })
          : record(clock.t, { ttfbMs: 6000, totalMs: 7500 }),
      );
    }
    const findings = a.analyze();
    expect(findings.map((f) => f.kind)).toEqual(['slow_upstream', 'rate_limited']);
    expect(findings[0]?.impact).toBeGreaterThan(findings[1]?.impact as number);
    expect(a.topFinding()).toEqual(findings[0]);
  });

  it('turns refresh events into refresh durations, failures and open circuits', () => {
    const clock = clockAt(T0);
    const a = new BottleneckAnalyzer({ clock, bucketMs: 1000, windowMs: 60_000 });
    a.observeEvent({
      type: 'refresh.started',
      at: clock.t,
      credential: 'c',
      reason: 'expired',
      priority: 'urgent',
    });
    a.observeEvent({
      type: 'refresh.failed',
      at: clock.t + 250,
      credential: 'c',
      reason: 'expired',
      code: 'refresh_failed',
      message: 'x',
      attempts: 4,
      nextAttemptAt: null,
    });
    a.observeEvent({ type: 'circuit.opened', at: clock.t, endpoint: 'idp', retryAt: clock.t + 30_000 });
    clock.t += 5000;
    const f = a.topFinding();
    expect(f?.kind).toBe('slow_token_endpoint');
    expect(f?.severity).toBe('high');
    expect(f?.evidence).toMatchObject({
      refreshes: 1,
      refreshFailures: 1,
      refreshP99Ms: 250,
      circuitsOpen: 1,
    });
    a.observeEvent({ type: 'circuit.closed', at: clock.t, endpoint: 'idp' });
    clock.t += 61_000;
    expect(a.analyze()).toEqual([]);
  });

  it('tolerates records of refused requests (stages at -1) and odd numbers', () => {
    const clock = clockAt(T0);
    const a = new BottleneckAnalyzer({ clock });
    const refused = new RequestRecord('r', T0, 'POST', '/v1/messages');
    refused.status = 401;
    refused.outcome = 'refused';
    expect(() => a.observe(refused)).not.toThrow();
    expect(() => a.observe(record(T0, { ttfbMs: Number.NaN, totalMs: Number.NaN }))).not.toThrow();
    expect(() => a.observe(record(0))).not.toThrow();
    expect(a.analyze()).toEqual([]);
  });

  it('takes its thresholds from config', () => {
    const config = defaultConfig();
    config.performance.monitoring.authentication_threshold_ms = 2000;
    const a = new BottleneckAnalyzer({ config });
    expect(a.thresholds).toMatchObject({
      refreshWaitMs: 2000,
      cacheHitRate: 0.8,
      memoryGcMb: 400,
      memoryMaxMb: 500,
    });
    expect(new BottleneckAnalyzer({ thresholds: { ttfbMs: 500 } }).thresholds.ttfbMs).toBe(500);
  });

  it('names only config keys that exist, with concrete values', () => {
    const config = defaultConfig();
    config.auth.provider = 'oauth2';
    config.auth.oauth2.refresh_margin_seconds = 1;
    const clock = clockAt(T0);
    const a = new BottleneckAnalyzer({ clock, config, bucketMs: 1000, windowMs: 60_000 });
    a.observeSignals({
      cache: { hits: 0, misses: 0, evictions: 0, size: 8, maxSize: 8 },
      memory: { reservedMb: 450 },
    });
    a.observeEvent({
      type: 'refresh.succeeded',
      at: clock.t,
      credential: 'c',
      reason: 'expired',
      durationMs: 2000,
      attempts: 1,
      expiresAt: clock.t + 3_600_000,
    });
    for (let i = 0; i < 100; i++) {
      a.observe(
        record((clock.t += 100), {
          agentId: `agent-${i % 40}`,
          authMs: i % 3 === 0 ? 2000 : 0.003,
          totalMs: 4000,
        }),
      );
    }
    a.observeSignals({ cache: { hits: 5, misses: 95, evictions: 90, size: 8, maxSize: 8 } });
    const findings: Finding[] = a.analyze();
    expect(findings.map((f) => f.kind).sort()).toEqual([
      'cache_too_small',
      'memory_pressure',
      'slow_token_endpoint',
    ]);
    const keys = new Set(configKeys(defaultConfig()));
    for (const f of findings) {
      const { configKey, suggestedValue } = f.recommendation;
      expect(configKey).not.toBeNull();
      expect(keys.has(configKey as string)).toBe(true);
      expect(typeof suggestedValue).toBe('number');
    }
  });
});
