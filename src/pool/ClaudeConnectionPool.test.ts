import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../simulator/index.js';
import { ClaudeConnectionPool } from './ClaudeConnectionPool.js';

const KEY = 'sk-ant-api03-pool-test-key';
let sim: Simulator | undefined;
let pool: ClaudeConnectionPool | undefined;

afterEach(async () => {
  await pool?.close();
  await sim?.close();
  pool = undefined;
  sim = undefined;
});

/** A Writable that collects the body. */
function sink(chunks: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
}

/** One GET /v1/models through `pool.stream()`, resolving with the status and body. */
function getModels(p: ClaudeConnectionPool, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let status = 0;
    p.forOrigin(url).stream(
      { path: '/v1/models', method: 'GET', headers: { 'x-api-key': KEY } },
      ({ statusCode }) => {
        status = statusCode;
        return sink(chunks);
      },
      (err) => (err ? reject(err) : resolve({ status, body: Buffer.concat(chunks).toString() })),
    );
  });
}

describe('ClaudeConnectionPool', () => {
  it('reuses one keep-alive connection for sequential requests', async () => {
    sim = await startSimulator({ apiKeys: [KEY] });
    pool = new ClaudeConnectionPool();
    const n = 200;
    for (let i = 0; i < n; i++) expect((await getModels(pool, sim.url)).status).toBe(200);
    const s = pool.stats();
    expect(s).toMatchObject({ pooling: true, origins: 1, requests: n, connectErrors: 0 });
    // undici opens a second client when the second request comes while the first client still
    // counts as busy (its drain is pending); from then on both are reused
    expect(s.connectionsOpened).toBeLessThanOrEqual(2);
    expect(s.reuseRate).toBeCloseTo(1 - s.connectionsOpened / n, 6);
    expect(s.reuseRate).toBeGreaterThanOrEqual(0.99);
    expect(s.avgConnectMs).toBeGreaterThan(0);
    expect(s.maxConnectMs).toBeGreaterThanOrEqual(s.avgConnectMs);
    expect(s).toMatchObject({ connected: s.connectionsOpened, queued: 0, running: 0 });
  });

  it('opens at most `connections` per origin and queues the rest', async () => {
    sim = await startSimulator({ apiKeys: [KEY], faults: { latencyMs: { models: 100 } } });
    pool = new ClaudeConnectionPool({ connections: 3 });
    const p = pool;
    const all = Promise.all(Array.from({ length: 9 }, () => getModels(p, sim?.url as string)));
    await new Promise((r) => setTimeout(r, 50));
    const during = p.stats();
    expect(during.running + during.queued + during.pending).toBeGreaterThanOrEqual(6);
    expect(during.queued).toBeGreaterThan(0);
    await all;
    expect(p.stats().connectionsOpened).toBe(3);
  });

  it('opens a fresh connection per request with pooling disabled, and still works', async () => {
    sim = await startSimulator({ apiKeys: [KEY] });
    pool = new ClaudeConnectionPool({ pooling: false });
    const n = 20;
    for (let i = 0; i < n; i++) expect((await getModels(pool, sim.url)).status).toBe(200);
    const s = pool.stats();
    expect(s.pooling).toBe(false);
    expect(s.requests).toBe(n);
    expect(s.connectionsOpened).toBe(n);
    expect(s.reuseRate).toBe(0);
  });

  it('counts connect failures', async () => {
    pool = new ClaudeConnectionPool();
    await expect(getModels(pool, 'http://127.0.0.1:9')).rejects.toThrow();
    expect(pool.stats()).toMatchObject({ requests: 1, connectErrors: 1, connectionsOpened: 0 });
  });

  it('close() destroys in-flight requests promptly and refuses new origins', async () => {
    sim = await startSimulator({ apiKeys: [KEY], faults: { latencyMs: { models: 10_000 } } });
    pool = new ClaudeConnectionPool();
    const pending = getModels(pool, sim.url);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await pool.close();
    await expect(pending).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(() => pool?.forOrigin('http://127.0.0.1:1')).toThrow(TypeError);
  });

  it('keys pools by origin and rejects non-http URLs', () => {
    pool = new ClaudeConnectionPool();
    expect(pool.forOrigin('http://127.0.0.1:1/a')).toBe(pool.forOrigin('http://127.0.0.1:1/b'));
    expect(() => pool?.forOrigin('ftp://example.com')).toThrow(TypeError);
    expect(() => new ClaudeConnectionPool({ connections: 0 })).toThrow(TypeError);
  });
});
