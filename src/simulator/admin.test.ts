import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fingerprint, startSimulator } from './index.js';
import type { Faults, Simulator, SimulatorStats } from './types.js';

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator();
});
afterEach(async () => {
  await sim.close();
});

async function admin<T>(path: string, payload?: unknown): Promise<{ status: number; body: T }> {
  const r = await fetch(`${sim.url}/__sim/${path}`, {
    method: payload === undefined && (path === 'stats' || path === 'faults') ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  return { status: r.status, body: (await r.json()) as T };
}

function models(key: string): Promise<number> {
  return fetch(`${sim.url}/v1/models`, { headers: { 'x-api-key': key } }).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  });
}

describe('admin routes', () => {
  it('adds an API key, counts what it sees, and resets the counters', async () => {
    expect(await models('sk-ant-api03-admin')).toBe(401);
    expect((await admin('api-keys', { key: 'sk-ant-api03-admin' })).status).toBe(200);
    expect(await models('sk-ant-api03-admin')).toBe(200);
    const { body: stats } = await admin<SimulatorStats>('stats');
    expect(stats).toMatchObject({ models: 2, unknownCredentialRequests: 1 });
    expect(stats.credentialsSeen).toEqual({ [fingerprint('sk-ant-api03-admin')]: 2 });
    expect(fingerprint('sk-ant-api03-admin')).toMatch(/^[0-9a-f]{16}$/);
    expect((await admin('reset', {})).status).toBe(200);
    expect(sim.stats()).toEqual({
      refreshGrants: 0,
      clientCredentialsGrants: 0,
      authorizationCodeGrants: 0,
      tokenRequests: 0,
      invalidGrant: 0,
      reuseDetections: 0,
      messages: {},
      expiredTokenRequests: 0,
      unknownCredentialRequests: 0,
      credentialsSeen: {},
      countTokens: 0,
      models: 0,
    });
  });

  it('merges faults and returns the effective set', async () => {
    const { status, body } = await admin<Faults>('faults', { latencyMs: { token: 5 }, errorRate: 0.25 });
    expect(status).toBe(200);
    expect(body).toMatchObject({ errorRate: 0.25, tokenEndpoint: 'ok', streamDieAfterEvents: null });
    expect(body.latencyMs).toEqual({ messages: 0, count_tokens: 0, models: 0, token: 5, authorize: 0 });
    const again = await admin<Faults>('faults', { latencyMs: { models: 1 } });
    expect(again.body.latencyMs).toMatchObject({ token: 5, models: 1 });
    expect((await admin<Faults>('faults')).body.errorRate).toBe(0.25);
    const bad = await admin<{ error: { type: string; message: string } }>('faults', { errorRate: 3 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ type: 'invalid_request_error' });
    expect(bad.body.error.message).toContain('errorRate');
  });

  it('issues tokens on request, with the options in the body', async () => {
    const { status, body } = await admin<{ access_token: string; refresh_token: string; expires_in: number }>(
      'tokens',
      { clientId: 'x', accessTokenTtlSeconds: 42 },
    );
    expect(status).toBe(200);
    expect(body.expires_in).toBe(42);
    expect(body.refresh_token).toMatch(/^sim_rt_/);
    const r = await fetch(`${sim.url}/v1/models`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(r.status).toBe(200);
    expect((await admin('tokens', { accessTokenTtlSeconds: -1 })).status).toBe(400);
    expect((await admin('api-keys', {})).status).toBe(400);
  });
});

describe('robustness', () => {
  it('survives a client that sends half a body and disconnects', async () => {
    const { port } = sim;
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          'POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"mo',
        );
        setImmediate(() => socket.destroy());
      });
      socket.on('close', () => resolve());
    });
    expect(await models('nope')).toBe(401);
  });

  it('reuses one keep-alive connection for many requests', async () => {
    sim.addApiKey('k');
    const seen = new Set<string>();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = request(`${sim.url}/v1/models`, { agent, headers: { 'x-api-key': 'k' } }, (res) => {
          seen.add(`${res.socket.localPort}`);
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end();
      });
    }
    agent.destroy();
    expect(seen.size).toBe(1);
  });
});
