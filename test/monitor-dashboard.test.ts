import { afterEach, describe, expect, it, vi } from 'vitest';
import { OptimizedAuthManager } from '../src/manager.js';
import { EventBus } from '../src/monitor/EventBus.js';
import type { Monitor } from '../src/monitor/Monitor.js';
import { SERIES_FIELDS } from '../src/monitor/MonitorData.js';
import { createMonitor, MONITORING_OFF, NoopMonitor } from '../src/monitor/PerformanceMonitor.js';
import { FakeManager, monitoringConfig, record, startMonitor } from './monitor-helpers.js';

let monitors: Monitor[] = [];
afterEach(() => {
  for (const m of monitors) m.close();
  monitors = [];
  vi.useRealTimers();
});

/** The specification's shape: every key, and which are numbers. */
const SPEC_SHAPE = {
  overall_performance: [
    'score',
    'authentication_performance',
    'token_refresh_performance',
    'memory_performance',
    'concurrency_performance',
  ],
  'component_health.cache': ['hit_rate', 'avg_lookup_ms'],
  'component_health.memory': ['utilization', 'efficiency'],
  'component_health.connections': ['reuse_rate', 'avg_time_ms'],
} as const;

function at(obj: unknown, path: string): Record<string, unknown> {
  return path.split('.').reduce((o, k) => (o as Record<string, unknown>)[k], obj) as Record<string, unknown>;
}

function expectSpecShape(d: unknown): void {
  for (const [path, keys] of Object.entries(SPEC_SHAPE)) {
    const o = at(d, path);
    for (const k of keys) {
      expect(typeof o[k], `${path}.${k}`).toBe('number');
      expect(Number.isFinite(o[k]), `${path}.${k}`).toBe(true);
    }
  }
  const top = d as Record<string, unknown>;
  expect(Array.isArray(top.active_alerts)).toBe(true);
  expect(Array.isArray(top.recommendations)).toBe(true);
  for (const r of top.recommendations as unknown[]) expect(typeof r).toBe('string');
}

describe('dashboard JSON', () => {
  it('has the specification shape with real values from traffic, memory and the manager', () => {
    vi.useFakeTimers({ now: 1_800_000_000_000, toFake: ['setInterval', 'clearInterval', 'Date'] });
    const manager = new FakeManager();
    const s = startMonitor({ manager });
    monitors.push(s.monitor);
    const m = s.monitor;
    for (let sec = 0; sec < 5; sec++) {
      for (let i = 0; i < 30; i++) {
        m.observeAuthentication(0.02, true);
        m.observeRequest(record(200, { agentId: i % 2 ? 'builder-1' : 'reviewer-2' }));
      }
      m.observeAuthentication(3, false);
      manager.hits += 90;
      manager.misses += 10;
      vi.advanceTimersByTime(1_000);
    }
    m.setMemory({
      reservedMb: 100,
      observedMb: 60,
      agents: [
        { agent: 'builder-1', reservedMb: 50, observedMb: 40 },
        { agent: 'reviewer-2', reservedMb: 50, observedMb: 20 },
      ],
    });
    const d = m.dashboard(['Raise [performance.cache] max_size to 2000']);
    expectSpecShape(d);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d); // plain JSON

    expect(d.overall_performance.score).toBeGreaterThan(90);
    expect(d.component_health.cache.hit_rate).toBeCloseTo(0.9, 5);
    expect(d.component_health.cache.avg_lookup_ms).toBeGreaterThan(0);
    expect(d.component_health.memory).toEqual({ utilization: 0.2, efficiency: 0.6 });
    expect(d.component_health.connections.avg_time_ms).toBe(0.5);
    expect(d.active_alerts).toEqual([]);
    expect(d.recommendations).toEqual(['Raise [performance.cache] max_size to 2000']);

    const x = d.details;
    expect(x.monitoring).toBe(true);
    expect(x.window_seconds).toBe(60);
    expect(x.counts.requests).toBe(150);
    expect(x.counts.active_agents).toBe(2);
    expect(x.agents.map((a) => a.agent).sort()).toEqual(['builder-1', 'reviewer-2']);
    expect(x.agents.find((a) => a.agent === 'builder-1')).toMatchObject({
      requests: 75,
      observed_mb: 40,
      avg_ms: 151,
    });
    expect(x.stages.ttfb).toMatchObject({ count: 150, p50_ms: 120, p99_ms: 120 });
    expect(x.authentication).toMatchObject({ count: 155, hits: 150, misses: 5 });
    expect(x.cache?.hits).toBe(450);
    expect(x.memory).toEqual({ reserved_mb: 100, observed_mb: 60, max_mb: 500, largest_agent_mb: 40 });
    expect(x.series.t).toHaveLength(5);
    for (const f of SERIES_FIELDS) expect(x.series[f], f).toHaveLength(5);
    expect(x.series.requests).toEqual([30, 30, 30, 30, 30]);
    expect(x.series.cache_hit_rate).toEqual([0.9, 0.9, 0.9, 0.9, 0.9]);
    expect(x.series.latency_p99_ms[0]).toBeGreaterThan(140);
    expect(x.no_data).toEqual(['component_health.connections.reuse_rate']);
    for (const c of Object.values(x.health.components)) expect(c.score).toBeGreaterThanOrEqual(0);
  });

  it('says "System performance is optimal" only when nothing is wrong and no finding was given', () => {
    const s = startMonitor({ tickMs: 0 });
    monitors.push(s.monitor);
    expect(s.monitor.dashboard().recommendations).toEqual(['System performance is optimal']);
    for (let i = 0; i < 25; i++) s.monitor.observeRequest(record(429));
    const d = s.monitor.dashboard();
    expect(d.recommendations).toEqual([]);
    expect(d.active_alerts.map((a) => a.rule)).toEqual(['rate_limited']);
    expect(d.overall_performance.score).toBeLessThanOrEqual(80);
  });

  it('bounds the series to the last 10 minutes and honours seriesSeconds', () => {
    vi.useFakeTimers({ now: 1_800_000_000_000, toFake: ['setInterval', 'clearInterval', 'Date'] });
    const s = startMonitor();
    monitors.push(s.monitor);
    vi.advanceTimersByTime(700_000);
    expect(s.monitor.dashboard().details.series.t).toHaveLength(599);
    expect(s.monitor.dashboard([], { seriesSeconds: 30 }).details.series.requests).toHaveLength(30);
  });
});

