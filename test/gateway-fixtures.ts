import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { MemoryKeyVerifier, StaticUpstreamAuth } from '../src/bench/gatewayDoubles.js';
import {
  createGateway,
  type Gateway,
  type GatewayOptions,
  type RequestRecord,
} from '../src/gateway/index.js';
import type { UpstreamAuth } from '../src/gateway/ports.js';
import { ClaudeConnectionPool } from '../src/pool/index.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../src/simulator/index.js';

/** The real key the simulator accepts and the virtual key agents present. */
export const REAL_KEY = 'sk-ant-api03-gateway-test-real-key-000000000000';
export const VIRTUAL_KEY = 'cak_test_builder1_virtual_key';

/** A simulator, a gateway in front of it, and what the gateway recorded. */
export interface Stack {
  sim: Simulator;
  gw: Gateway;
  url: string;
  keys: MemoryKeyVerifier;
  auth: UpstreamAuth;
  pool: ClaudeConnectionPool;
  records: RequestRecord[];
  close(): Promise<void>;
}

/** Options for {@link startStack}: a different auth double, gateway options, simulator keys. */
export interface StackOptions {
  /** The credential source; a function gets the simulator (to issue tokens). Default REAL_KEY. */
  auth?: UpstreamAuth | ((sim: Simulator) => UpstreamAuth);
  gateway?: Partial<GatewayOptions>;
  /** Simulator options; `apiKeys` defaults to [REAL_KEY]. */
  sim?: SimulatorOptions;
  pooling?: boolean;
}

/** Starts the simulator (accepting REAL_KEY) and a gateway on 127.0.0.1 that knows VIRTUAL_KEY. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const sim = await startSimulator({ apiKeys: [REAL_KEY], ...opts.sim });
  const keys = new MemoryKeyVerifier();
  keys.add(VIRTUAL_KEY, 'builder-1');
  const auth =
    typeof opts.auth === 'function' ? opts.auth(sim) : (opts.auth ?? new StaticUpstreamAuth(REAL_KEY));
  const records: RequestRecord[] = [];
  const pool = new ClaudeConnectionPool({ pooling: opts.pooling ?? true });
  const gw = createGateway({
    upstream: sim.url,
    keys,
    auth,
    pool,
    onRequestDone: (r) => records.push({ ...r }),
    ...opts.gateway,
  });
  const url = await gw.listen();
  return {
    sim,
    gw,
    url,
    keys,
    auth,
    pool,
    records,
    close: async () => {
      await gw.close();
      await pool.close();
      await sim.close();
    },
  };
}

/** A plain HTTP answer. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** One request with node:http (no client-side magic), body collected as bytes. */
export function rawRequest(
  url: string,
  path: string,
  opts: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        path,
        method: opts.method ?? 'POST',
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A Messages request body. */
export function messagesBody(stream: boolean, text = 'hello'): string {
  return JSON.stringify({
    model: 'claude-sonnet-4-5-20250929',
    max_tokens: 64,
    stream,
    messages: [{ role: 'user', content: text }],
  });
}

/** Headers a client sends with the virtual key as x-api-key. */
export function agentHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    'anthropic-version': '2023-06-01',
    'x-api-key': VIRTUAL_KEY,
    ...extra,
  };
}

/** Resolves once `check` is true, polling every 10 ms; rejects after `ms`. */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
