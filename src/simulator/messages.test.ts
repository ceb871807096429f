import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fingerprint, startSimulator } from './index.js';
import type { Simulator } from './types.js';

const KEY = 'sk-ant-api03-test-key';
const OAT = 'sk-ant-oat01-test-token';
let t = 1_700_000_000_000;
let sim: Simulator;

beforeEach(async () => {
  t = 1_700_000_000_000;
  sim = await startSimulator({ apiKeys: [KEY], oauthTokens: [OAT], now: () => t });
});
afterEach(async () => {
  await sim.close();
});

const body = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    model: 'claude-sonnet-4-5-20250929',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'Hi there!' }],
    ...extra,
  });

function post(path: string, payload: string, headers: Record<string, string> = { 'x-api-key': KEY }) {
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: payload,
  });
}

/** Splits an SSE body into its events, checking the exact `event: X\ndata: Y\n\n` framing. */
function parseSse(raw: string): { event: string; data: Record<string, unknown> }[] {
  expect(raw.endsWith('\n\n')).toBe(true);
  return raw
    .slice(0, -2)
    .split('\n\n')
    .map((block) => {
      const m = /^event: ([a-z_]+)\ndata: (.+)$/.exec(block);
      expect(m, `bad frame ${JSON.stringify(block)}`).not.toBeNull();
      const data = JSON.parse(m?.[2] ?? '') as Record<string, unknown>;
      expect(data.type).toBe(m?.[1]);
      return { event: m?.[1] ?? '', data };
    });
}

describe('POST /v1/messages', () => {
  it('answers a Messages API JSON body that echoes the model and depends on the request', async () => {
    const r = await post('/v1/messages?beta=true', body());
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    const m = (await r.json()) as Record<string, unknown>;
    expect(m).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: 'Hello from the simulator. Your last message had 9 characters.' }],
      usage: { input_tokens: 3, output_tokens: 16 },
    });
    expect(m.id).toMatch(/^msg_sim_/);
  });

  it('puts request-id and plausible rate-limit headers on every answer, errors included', async () => {
    const ok = await post('/v1/messages', body());
    const bad = await post('/v1/messages', body(), { 'x-api-key': 'nope' });
    for (const r of [ok, bad]) {
      expect(r.headers.get('request-id')).toMatch(/^req_sim_/);
      expect(r.headers.get('anthropic-ratelimit-requests-limit')).toBe('4000');
      expect(r.headers.get('anthropic-ratelimit-tokens-limit')).toBe('400000');
      expect(Date.parse(r.headers.get('anthropic-ratelimit-requests-reset') ?? '')).toBeGreaterThan(t);
      expect(r.headers.get('anthropic-ratelimit-tokens-reset')).toBe(
        r.headers.get('anthropic-ratelimit-requests-reset'),
      );
    }
    expect(ok.headers.get('request-id')).not.toBe(bad.headers.get('request-id'));
    expect(Number(ok.headers.get('anthropic-ratelimit-requests-remaining'))).toBe(3999);
    expect(Number(bad.headers.get('anthropic-ratelimit-requests-remaining'))).toBe(3998);
    expect(Number(ok.headers.get('anthropic-ratelimit-tokens-remaining'))).toBe(400_000 - 3 - 16);
  });

  it('streams the exact Anthropic SSE framing with 8 deltas by default', async () => {
    const r = await post('/v1/messages', body({ stream: true }));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseSse(await r.text());
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      ...Array(8).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const start = events[0]?.data.message as Record<string, unknown>;
    expect(start).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929' });
    const text = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => (e.data.delta as { type: string; text: string }).text)
      .join('');
    expect(text).toBe('Hello from the simulator. This is a deterministic');
    expect(events.at(-2)?.data).toMatchObject({
      delta: { stop_reason: 'end_turn' },
      usage: { output_tokens: 8 },
    });
  });

  it('honours x-sim-deltas and refuses an out-of-range value', async () => {
    const r = await post('/v1/messages', body({ stream: true }), { 'x-api-key': KEY, 'x-sim-deltas': '20' });
    const events = parseSse(await r.text());
    expect(events.filter((e) => e.event === 'content_block_delta')).toHaveLength(20);
    expect(events).toHaveLength(26);
    const bad = await post('/v1/messages', body({ stream: true }), { 'x-api-key': KEY, 'x-sim-deltas': '0' });
    expect(bad.status).toBe(400);
  });

  it('paces events with x-sim-event-interval-ms and still frames them exactly', async () => {
    const r = await post('/v1/messages', body({ stream: true }), {
      'x-api-key': KEY,
      'x-sim-deltas': '2',
      'x-sim-event-interval-ms': '1',
    });
    expect(parseSse(await r.text())).toHaveLength(8);
  });

  it('validates the body: invalid JSON, then missing model, then missing messages', async () => {
    const cases: [string, string][] = [
      ['{not json', 'JSON object'],
      [JSON.stringify({ messages: [] }), 'model'],
      [JSON.stringify({ model: 'claude-x' }), 'messages'],
    ];
    for (const [payload, field] of cases) {
      const r = await post('/v1/messages', payload);
      expect(r.status).toBe(400);
      const e = (await r.json()) as { type: string; error: { type: string; message: string } };
      expect(e.type).toBe('error');
      expect(e.error.type).toBe('invalid_request_error');
      expect(e.error.message).toContain(field);
    }
    expect(sim.stats().messages).toEqual({ '400': 3 });
  });
});