describe('wired to a real OptimizedAuthManager', () => {
  it('samples its cache and refresh state and takes the latency hook', async () => {
    const config = monitoringConfig();
    config.auth.provider = 'api_key';
    const auth = await OptimizedAuthManager.create(config, {
      env: { ANTHROPIC_API_KEY: 'sk-ant-api03-monitor-wiring-test-key-0000' },
      home: '/nonexistent-monitor-home',
    });
    const m = createMonitor({
      config,
      bus: auth.bus,
      manager: auth,
      tickMs: 0,
      metrics: { defaultMetrics: false },
    });
    try {
      for (let i = 0; i < 25; i++) {
        const r = await auth.authenticateAgent(`agent-${i % 5}`);
        m.observeAuthentication(r.latencyMs, r.cached);
      }
      m.tick();
      const d = m.dashboard();
      expect(d.details.cache).toMatchObject({ hits: 20, misses: 5 });
      expect(d.component_health.cache.hit_rate).toBe(0.8);
      expect(d.details.authentication).toMatchObject({ count: 25, hits: 20, misses: 5 });
      expect(d.details.refresh.token_state).toBe('valid');
      expect(await m.metricsText()).toContain('claude_auth_cache_lookups_total{result="hit"} 20');
    } finally {
      m.close();
      await auth.close();
    }
  });
});

describe('monitoring off', () => {
  it('createMonitor gives a no-op monitor with the same interface that still answers', async () => {
    const config = monitoringConfig();
    config.performance.enable_monitoring = false;
    const bus = new EventBus();
    const m = createMonitor({ config, bus });
    expect(m).toBeInstanceOf(NoopMonitor);
    expect(m.enabled).toBe(false);
    m.observeAuthentication(500, false);
    m.observeRequest(record(529));
    m.setMemory({ reservedMb: 10 });
    m.tick();
    expect(m.alerts()).toEqual([]);
    const d = m.dashboard(['from the analyzer']);
    expectSpecShape(d);
    expect(d.details.monitoring).toBe(false);
    expect(d.recommendations).toEqual(['from the analyzer', MONITORING_OFF]);
    expect(d.details.counts.requests).toBe(0);
    expect(await m.metricsText()).toContain('enable_monitoring = false');
    expect(bus.active).toBe(false); // not even a listener
    m.close();
  });

  it('createMonitor gives the real one by default', () => {
    const m = createMonitor({
      config: monitoringConfig(),
      bus: new EventBus(),
      metrics: { defaultMetrics: false },
    });
    expect(m.enabled).toBe(true);
    m.close();
  });
});
