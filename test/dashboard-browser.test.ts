import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, spawnCli } from './helpers/cli.js';

/** Debian's chromium (`apt-get install -y chromium`; .ci/run installs it). Never a downloaded browser. */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');

/** Quick alerts: two breaching checks fire, two healthy ones resolve; a 10 s window; no cooldown. */
const QUICK_ALERTS = `
[performance.monitoring]
alert_threshold_breach_count = 2
health_check_interval_minutes = 0.1
alert_cooldown_minutes = 0
`;

interface Served {
  child: ChildProcess;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  url: string;
  simUrl: string;
  demoKey: string;
}

let browser: Browser;
let homes: string[] = [];
let children: ChildProcess[] = [];
let contexts: BrowserContext[] = [];
let loads: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get update && apt-get install -y chromium`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 20_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  for (const l of loads) await l.stop();
  for (const c of contexts) await c.close().catch(() => undefined);
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const h of homes) rmSync(h, { recursive: true, force: true });
  loads = [];
  contexts = [];
  children = [];
  homes = [];
});

/** `claude-auth serve --simulate --port 0` in a fresh home with `config`; resolves on its banner. */
async function serve(config: string, env: Record<string, string> = {}): Promise<Served> {
  const home = mkdtempSync(join(tmpdir(), 'ca-dash-'));
  homes.push(home);
  writeFileSync(join(home, 'config.toml'), config);
  const child = spawnCli(['serve', '--simulate', '--port', '0'], { env: { CLAUDE_AUTH_HOME: home, ...env } });
  children.push(child);
  const done = collect(child, { timeoutMs: 90_000 });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner after 20 s: ${out}`)), 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('stop: Ctrl-C')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => reject(new Error(`serve exited early: ${out}`)));
  });
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  const simUrl = /built-in simulator at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  const demoKey = /x-api-key: (sk-ca-[\w-]+)/.exec(out)?.[1];
  if (!url || !simUrl || !demoKey) throw new Error(`unexpected banner: ${out}`);
  return { child, done, url, simUrl, demoKey };
}

async function openPage(
  url: string,
  options: { httpCredentials?: { username: string; password: string }; colorScheme?: 'light' | 'dark' } = {},
) {
  const { httpCredentials, colorScheme = 'light' } = options;
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    colorScheme,
    ...(httpCredentials ? { httpCredentials } : {}),
  });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => {
    // the event stream is cut when the test stops the gateway; anything else is a problem
    if (!r.url().endsWith('/api/events')) problems.push(`requestfailed: ${r.url()}`);
  });
  const res = await page.goto(`${url}/`, { waitUntil: 'load' });
  return { page, problems, res };
}

/**
 * Sends Messages API requests with the demo key, `concurrency` at a time, until `stop()` is called,
 * `maxMs` has passed or `maxRequests` were sent, whichever comes first. Loopback only.
 */
