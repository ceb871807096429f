import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryKeyVerifier, StaticUpstreamAuth } from '../src/bench/gatewayDoubles.js';
import { createGateway } from '../src/gateway/index.js';
import {
  agentHeaders,
  messagesBody,
  REAL_KEY,
  rawRequest,
  type Stack,
  startStack,
  until,
  VIRTUAL_KEY,
} from './gateway-fixtures.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

function errorType(body: Buffer): string {
  return (JSON.parse(body.toString()) as { error: { type: string } }).error.type;
}

/** Opens a streaming request and resolves with the response once the first body chunk arrived. */
function openStream(url: string, headers: Record<string, string>, body: string) {
  return new Promise<{ destroy: () => void; first: string }>((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest(
      { host: u.hostname, port: u.port, path: '/v1/messages', method: 'POST', headers, agent: false },
      (res) => {
        res.once('data', (c: Buffer) => resolve({ destroy: () => req.destroy(), first: c.toString() }));
      },
    );
    req.on('error', () => {});
    req.once('error', reject);
    req.end(body);
  });
}

describe('gateway: body limits', () => {
  it('refuses a declared body over the limit with 413 before anything reaches upstream', async () => {
    stack = await startStack({ gateway: { limits: { maxBodyBytes: 1000 } } });
    const r = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(false, 'x'.repeat(5000)),
    });
    expect(r.status).toBe(413);
    expect(errorType(r.body)).toBe('request_too_large');
    expect(stack.sim.stats().credentialsSeen).toEqual({});
    expect(stack.pool.stats().requests).toBe(0);
  });

  it('counts a chunked body while streaming it and answers 413 past the limit', async () => {
    stack = await startStack({ gateway: { limits: { maxBodyBytes: 1000 } } });
    const r = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders({ 'transfer-encoding': 'chunked' }),
      body: messagesBody(false, 'x'.repeat(5000)),
    });
    expect(r.status).toBe(413);
    expect(errorType(r.body)).toBe('request_too_large');
    expect(stack.sim.stats().messages).toEqual({});
  });
});

describe('gateway: concurrency per agent', () => {
  it('answers 429 rate_limit_error with retry-after over maxConcurrentPerAgent', async () => {
    stack = await startStack({ gateway: { limits: { maxConcurrentPerAgent: 2 } } });
    const slow = agentHeaders({ 'x-sim-event-interval-ms': '100', 'x-sim-deltas': '20' });
    const a = await openStream(stack.url, slow, messagesBody(true));
    const b = await openStream(stack.url, slow, messagesBody(true));
    const r = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(false),
    });
    expect(r.status).toBe(429);
    expect(errorType(r.body)).toBe('rate_limit_error');
    expect(r.headers['retry-after']).toBe('1');
    a.destroy();
    b.destroy();
    await until(() => stack?.gw.agentCounters('builder-1')?.inFlight === 0);
    const again = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(false),
    });
    expect(again.status).toBe(200);
    expect(stack.gw.agentCounters('builder-1')).toMatchObject({ concurrencyRefused: 1, clientAborts: 2 });
  });
});

