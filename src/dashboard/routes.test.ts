import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASIC_CHALLENGE, basicAuthPassword } from './basicAuth.js';
import { createDashboardRoutes, DASHBOARD_CSP } from './routes.js';

let server: Server;
let base: string;

beforeAll(async () => {
  const routes = createDashboardRoutes();
  server = createServer((req, res) => {
    const handler = routes.get((req.url ?? '/').split('?')[0] ?? '/');
    if (handler) handler(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A raw GET (fetch would decompress and hide content-encoding). */
function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
  }>((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('dashboard routes', () => {
  it('serves the page with a strict CSP and content-versioned asset URLs', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['cache-control']).toBe('private, no-cache');
    const html = r.body.toString();
    for (const path of [
      '/dashboard/dashboard.js',
      '/dashboard/dashboard.css',
      '/dashboard/icon.svg',
      '/dashboard/uPlot.iife.min.js',
      '/dashboard/uPlot.min.css',
    ])
      expect(html).toMatch(new RegExp(`"${path}\\?v=[\\w-]{16}"`));
  });

  it('gives every asset its type; the versioned URL is immutable, any other one revalidates', async () => {
    const html = (await get('/')).body.toString();
    const types: Record<string, string> = {
      'dashboard.js': 'text/javascript; charset=utf-8',
      'dashboard.css': 'text/css; charset=utf-8',
      'icon.svg': 'image/svg+xml',
      'uPlot.iife.min.js': 'text/javascript; charset=utf-8',
      'uPlot.min.css': 'text/css; charset=utf-8',
    };
    for (const [file, type] of Object.entries(types)) {
      const url = new RegExp(`"(/dashboard/${file.replaceAll('.', '\\.')}\\?v=[\\w-]+)"`).exec(html)?.[1];
      expect(url, file).toBeDefined();
      const r = await get(url as string);
      expect(r.status, file).toBe(200);
      expect(r.headers['content-type'], file).toBe(type);
      expect(r.headers['cache-control'], file).toBe('private, max-age=31536000, immutable');
      const stale = await get(`/dashboard/${file}?v=old`);
      expect(stale.headers['cache-control'], file).toBe('private, no-cache');
      expect(stale.body.equals(r.body), file).toBe(true);
    }
    const uplot = await get('/dashboard/uPlot.iife.min.js');
    expect(uplot.body.toString()).toContain('uPlot');
  });

  it('answers If-None-Match with 304, gzips for clients that accept it, and HEAD without a body', async () => {
    const first = await get('/dashboard/dashboard.js');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]{16}"$/);
    expect((await get('/dashboard/dashboard.js', { 'if-none-match': etag })).status).toBe(304);
    expect((await get('/dashboard/dashboard.js', { 'if-none-match': `"x", W/${etag}` })).status).toBe(304);
    expect((await get('/dashboard/dashboard.js', { 'if-none-match': '"other"' })).status).toBe(200);
    const zipped = await get('/dashboard/dashboard.js', { 'accept-encoding': 'gzip, br' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('accept-encoding');
    expect(gunzipSync(zipped.body).equals(first.body)).toBe(true);
    expect(zipped.body.length).toBeLessThan(first.body.length);
    const head = await get('/', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
  });

  it('fails at start, not on first request, when a file is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'ca-dash-static-'));
    try {
      expect(() => createDashboardRoutes({ staticDir: empty })).toThrow(/ENOENT/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('basicAuthPassword', () => {
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  it('takes the password whatever the user name, keeping colons in it', () => {
    expect(basicAuthPassword(basic('admin:s3cret'))).toBe('s3cret');
    expect(basicAuthPassword(basic(':s3cret'))).toBe('s3cret');
    expect(basicAuthPassword(basic('u:a:b'))).toBe('a:b');
    expect(basicAuthPassword(`basic ${Buffer.from('u:p').toString('base64')}`)).toBe('p');
  });
  it('is null for anything else', () => {
    expect(basicAuthPassword(undefined)).toBeNull();
    expect(basicAuthPassword('Bearer abc')).toBeNull();
    expect(basicAuthPassword(basic('no-colon'))).toBeNull();
    expect(basicAuthPassword('Basic not base64!')).toBeNull();
  });
  it('asks browsers for credentials in UTF-8', () => {
    expect(BASIC_CHALLENGE).toBe('Basic realm="claude-auth", charset="UTF-8"');
  });
});