function traffic(s: Served, options: { concurrency?: number; maxMs?: number; maxRequests?: number } = {}) {
  const deadline = Date.now() + (options.maxMs ?? 30_000);
  const max = options.maxRequests ?? 20_000;
  let sent = 0;
  let stopped = false;
  const statuses = new Map<number, number>();
  const worker = async () => {
    while (!stopped && Date.now() < deadline && sent < max) {
      sent++;
      const r = await fetch(`${s.url}/v1/messages`, {
        method: 'POST',
        headers: {
          'x-api-key': s.demoKey,
          'anthropic-version': '2023-06-01',
          'content-type': 'application/json',
        },
        body: '{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}',
        signal: AbortSignal.timeout(5000),
      }).catch(() => null);
      if (r !== null) {
        await r.arrayBuffer().catch(() => undefined);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
      // a light, steady load: the point is live charts, not a benchmark
      await new Promise((res) => setTimeout(res, 5));
    }
  };
  const running = Promise.all(Array.from({ length: options.concurrency ?? 3 }, worker));
  const load = {
    statuses,
    get sent() {
      return sent;
    },
    async stop() {
      stopped = true;
      await running;
    },
  };
  loads.push(load);
  return load;
}

async function setFaults(s: Served, faults: Record<string, number>): Promise<void> {
  const r = await fetch(`${s.simUrl}/__sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
    signal: AbortSignal.timeout(5000),
  });
  expect(r.status).toBe(200);
}

/** What a chart's first line adds up to over its span (the page keeps it in `data-total`). */
const total = async (page: Page, chart: string) =>
  Number(await page.locator(`#chart-${chart}`).getAttribute('data-total'));
/** Dashboard snapshots the page has rendered. */
const snapshots = async (page: Page) => Number(await page.locator('body').getAttribute('data-snapshots'));
const POLL = { timeout: 15_000, interval: 100 };

describe('dashboard page (GET /) in chromium', () => {
  it('serves the page and its assets itself, with a strict CSP and cache validators', async () => {
    const s = await serve(QUICK_ALERTS);
    const page = await fetch(`${s.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    const html = await page.text();
    expect(html).not.toMatch(/<script>|<style|style="|https?:\/\//);
    const assets = [...html.matchAll(/(?:src|href)="(\/dashboard\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.length).toBe(5);
    for (const path of assets) {
      const r = await fetch(`${s.url}${path}`);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('cache-control'), path).toContain('immutable');
      const again = await fetch(`${s.url}${path}`, {
        headers: { 'if-none-match': r.headers.get('etag') as string },
      });
      expect(again.status, path).toBe(304);
    }
    s.child.kill('SIGTERM');
    expect((await s.done).code).toBe(0);
  });

  it('updates live from traffic, shows a 429 storm alert fire and resolve, and says when the gateway is gone', async () => {
    const s = await serve(QUICK_ALERTS);
    const { page, problems, res } = await openPage(s.url);
    expect(res?.status()).toBe(200);
    await page.waitForSelector('#conn[data-state="live"]');
    await expect.poll(() => snapshots(page), POLL).toBeGreaterThanOrEqual(1);
    expect(await page.locator('.uplot').count()).toBe(6);
    expect(await page.locator('#monitoring-off').isHidden()).toBe(true);

    // live traffic: the request-rate chart and the request counter move from one snapshot to the next
    const before = await total(page, 'requests');
    const kpiBefore = await page.locator('#kpi-requests .kpi-value').textContent();
    const load = traffic(s, { maxMs: 60_000 });
    await expect.poll(() => total(page, 'requests'), POLL).toBeGreaterThan(before + 20);
    expect(await page.locator('#kpi-requests .kpi-value').textContent()).not.toBe(kpiBefore);
    await page.waitForSelector('#agents tbody tr[data-agent="demo"]');

    // a 429 storm upstream: the rate_limited rule goes pending, then fires, and the page lists it
    await setFaults(s, { rateLimitRate: 1 });
    const firing = page.locator('li.alert[data-rule="rate_limited"][data-state="firing"]');
    await firing.waitFor({ timeout: 15_000 });
    expect(await firing.locator('.message').textContent()).toMatch(/429/);
    expect(await firing.locator('.age').textContent()).toMatch(/^firing for \d+ s/);
    // the next snapshot caps the overall score while a warning fires
    await expect
      .poll(async () => Number(await page.locator('#score-overall .value').textContent()), POLL)
      .toBeLessThanOrEqual(80);
    await page.locator('#kpi-throttled[data-tone="warn"]').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-firing.png'), fullPage: true });

    // the storm ends: healthy answers dilute the window and the alert resolves (and stays listed
    // as resolved, although with no cooldown the server forgets it at once)
    await setFaults(s, { rateLimitRate: 0 });
    const resolved = page.locator('li.alert[data-rule="rate_limited"][data-state="resolved"]');
    await resolved.waitFor({ timeout: 25_000 });
    expect(await resolved.locator('.age').textContent()).toMatch(/^resolved \d+ s ago, fired for/);
    await load.stop();
    expect(load.statuses.get(200)).toBeGreaterThan(0);
    expect(load.statuses.get(429)).toBeGreaterThan(0);
    // one more snapshot so the charts show the whole episode, then the artifact
    const n = await snapshots(page);
    await expect.poll(() => snapshots(page), POLL).toBeGreaterThan(n);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(existsSync(join(ARTIFACTS, 'dashboard.png'))).toBe(true);
    // the charts follow the colour scheme (they are canvas: redrawn with the new colours)
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect
      .poll(() => page.evaluate('getComputedStyle(document.body).backgroundColor'), POLL)
      .not.toBe('rgb(245, 246, 248)');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-dark.png'), fullPage: true });

    // the gateway goes away: the page says so instead of showing stale numbers as live
    expect(problems).toEqual([]);
    s.child.kill('SIGTERM');
    await page.waitForSelector('#conn:not([data-state="live"])', { timeout: 10_000 });
    expect(await page.locator('#conn-text').textContent()).toMatch(/disconnected|no data/);
    expect((await s.done).code).toBe(0);
  }, 60_000);

  it('with an admin token: the browser asks for it (basic auth), the stream works with it; monitoring off is said', async () => {
    const token = 'test-admin-token-0123456789abcdef';
    const s = await serve('[performance]\nenable_monitoring = false\n', { CLAUDE_AUTH_ADMIN_TOKEN: token });
    const anonymous = await fetch(`${s.url}/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm="claude-auth"/);
    expect((await fetch(`${s.url}/api/events`)).status).toBe(401);
    const basic = `Basic ${Buffer.from(`anyone:${token}`).toString('base64')}`;
    expect((await fetch(`${s.url}/api/dashboard`, { headers: { authorization: basic } })).status).toBe(200);
    expect(
      (await fetch(`${s.url}/api/dashboard`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);

    const { page, problems, res } = await openPage(s.url, {
      httpCredentials: { username: 'admin', password: token },
      colorScheme: 'dark',
    });
    expect(res?.status()).toBe(200);
    await page.waitForSelector('#conn[data-state="live"]');
    await expect.poll(() => snapshots(page), POLL).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#monitoring-off').isVisible()).toBe(true);
    expect(await page.locator('#findings').textContent()).toContain('Monitoring is off');
    expect(await page.content()).not.toContain(token);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-monitoring-off-dark.png'), fullPage: true });
    expect(problems).toEqual([]);

    s.child.kill('SIGTERM');
    const done = await s.done;
    expect(done.code).toBe(0);
    expect(done.stdout + done.stderr).not.toContain(token);
  });
});
