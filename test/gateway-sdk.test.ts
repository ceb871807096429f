import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../src/simulator/index.js';
import {
  agentHeaders,
  messagesBody,
  REAL_KEY,
  rawRequest,
  type Stack,
  startStack,
  VIRTUAL_KEY,
} from './gateway-fixtures.js';

let stack: Stack;
let client: Anthropic;

beforeAll(async () => {
  stack = await startStack();
  client = new Anthropic({ baseURL: stack.url, apiKey: VIRTUAL_KEY, maxRetries: 0 });
});
afterAll(() => stack.close());

const MODEL = 'claude-sonnet-4-5-20250929';
const ask = { model: MODEL, max_tokens: 64, messages: [{ role: 'user' as const, content: 'hello there' }] };

describe('@anthropic-ai/sdk 1.x through the gateway', () => {
  it('messages.create', async () => {
    const m = await client.messages.create(ask);
    expect(m.type).toBe('message');
    expect(m.content[0]).toMatchObject({ type: 'text' });
    expect(m.stop_reason).toBe('end_turn');
  });

  it('messages.stream(): events and finalMessage', async () => {
    const stream = client.messages.stream(ask, { headers: { 'x-sim-deltas': '20' } });
    const types: string[] = [];
    let text = '';
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
    }
    const final = await stream.finalMessage();
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(types.filter((t) => t === 'content_block_delta')).toHaveLength(20);
    expect(final.content[0]).toMatchObject({ type: 'text', text });
    expect(final.usage.output_tokens).toBe(20);
  });

  it('messages.create({ stream: true })', async () => {
    const stream = await client.messages.create({ ...ask, stream: true });
    let deltas = 0;
    let stop = false;
    for await (const e of stream) {
      if (e.type === 'content_block_delta') deltas++;
      if (e.type === 'message_stop') stop = true;
    }
    expect(deltas).toBeGreaterThan(0);
    expect(stop).toBe(true);
  });

  it('messages.countTokens', async () => {
    const r = await client.messages.countTokens({ model: MODEL, messages: ask.messages });
    expect(r.input_tokens).toBeGreaterThan(0);
  });

  it('surfaces a bad virtual key as AuthenticationError', async () => {
    const bad = new Anthropic({ baseURL: stack.url, apiKey: 'cak_wrong', maxRetries: 0 });
    await expect(bad.messages.create(ask)).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('upstream saw only the real credential, never the virtual key', () => {
    const seen = stack.sim.stats().credentialsSeen;
    expect(Object.keys(seen)).toEqual([fingerprint(REAL_KEY)]);
    expect(seen[fingerprint(VIRTUAL_KEY)]).toBeUndefined();
    expect(stack.sim.stats().countTokens).toBe(1);
  });
});

describe('byte-identical streams', () => {
  it('delivers exactly the bytes the simulator sends (ids aside)', async () => {
    const body = messagesBody(true, 'the same question');
    const direct = await rawRequest(stack.sim.url, '/v1/messages', {
      headers: agentHeaders({ 'x-api-key': REAL_KEY, 'x-sim-deltas': '20' }),
      body,
    });
    const proxied = await rawRequest(stack.url, '/v1/messages', {
      headers: agentHeaders({ 'x-sim-deltas': '20' }),
      body,
    });
    // the simulator's ids come from one counter (msg_sim_<prefix><n>); nothing else varies
    const normalize = (b: Buffer) => b.toString('latin1').replace(/msg_sim_[0-9a-z]+/g, 'msg_sim_X');
    expect(proxied.status).toBe(200);
    expect(proxied.body.length).toBe(direct.body.length);
    expect(normalize(proxied.body)).toBe(normalize(direct.body));
    expect(proxied.headers['content-type']).toBe(direct.headers['content-type']);
    expect(proxied.headers['content-length']).toBeUndefined();
    expect(proxied.body.toString()).toContain('event: message_stop');
  });
});