describe('credentials', () => {
  it('refuses a missing or unknown credential with 401 invalid x-api-key', async () => {
    const cases: Record<string, string>[] = [
      {},
      { 'x-api-key': 'sk-ant-api03-unknown' },
      { authorization: 'Bearer nope' },
    ];
    for (const headers of cases) {
      const r = await post('/v1/messages', body(), headers);
      expect(r.status).toBe(401);
      expect(await r.json()).toEqual({
        type: 'error',
        error: { type: 'authentication_error', message: 'invalid x-api-key' },
      });
    }
    expect(sim.stats().unknownCredentialRequests).toBe(3);
    expect(sim.stats().messages).toEqual({ '401': 3 });
  });

  it('accepts x-api-key, a setup-token as Bearer, and either header when both are sent', async () => {
    expect((await post('/v1/messages', body(), { authorization: `Bearer ${OAT}` })).status).toBe(200);
    expect(
      (await post('/v1/messages', body(), { 'x-api-key': 'bad', authorization: `Bearer ${KEY}` })).status,
    ).toBe(200);
    expect(
      (await post('/v1/messages', body(), { 'x-api-key': KEY, authorization: 'Bearer bad' })).status,
    ).toBe(200);
    const seen = sim.stats().credentialsSeen;
    expect(seen[fingerprint(KEY)]).toBe(2);
    expect(seen[fingerprint(OAT)]).toBe(1);
    expect(JSON.stringify(sim.stats())).not.toContain(KEY);
  });

  it('accepts an issued access token until it expires on the injected clock, then says so', async () => {
    const { access_token } = sim.issueTokens({ accessTokenTtlSeconds: 60 });
    const auth = { authorization: `Bearer ${access_token}` };
    expect((await post('/v1/messages', body(), auth)).status).toBe(200);
    t += 60_000;
    const r = await post('/v1/messages', body(), auth);
    expect(r.status).toBe(401);
    expect(((await r.json()) as { error: { message: string } }).error.message).toBe(
      'OAuth token has expired',
    );
    expect(sim.stats().expiredTokenRequests).toBe(1);
  });

  it('stops accepting a revoked API key and a key added later works', async () => {
    sim.revokeApiKey(KEY);
    expect((await post('/v1/messages', body())).status).toBe(401);
    sim.addApiKey('sk-ant-api03-new');
    expect((await post('/v1/messages', body(), { 'x-api-key': 'sk-ant-api03-new' })).status).toBe(200);
  });
});

describe('other routes', () => {
  it('counts tokens deterministically', async () => {
    const payload = body({
      system: 'You are terse.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'x'.repeat(40) }] }],
    });
    const r = await post('/v1/messages/count_tokens', payload);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ input_tokens: Math.ceil((14 + 40) / 4) });
    expect(sim.stats().countTokens).toBe(1);
  });

  it('lists models, and needs a credential for it', async () => {
    const r = await fetch(`${sim.url}/v1/models`, { headers: { 'x-api-key': KEY } });
    const list = (await r.json()) as {
      data: { type: string; id: string }[];
      has_more: boolean;
      first_id: string;
      last_id: string;
    };
    expect(list.has_more).toBe(false);
    expect(list.data.length).toBeGreaterThan(2);
    expect(list.data.every((m) => m.type === 'model' && m.id.startsWith('claude-'))).toBe(true);
    expect(list.first_id).toBe(list.data[0]?.id);
    expect(list.last_id).toBe(list.data.at(-1)?.id);
    expect((await fetch(`${sim.url}/v1/models`)).status).toBe(401);
    expect(sim.stats().models).toBe(2);
  });

  it('answers an unknown route with 404 not_found_error', async () => {
    const r = await fetch(`${sim.url}/v2/nothing`);
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: { type: string } }).error.type).toBe('not_found_error');
    expect(r.headers.get('request-id')).toMatch(/^req_sim_/);
  });

  it('survives a client that disconnects mid-stream', async () => {
    const r = await post('/v1/messages', body({ stream: true }), {
      'x-api-key': KEY,
      'x-sim-deltas': '50',
      'x-sim-event-interval-ms': '2',
    });
    const reader = r.body?.getReader();
    await reader?.read();
    await reader?.cancel();
    expect((await post('/v1/messages', body())).status).toBe(200);
  });
});
