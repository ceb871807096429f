import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryKeyVerifier, StaticUpstreamAuth } from '../src/bench/gatewayDoubles.js';
import { createGateway, type Gateway, type RequestRecord } from '../src/gateway/index.js';
import { REAL_KEY, rawRequest, VIRTUAL_KEY } from './gateway-fixtures.js';

/** What the echo upstream saw of one request. */
interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  bodySha: string;
}

/** An upstream that records each request and answers with fixed binary bytes and hop-by-hop headers. */
const ANSWER = randomBytes(4096);
let upstream: Server;
let seen: Seen[] = [];
let gw: Gateway;
let url: string;
const records: RequestRecord[] = [];

function header(s: Seen, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.rawHeaders.length; i += 2) {
    if (s.rawHeaders[i]?.toLowerCase() === name) out.push(s.rawHeaders[i + 1] as string);
  }
  return out;
}

beforeAll(async () => {
  upstream = createServer((req: IncomingMessage, res) => {
    const hash = createHash('sha256');
    req.on('data', (c: Buffer) => hash.update(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        rawHeaders: req.rawHeaders,
        bodySha: hash.digest('hex'),
      });
      res.writeHead(200, [
        'content-type',
        'application/octet-stream',
        'content-encoding',
        'zstd',
        'content-length',
        String(ANSWER.length),
        'request-id',
        'req_upstream_1',
        'connection',
        'keep-alive, x-upstream-hop',
        'x-upstream-hop',
        'secret-hop',
        'keep-alive',
        'timeout=30',
        'proxy-authenticate',
        'Basic',
        'x-kept',
        'yes',
      ]);
      res.end(ANSWER);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const keys = new MemoryKeyVerifier();
  keys.add(VIRTUAL_KEY, 'builder-1');
  gw = createGateway({
    upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/prefix/`,
    keys,
    auth: new StaticUpstreamAuth(REAL_KEY),
    onRequestDone: (r) => records.push({ ...r }),
  });
  gw.route('GET', '/healthz', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  url = await gw.listen();
});

afterAll(async () => {
  await gw.close();
  await new Promise((r) => upstream.close(r));
});

describe('gateway headers and bodies', () => {
  it('swaps the virtual key for the real one, drops hop-by-hop and cookies, keeps the rest and the query', async () => {
    seen = [];
    const body = randomBytes(20_000);
    const r = await rawRequest(url, '/v1/messages?beta=true', {
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'zstd',
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14',
        'x-app': 'cli',
        'user-agent': 'claude-cli/2.1.197 (external, cli)',
        'accept-encoding': 'gzip, deflate, br, zstd',
        authorization: `Bearer ${VIRTUAL_KEY}`,
        'x-api-key': VIRTUAL_KEY,
        cookie: 'session=abc',
        connection: 'keep-alive, x-client-hop',
        'x-client-hop': 'drop me',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'proxy-authorization': 'Basic Zm9v',
        'x-request-id': 'client-chosen',
      },
      body,
    });
    expect(r.status).toBe(200);
    const s = seen[0] as Seen;
    expect(s.url).toBe('/prefix/v1/messages?beta=true');
    expect(s.bodySha).toBe(createHash('sha256').update(body).digest('hex'));
    expect(header(s, 'x-api-key')).toEqual([REAL_KEY]);
    expect(header(s, 'authorization')).toEqual([]);
    for (const name of ['cookie', 'x-client-hop', 'keep-alive', 'te', 'proxy-authorization']) {
      expect(header(s, name), name).toEqual([]);
    }
    expect(header(s, 'host')).toEqual([`127.0.0.1:${(upstream.address() as AddressInfo).port}`]);
    expect(header(s, 'anthropic-version')).toEqual(['2023-06-01']);
    expect(header(s, 'anthropic-beta')).toEqual(['claude-code-20250219,interleaved-thinking-2025-05-14']);
    expect(header(s, 'x-app')).toEqual(['cli']);
    expect(header(s, 'user-agent')).toEqual(['claude-cli/2.1.197 (external, cli)']);
    expect(header(s, 'accept-encoding')).toEqual(['gzip, deflate, br, zstd']);
    expect(header(s, 'content-encoding')).toEqual(['zstd']);
    expect(JSON.stringify(s.rawHeaders)).not.toContain(VIRTUAL_KEY);

    // response: bytes untouched (still zstd-labelled), hop-by-hop gone, request ids
    expect(r.body.equals(ANSWER)).toBe(true);
    expect(r.headers['content-encoding']).toBe('zstd');
    expect(r.headers['content-length']).toBe(String(ANSWER.length));
    expect(r.headers['request-id']).toBe('req_upstream_1');
    expect(r.headers['x-request-id']).toMatch(/^gw_/);
    expect(r.headers['x-kept']).toBe('yes');
    expect(r.headers['x-upstream-hop']).toBeUndefined();
    expect(r.headers['proxy-authenticate']).toBeUndefined();
    expect(r.headers['keep-alive']).not.toBe('timeout=30'); // the gateway's own, not upstream's
  });

  it('accepts the key in either header when the other one is wrong', async () => {
    seen = [];
    const viaBearer = await rawRequest(url, '/v1/models', {
      method: 'GET',
      headers: { 'x-api-key': 'sk-ant-api03-stray-env-key', authorization: `Bearer ${VIRTUAL_KEY}` },
    });
    const viaApiKey = await rawRequest(url, '/v1/models', {
      method: 'GET',
      headers: { 'x-api-key': VIRTUAL_KEY, authorization: 'Bearer something-else' },
    });
    expect([viaBearer.status, viaApiKey.status]).toEqual([200, 200]);
    expect(seen.map((s) => header(s, 'x-api-key'))).toEqual([[REAL_KEY], [REAL_KEY]]);
    expect(JSON.stringify(seen)).not.toContain('sk-ant-api03-stray-env-key');
  });

  it('streams a body over the replay buffer through byte for byte', async () => {
    seen = [];
    const big = randomBytes(3 * 1024 * 1024);
    const r = await rawRequest(url, '/v1/messages', { headers: { 'x-api-key': VIRTUAL_KEY }, body: big });
    expect(r.status).toBe(200);
    expect(seen[0]?.bodySha).toBe(createHash('sha256').update(big).digest('hex'));
  });

  it('streams a chunked request body through', async () => {
    seen = [];
    const r = await rawRequest(url, '/v1/messages', {
      headers: { 'x-api-key': VIRTUAL_KEY, 'transfer-encoding': 'chunked' },
      body: 'x'.repeat(70_000),
    });
    expect(r.status).toBe(200);
    expect(seen[0]?.bodySha).toBe(createHash('sha256').update('x'.repeat(70_000)).digest('hex'));
    expect(records.at(-1)).toMatchObject({ bytesIn: 70_000, bytesOut: ANSWER.length, status: 200 });
  });

  it('answers unknown non-/v1 paths 404 in Anthropic shape and serves mounted routes', async () => {
    const r = await rawRequest(url, '/nope?x=1', { method: 'GET' });
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body.toString())).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: 'GET /nope not found' },
    });
    const h = await rawRequest(url, '/healthz', { method: 'GET' });
    expect([h.status, h.body.toString()]).toEqual([200, 'ok']);
    const head = await rawRequest(url, '/healthz?probe=1', { method: 'HEAD' });
    expect([head.status, head.body.length]).toEqual([200, 0]);
    expect(() => gw.route('GET', '/v1/x', () => {})).toThrow(TypeError);
  });

  it("sends an event stream's headers at once, before the first event", async () => {
    const slow = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      setTimeout(() => res.end('event: ping\ndata: {"type":"ping"}\n\n'), 1500);
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const keys = new MemoryKeyVerifier();
    keys.add(VIRTUAL_KEY, 'builder-1');
    const g = createGateway({
      upstream: `http://127.0.0.1:${(slow.address() as AddressInfo).port}`,
      keys,
      auth: new StaticUpstreamAuth(REAL_KEY),
    });
    const u = new URL(await g.listen());
    try {
      const started = Date.now();
      const { headersAfter, bodyAfter, body } = await new Promise<{
        headersAfter: number;
        bodyAfter: number;
        body: string;
      }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: u.hostname,
            port: u.port,
            path: '/v1/messages',
            method: 'POST',
            headers: { 'x-api-key': VIRTUAL_KEY },
          },
          (res) => {
            const headersAfter = Date.now() - started;
            let body = '';
            res.on('data', (c: Buffer) => {
              body += c.toString();
            });
            res.on('end', () => resolve({ headersAfter, bodyAfter: Date.now() - started, body }));
          },
        );
        req.on('error', reject);
        req.end('{}');
      });
      expect(headersAfter).toBeLessThan(1000);
      expect(bodyAfter).toBeGreaterThanOrEqual(1400);
      expect(body).toContain('event: ping');
    } finally {
      await g.close();
      await new Promise((r) => slow.close(r));
    }
  });
});
