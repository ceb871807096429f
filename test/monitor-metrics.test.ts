import { afterEach, describe, expect, it } from 'vitest';
import type { Monitor } from '../src/monitor/Monitor.js';
import { record, startMonitor } from './monitor-helpers.js';

let monitors: Monitor[] = [];
afterEach(() => {
  for (const m of monitors) m.close();
  monitors = [];
});

function start(opts: Parameters<typeof startMonitor>[0] = {}) {
  const s = startMonitor({ tickMs: 0, ...opts });
  monitors.push(s.monitor);
  return s;
}

const SECRET = 'sk-ant-api03-PLANTED-SECRET-do-not-leak-0000000000';

/** `name{a="x",b="y"} 1` lines → [name, labels]. */
function series(text: string): Array<[string, Record<string, string>]> {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(l);
      if (m === null) throw new Error(`bad line ${l}`);
      const labels: Record<string, string> = {};
      for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
      return [m[1]!, labels];
    });
}

/** Feeds traffic that carries the secret everywhere a careless exporter could pick it up. */
function plant(monitor: Monitor, bus: ReturnType<typeof startMonitor>['bus'], agents = 300): void {
  for (let i = 0; i < agents; i++) {
    const r = record(i % 7 === 0 ? 401 : 200, { agentId: `agent-${i}`, path: `/v1/messages/${SECRET}` });
    r.upstreamRequestId = SECRET;
    monitor.observeRequest(r);
  }
  const hostile = record(200, { agentId: `${SECRET}"} 1\nfake_metric{x="` });
  monitor.observeRequest(hostile);
  bus.emit({
    type: 'refresh.failed',
    at: Date.now(),
    credential: SECRET,
    reason: 'expired',
    code: 'refresh_failed',
    message: `bad ${SECRET}`,
    attempts: 1,
    nextAttemptAt: null,
  });
  bus.emit({
    type: 'circuit.opened',
    at: Date.now(),
    endpoint: `https://idp.example.com/token?key=${SECRET}`,
    retryAt: 0,
  });
  bus.emit({ type: 'reauth.required', at: Date.now(), credential: SECRET, message: SECRET });
  monitor.setMemory({ reservedMb: 10, agents: [{ agent: SECRET, reservedMb: 10 }] });
  monitor.tick();
}

describe('agent label values', () => {
  it('refuses a name that looks like a key even below the cap', async () => {
    const { monitor } = start({ metrics: { agentLabels: true } });
    monitor.setMemory({
      reservedMb: 10,
      agents: [
        { agent: SECRET, reservedMb: 10 },
        { agent: 'builder-1', reservedMb: 5 },
      ],
    });
    const text = await monitor.metricsText();
    expect(text).not.toContain(SECRET);
    expect(text).toContain('claude_auth_agent_memory_reserved_bytes{agent="builder-1"} 5242880');
  });
});

const EXPECTED = [
  'claude_auth_authentication_duration_seconds',
  'claude_auth_cache_lookups_total',
  'claude_auth_refresh_duration_seconds',
  'claude_auth_refreshes_total',
  'claude_auth_upstream_duration_seconds',
  'claude_auth_upstream_ttfb_seconds',
  'claude_auth_upstream_429_total',
  'claude_auth_upstream_529_total',
  'claude_auth_requests_total',
  'claude_auth_gateway_stage_duration_seconds',
  'claude_auth_pool_connections_opened_total',
  'claude_auth_pool_reuse_ratio',
  'claude_auth_pool_pending_requests',
  'claude_auth_pool_connections_open',
  'claude_auth_active_agents',
  'claude_auth_memory_reserved_bytes',
  'claude_auth_memory_observed_bytes',
  'claude_auth_alerts_firing',
  'claude_auth_circuits_open',
  'claude_auth_reauth_required',
  'claude_auth_health_score',
];

describe('/metrics text', () => {
  it('has every metric, all prefixed claude_auth_, plus Node default metrics with the prefix', async () => {
    const { monitor } = start({ metrics: {} });
    monitor.observeAuthentication(0.02, true);
    monitor.observeRequest(record(200));
    monitor.observeRequest(record(429));
    monitor.observeRequest(record(529));
    const text = await monitor.metricsText();
    for (const name of EXPECTED) expect(text, name).toContain(`# TYPE ${name} `);
    expect(text).toContain('# TYPE claude_auth_process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE claude_auth_nodejs_eventloop_lag_seconds gauge');
    for (const [name] of series(text)) expect(name.startsWith('claude_auth_'), name).toBe(true);
    expect(text).toContain('claude_auth_upstream_429_total 1');
    expect(text).toContain('claude_auth_upstream_529_total 1');
    expect(text).toMatch(/claude_auth_authentication_duration_seconds_count\{cache="hit"\} 1/);
    expect(text).toMatch(/claude_auth_upstream_ttfb_seconds_bucket\{status_class="2xx",le="0\.25"\} 1/);
    expect(monitor.metricsContentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('never carries a secret or free-form text, and label values come from closed sets', async () => {
    const { monitor, bus } = start();
    plant(monitor, bus);
    const text = await monitor.metricsText();
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('PLANTED');
    expect(text).not.toContain('fake_metric');
    expect(text).not.toContain('agent-');
    const values = new Map<string, Set<string>>();
    for (const [, labels] of series(text)) {
      for (const [k, v] of Object.entries(labels)) {
        if (!values.has(k)) values.set(k, new Set());
        values.get(k)!.add(v);
      }
    }
    expect([...values.keys()].sort()).toEqual(
      [
        'cache',
        'component',
        'le',
        'outcome',
        'reason',
        'result',
        'rule',
        'severity',
        'source',
        'stage',
        'status_class',
      ].sort(),
    );
    for (const [k, set] of values) expect(set.size, k).toBeLessThanOrEqual(k === 'le' ? 23 : 12);
    expect(text.split('\n').length).toBeLessThan(1000);
  });

  it('agent labels only with agentLabels: valid names, capped', async () => {
    const { monitor, bus } = start({ metrics: { agentLabels: true, maxAgentLabels: 20 } });
    plant(monitor, bus);
    const text = await monitor.metricsText();
    expect(text).not.toContain(SECRET);
    const agents = new Set(series(text).flatMap(([, l]) => (l.agent === undefined ? [] : [l.agent])));
    expect(agents.size).toBe(20);
    for (const a of agents) expect(a).toMatch(/^agent-\d+$/);
    expect(text).toContain('claude_auth_agent_requests_total{agent="agent-0"} 1');
  });
});
