import { afterEach, describe, expect, it } from 'vitest';
import { defaultFaults, FaultDice, mergeFaults } from './faults.js';
import { startSimulator } from './index.js';
import type { Simulator } from './types.js';

const KEY = 'sk-ant-api03-faults';
const sims: Simulator[] = [];

async function start(opts: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  const sim = await startSimulator({ apiKeys: [KEY], ...opts });
  sims.push(sim);
  return sim;
}
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

function message(sim: Simulator, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return fetch(`${sim.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY, ...headers },
    body: JSON.stringify({
      model: 'claude-haiku-4-5-20251001',
      messages: [{ role: 'user', content: 'x' }],
      ...extra,
    }),
  });
}

function refresh(sim: Simulator, refreshToken: string) {
  return fetch(sim.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
}

describe('mergeFaults and FaultDice', () => {
  it('merges latency per route and refuses bad knobs without changing anything', () => {
    const f = mergeFaults(defaultFaults(), { latencyMs: { token: 5 }, errorRate: 0.5 });
    expect(f.latencyMs).toEqual({ messages: 0, count_tokens: 0, models: 0, token: 5, authorize: 0 });
    expect(f.errorRate).toBe(0.5);
    expect(() => mergeFaults(f, { errorRate: 2 })).toThrow(/errorRate/);
    expect(() => mergeFaults(f, { latencyMs: { nope: 1 } })).toThrow(/nope/);
    expect(() => mergeFaults(f, { tokenEndpoint: 'down' })).toThrow(/tokenEndpoint/);
    expect(() => mergeFaults(f, { streamDieAfterEvents: 1.5 })).toThrow(/streamDieAfterEvents/);
    expect(() => mergeFaults(f, { bogus: true })).toThrow(/bogus/);
  });

  it('draws the same faults for the same seed', () => {
    const faults = { ...defaultFaults(), errorRate: 0.3, rateLimitRate: 0.3 };
    const run = (seed: number) => {
      const dice = new FaultDice(seed);
      return Array.from({ length: 50 }, () => dice.draw(faults));
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    const counts = run(7).reduce<Record<string, number>>((acc, d) => {
      acc[String(d)] = (acc[String(d)] ?? 0) + 1;
      return acc;
    }, {});
    expect(Object.keys(counts).sort()).toEqual(['api_error', 'null', 'rate_limit']);
  });
});

describe('/v1 faults', () => {
  it('answers 500 api_error at errorRate 1', async () => {
    const sim = await start({ faults: { errorRate: 1 } });
    const r = await message(sim);
    expect(r.status).toBe(500);
    expect(await r.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(sim.stats().messages).toEqual({ '500': 1 });
  });

  it('answers 429 rate_limit_error with retry-after at rateLimitRate 1', async () => {
    const sim = await start({ faults: { rateLimitRate: 1, retryAfterSeconds: 7 } });
    const r = await message(sim);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
    expect(r.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(await r.json()).toMatchObject({ error: { type: 'rate_limit_error' } });
  });

  it('answers 529 overloaded_error with retry-after at overloadRate 1, on every /v1 route', async () => {
    const sim = await start();
    sim.setFaults({ overloadRate: 1 });
    const r = await message(sim);
    expect(r.status).toBe(529);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(await r.json()).toMatchObject({ error: { type: 'overloaded_error' } });
    expect((await fetch(`${sim.url}/v1/models`, { headers: { 'x-api-key': KEY } })).status).toBe(529);
    sim.setFaults({ overloadRate: 0 });
    expect((await message(sim)).status).toBe(200);
    expect(sim.stats().messages).toEqual({ '529': 1, '200': 1 });
  });

  it('checks the credential before drawing a fault', async () => {
    const sim = await start({ faults: { errorRate: 1 } });
    expect((await message(sim, {}, { 'x-api-key': 'wrong' })).status).toBe(401);
  });

  it('adds latency per route', async () => {
    const sim = await start({ faults: { latencyMs: { messages: 120 } } });
    const t0 = performance.now();
    expect((await message(sim)).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
    const t1 = performance.now();
    await fetch(`${sim.url}/v1/models`, { headers: { 'x-api-key': KEY } });
    expect(performance.now() - t1).toBeLessThan(110);
  });

  it('kills a stream after streamDieAfterEvents events, which the client sees as a broken body', async () => {
    const sim = await start({ faults: { streamDieAfterEvents: 4 } });
    const r = await message(sim, { stream: true });
    expect(r.status).toBe(200);
    const reader = r.body?.getReader();
    const decoder = new TextDecoder();
    let received = '';
    let error: unknown;
    try {
      for (;;) {
        const chunk = await reader?.read();
        if (chunk === undefined || chunk.done) break;
        received += decoder.decode(chunk.value, { stream: true });
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeDefined();
    expect(received.match(/^event: /gm)).toHaveLength(4);
    expect(received).toContain('event: content_block_delta');
    expect(received).not.toContain('message_stop');
    sim.setFaults({ streamDieAfterEvents: null });
    expect(await (await message(sim, { stream: true })).text()).toContain('event: message_stop');
  });
});

describe('token endpoint faults', () => {
  it('fail answers 500 server_error and unavailable 503 with retry-after, spending nothing', async () => {
    const sim = await start({ faults: { tokenEndpoint: 'fail' } });
    const { refresh_token } = sim.issueTokens();
    const failed = await refresh(sim, refresh_token);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ error: 'server_error' });
    sim.setFaults({ tokenEndpoint: 'unavailable', retryAfterSeconds: 3 });
    const unavailable = await refresh(sim, refresh_token);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('3');
    sim.setFaults({ tokenEndpoint: 'ok' });
    expect((await refresh(sim, refresh_token)).status).toBe(200);
    expect(sim.stats()).toMatchObject({ tokenRequests: 3, refreshGrants: 1, invalidGrant: 0 });
  });

  it('hang never answers and spends nothing; close() still returns promptly', async () => {
    const sim = await start({ faults: { tokenEndpoint: 'hang' } });
    const { refresh_token } = sim.issueTokens();
    const pending = refresh(sim, refresh_token).then(
      (r) => r.status,
      () => 'closed',
    );
    const first = await Promise.race([pending, new Promise((r) => setTimeout(() => r('timeout'), 300))]);
    expect(first).toBe('timeout');
    expect(sim.stats().tokenRequests).toBe(1);
    // the knob going back to ok releases nothing, and the token was not spent
    sim.setFaults({ tokenEndpoint: 'ok' });
    expect((await refresh(sim, refresh_token)).status).toBe(200);
    const t0 = performance.now();
    await sim.close();
    expect(performance.now() - t0).toBeLessThan(500);
    expect(await pending).toBe('closed');
  });

  it('adds latency to the token endpoint', async () => {
    const sim = await start({ faults: { latencyMs: { token: 100 } } });
    const t0 = performance.now();
    expect((await refresh(sim, sim.issueTokens().refresh_token)).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
  });

  it('close() is prompt even while a latency fault is pending', async () => {
    const sim = await start({ faults: { latencyMs: { messages: 10_000 } } });
    const pending = message(sim).then(
      () => 'answered',
      () => 'closed',
    );
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await sim.close();
    expect(performance.now() - t0).toBeLessThan(500);
    expect(await pending).toBe('closed');
  });
});
