import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryKeyVerifier, StaticUpstreamAuth } from '../src/bench/gatewayDoubles.js';
import { createGateway, type Gateway, type RequestRecord } from '../src/gateway/index.js';
import { ClaudeConnectionPool } from '../src/pool/index.js';
import { agentHeaders, messagesBody, REAL_KEY, rawRequest, until, VIRTUAL_KEY } from './gateway-fixtures.js';

/** A self-signed certificate for 127.0.0.1 from the openssl CLI, or null when there is none. */
function selfSigned(): { key: Buffer; cert: Buffer } | null {
  const dir = mkdtempSync(join(tmpdir(), 'gw-h2-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tls = selfSigned();
const EVENTS =
  'event: message_start\ndata: {"type":"message_start"}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n';
let upstream: Http2SecureServer;
let gw: Gateway;
let pool: ClaudeConnectionPool;
let url: string;
const seen: { version: string; apiKey: string | undefined }[] = [];
const gwRecords: RequestRecord[] = [];

describe.skipIf(tls === null)('gateway over HTTP/2 (ALPN h2 upstream)', () => {
  beforeAll(async () => {
    if (tls === null) return;
    upstream = createSecureServer({ ...tls, allowHTTP1: true }, (req, res) => {
      seen.push({ version: req.httpVersion, apiKey: req.headers['x-api-key'] as string | undefined });
      const slow = req.headers['x-slow'] === '1';
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': 'req_h2' });
        res.write(EVENTS.slice(0, 40));
        if (!slow) setTimeout(() => res.end(EVENTS.slice(40)), 20);
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const keys = new MemoryKeyVerifier();
    keys.add(VIRTUAL_KEY, 'builder-1');
    pool = new ClaudeConnectionPool({ ca: tls.cert });
    gw = createGateway({
      upstream: `https://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      keys,
      auth: new StaticUpstreamAuth(REAL_KEY),
      pool,
      onRequestDone: (r) => gwRecords.push({ ...r }),
    });
    url = await gw.listen();
  });

  afterAll(async () => {
    await gw?.close();
    await pool?.close();
    await new Promise((r) => upstream?.close(r));
  });

  it('negotiates h2, reuses the connection and relays streams unchanged', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await rawRequest(url, '/v1/messages', { headers: agentHeaders(), body: messagesBody(true) });
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe(EVENTS);
      expect(r.headers['request-id']).toBe('req_h2');
    }
    expect(seen.map((s) => s.version)).toEqual(['2.0', '2.0', '2.0', '2.0', '2.0']);
    expect(seen.every((s) => s.apiKey === REAL_KEY)).toBe(true);
    expect(pool.stats().connectionsOpened).toBeLessThanOrEqual(2);
  });

  it('cancels only the stream, not the connection, when the agent goes away', async () => {
    const before = pool.stats();
    const u = new URL(url);
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        {
          host: u.hostname,
          port: u.port,
          path: '/v1/messages',
          method: 'POST',
          headers: agentHeaders({ 'x-slow': '1' }),
          agent: false,
        },
        (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', () => {});
      req.once('error', reject);
      req.end(messagesBody(true));
    });
    await until(() => gwRecords.some((r) => r.outcome === 'client_aborted'));
    const after = await rawRequest(url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(true),
    });
    expect(after.body.toString()).toBe(EVENTS);
    const s = pool.stats();
    expect(s.connectionsClosed).toBe(before.connectionsClosed);
    expect(s.connectionsOpened).toBe(before.connectionsOpened);
  });
});