describe('gateway: streams that end early', () => {
  it('aborts the upstream request when the agent disconnects mid-stream', async () => {
    stack = await startStack();
    const s = await openStream(
      stack.url,
      agentHeaders({ 'x-sim-event-interval-ms': '100', 'x-sim-deltas': '50' }),
      messagesBody(true),
    );
    expect(s.first).toContain('event: message_start');
    expect(stack.pool.stats().connected).toBe(1);
    s.destroy();
    const st = stack;
    await until(() => st.records.length === 1 && st.pool.stats().connectionsClosed === 1);
    expect(st.records[0]).toMatchObject({ outcome: 'client_aborted', status: 200, streamed: true });
    expect(st.gw.agentCounters('builder-1')?.inFlight).toBe(0);
  });

  it('aborts the upstream request when the agent disconnects mid-upload (streamed body)', async () => {
    stack = await startStack({ gateway: { limits: { replayBufferBytes: 0 } } });
    const st = stack;
    const { port } = new URL(st.url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      `POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: ${VIRTUAL_KEY}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{"model":`,
    );
    await until(() => st.pool.stats().connectionsOpened === 1);
    socket.destroy();
    await until(() => st.records.length === 1);
    expect(st.records[0]).toMatchObject({ outcome: 'client_aborted', status: 0 });
    expect(st.sim.stats().messages).toEqual({});
    expect(st.gw.agentCounters('builder-1')).toMatchObject({ inFlight: 0, clientAborts: 1 });
  });

  it('drops a buffered (replayable) upload the agent abandons without sending anything upstream', async () => {
    stack = await startStack({ auth: new StaticUpstreamAuth(REAL_KEY, 'oauth_access_token') });
    const st = stack;
    const { port } = new URL(st.url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      `POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: ${VIRTUAL_KEY}\r\ncontent-length: 5000\r\n\r\n{"model":`,
    );
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    await until(() => st.records.length === 1);
    expect(st.records[0]).toMatchObject({ outcome: 'client_aborted', attempts: 0 });
    expect(st.pool.stats().requests).toBe(0);
  });

  it('cuts the agent connection when upstream dies mid-stream (an error, not a hang)', async () => {
    stack = await startStack();
    stack.sim.setFaults({ streamDieAfterEvents: 4 });
    const err = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders({ 'x-sim-deltas': '20' }),
      body: messagesBody(true),
    }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    await until(() => stack?.records.length === 1);
    expect(stack.records[0]).toMatchObject({ outcome: 'upstream_failed', status: 200 });
  });

  it('answers 502 api_error when upstream is unreachable', async () => {
    const keys = new MemoryKeyVerifier();
    keys.add(VIRTUAL_KEY, 'builder-1');
    const gw = createGateway({
      upstream: 'http://127.0.0.1:9',
      keys,
      auth: new StaticUpstreamAuth(REAL_KEY),
    });
    const url = await gw.listen();
    try {
      const r = await rawRequest(url, '/v1/messages', { headers: agentHeaders(), body: messagesBody(false) });
      expect(r.status).toBe(502);
      expect(errorType(r.body)).toBe('api_error');
      expect(r.body.toString()).not.toContain(REAL_KEY);
    } finally {
      await gw.close();
    }
  });
});

describe('gateway: upstream 429 and 529', () => {
  it('passes 429 and 529 through with retry-after untouched and counts them per agent', async () => {
    stack = await startStack();
    stack.sim.setFaults({ rateLimitRate: 1, retryAfterSeconds: 7 });
    const limited = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(false),
    });
    stack.sim.setFaults({ rateLimitRate: 0, overloadRate: 1, retryAfterSeconds: 3 });
    const overloaded = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(true),
    });
    expect([limited.status, limited.headers['retry-after'], errorType(limited.body)]).toEqual([
      429,
      '7',
      'rate_limit_error',
    ]);
    expect([overloaded.status, overloaded.headers['retry-after'], errorType(overloaded.body)]).toEqual([
      529,
      '3',
      'overloaded_error',
    ]);
    expect(stack.gw.agentCounters('builder-1')).toMatchObject({ upstream429: 1, upstream529: 1 });
    expect(stack.sim.stats().messages).toEqual({ '429': 1, '529': 1 });
  });

  it('retries a 529 when retryOverloaded is on, within its bounds', async () => {
    stack = await startStack({ gateway: { retryOverloaded: { attempts: 2, maxDelayMs: 150 } } });
    stack.sim.setFaults({ overloadRate: 1, retryAfterSeconds: 1 });
    const gaveUp = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(false),
    });
    expect(gaveUp.status).toBe(529);
    expect(stack.sim.stats().messages['529']).toBe(3);

    stack.sim.resetStats();
    const st = stack;
    const pending = rawRequest(st.url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(false),
    });
    await until(() => st.sim.stats().messages['529'] === 1);
    st.sim.setFaults({ overloadRate: 0 });
    const r = await pending;
    expect(r.status).toBe(200);
    expect(st.records.at(-1)?.attempts).toBe(2);
    expect(st.gw.agentCounters('builder-1')).toMatchObject({ upstream529: 1, replays: 3 });
  });
});

describe('gateway: slow clients', () => {
  it('cuts off a client that sends its headers too slowly (slowloris)', async () => {
    stack = await startStack({ gateway: { limits: { headersTimeoutMs: 300, timeoutCheckIntervalMs: 50 } } });
    const { port } = new URL(stack.url);
    const socket = connect(Number(port), '127.0.0.1');
    const started = Date.now();
    let received = '';
    socket.on('data', (d: Buffer) => {
      received += d.toString();
    });
    socket.on('error', () => {});
    const drip = setInterval(() => socket.write(`x-drip-${Date.now()}: 1\r\n`), 100);
    socket.write('POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1\r\n');
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    clearInterval(drip);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5000);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(stack.sim.stats().messages).toEqual({});
  });
});
