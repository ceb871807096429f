import { afterEach, describe, expect, it } from 'vitest';
import { agentHeaders, messagesBody, rawRequest, type Stack, startStack } from './gateway-fixtures.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function sendSequentially(s: Stack, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await rawRequest(s.url, '/v1/messages', {
      headers: agentHeaders(),
      body: messagesBody(i % 2 === 0),
    });
    expect(r.status).toBe(200);
  }
}

describe('gateway connection reuse', () => {
  it('reuses upstream connections across sequential agent requests', async () => {
    stack = await startStack();
    await sendSequentially(stack, 100);
    const s = stack.pool.stats();
    expect(s.requests).toBe(100);
    expect(s.connectionsOpened).toBeLessThanOrEqual(2);
    expect(s.reuseRate).toBeGreaterThanOrEqual(0.98);
    expect(stack.records.every((r) => r.poolMs >= 0 && r.ttfbMs >= 0 && r.streamMs >= 0)).toBe(true);
  });

  it('opens one upstream connection per request with pooling disabled, and still works', async () => {
    stack = await startStack({ pooling: false });
    await sendSequentially(stack, 10);
    const s = stack.pool.stats();
    expect(s.requests).toBe(10);
    expect(s.connectionsOpened).toBe(10);
    expect(s.reuseRate).toBe(0);
  });
});
