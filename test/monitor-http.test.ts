import { get as httpGet, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../src/monitor/EventBus.js';
import { createMonitorRoutes, type MonitorRoutes } from '../src/monitor/http.js';
import { Monitor } from '../src/monitor/Monitor.js';
import { agentHeaders, messagesBody, rawRequest, type Stack, startStack, until } from './gateway-fixtures.js';
import { monitoringConfig } from './monitor-helpers.js';

const SECRET = 'sk-ant-api03-PLANTED-in-a-query-string-0000000000';
let stack: Stack;
let monitor: Monitor;
let routes: MonitorRoutes;
let bus: EventBus;

beforeAll(async () => {
  bus = new EventBus();
  let m: Monitor | undefined;
  stack = await startStack({ gateway: { onRequestDone: (r) => m?.observeRequest(r) } });
  m = monitor = new Monitor({
    config: monitoringConfig(),
    bus,
    pool: stack.pool,
    metrics: { defaultMetrics: false },
  });
  routes = createMonitorRoutes(monitor, {
    snapshotMs: 100,
    heartbeatMs: 50,
    maxBacklogBytes: 16 * 1024,
    recommendations: () => ['from the analyzer'],
  });
  stack.gw.route('GET', '/metrics', routes.metrics);
  stack.gw.route('GET', '/api/dashboard', routes.dashboard);
  stack.gw.route('GET', '/api/events', routes.events);
});
afterAll(async () => {
  routes.close();
  monitor.close();
  await stack.close();
});

const send = (n: number) =>
  Promise.all(
    Array.from({ length: n }, () =>
      rawRequest(stack.url, `/v1/messages?key=${SECRET}`, {
        headers: agentHeaders(),
        body: messagesBody(false),
      }),
    ),
  );

/** An SSE client that collects `event:` names and parsed data. */
function sse(path = '/api/events'): Promise<{
  res: IncomingMessage;
  events: Array<{ event: string; data: unknown }>;
  comments: string[];
  close: () => void;
}> {
  return new Promise((resolve, reject) => {
    const req = httpGet(`${stack.url}${path}`, (res) => {
      const events: Array<{ event: string; data: unknown }> = [];
      const comments: string[] = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let end = buf.indexOf('\n\n');
        while (end >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
          else if (block.startsWith(':')) comments.push(block);
          end = buf.indexOf('\n\n');
        }
      });
      resolve({ res, events, comments, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

describe('observability routes on a real gateway', () => {
  it('GET /metrics: Prometheus text with the gateway traffic, content type, no secret', async () => {
    const answers = await send(5);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    monitor.tick(); // sample the pool now instead of waiting for the timer
    const r = await rawRequest(stack.url, '/metrics', { method: 'GET' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = r.body.toString();
    expect(text).toContain(
      'claude_auth_requests_total{source="upstream",outcome="completed",status_class="2xx"} 5',
    );
    expect(text).toMatch(/claude_auth_pool_requests_total [1-9]/);
    expect(text).toMatch(/claude_auth_upstream_ttfb_seconds_count\{status_class="2xx"\} 5/);
    expect(text).not.toContain(SECRET);
  });

  it('GET /api/dashboard: the JSON with real values', async () => {
    const r = await rawRequest(stack.url, '/api/dashboard?series=10', { method: 'GET' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    const d = JSON.parse(r.body.toString());
    expect(d.details.counts.requests).toBeGreaterThanOrEqual(5);
    expect(d.details.agents[0].agent).toBe('builder-1');
    expect(d.details.stages.ttfb.count).toBeGreaterThanOrEqual(5);
    expect(d.details.series.t.length).toBeLessThanOrEqual(10);
    expect(d.recommendations).toEqual(['from the analyzer']);
    expect(r.body.toString()).not.toContain(SECRET);
  });

  it('GET /api/events: bus events, dashboard snapshots, heartbeats, a real alert, and cleanup on disconnect', async () => {
    const client = await sse();
    expect(client.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await until(() => client.events.some((e) => e.event === 'dashboard'));
    expect(routes.clients).toBe(1);
    bus.emit({ type: 'refresh.batch', at: Date.now(), size: 3, waitedMs: 12 });
    await until(() => client.events.some((e) => e.event === 'refresh.batch'));
    expect(client.events.find((e) => e.event === 'refresh.batch')?.data).toMatchObject({
      size: 3,
      waitedMs: 12,
    });
    const snapshots = () => client.events.filter((e) => e.event === 'dashboard').length;
    await until(() => snapshots() >= 3);
    await until(() => client.comments.some((c) => c.includes('heartbeat')));

    // a 429 storm from the simulator raises the rate_limited alert, streamed live
    await send(20);
    stack.sim.setFaults({ rateLimitRate: 1 });
    try {
      await send(10);
    } finally {
      stack.sim.setFaults({ rateLimitRate: 0 });
    }
    await until(() => client.events.some((e) => e.event === 'alert.firing'));
    expect(client.events.find((e) => e.event === 'alert.firing')?.data).toMatchObject({
      type: 'alert.firing',
      rule: 'rate_limited',
      severity: 'warning',
      threshold: 0.1,
    });
    await until(() =>
      client.events.some(
        (e) =>
          e.event === 'dashboard' &&
          (e.data as { active_alerts: Array<{ rule: string }> }).active_alerts.some(
            (a) => a.rule === 'rate_limited',
          ),
      ),
    );

    client.close();
    await until(() => routes.clients === 0);
    bus.emit({ type: 'refresh.batch', at: Date.now(), size: 1, waitedMs: 1 }); // nobody left to write to
  });

  it('disconnects a client that stops reading once its backlog passes the bound', async () => {
    const slow = await sse();
    slow.res.pause();
    await until(() => routes.clients === 1);
    const message = 'x'.repeat(4096);
    for (let i = 0; i < 20_000 && routes.dropped === 0; i++) {
      bus.emit({ type: 'reauth.required', at: Date.now(), credential: 'c', message });
    }
    expect(routes.dropped).toBe(1);
    await until(() => routes.clients === 0);
    slow.close();
  });
});
