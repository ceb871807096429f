import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { createGateway } from '../gateway/index.js';
import { ClaudeConnectionPool } from '../pool/index.js';
import { startSimulator } from '../simulator/index.js';
import { startBaselineProxy } from './gatewayBaseline.js';
import { MemoryKeyVerifier, StaticUpstreamAuth } from './gatewayDoubles.js';
import {
  BENCH_REAL_KEY,
  BENCH_VIRTUAL_KEY,
  type CpuResult,
  type LoadJob,
  type LoadResult,
} from './gatewayProtocol.js';

/**
 * One process of `npm run bench:gateway`: `sim`, `baseline`, `gateway` or `load`, named by argv[2].
 * Each talks to the orchestrator (gateway.ts) over the fork IPC channel.
 */

type Message = { type: 'start-cpu' } | { type: 'stop-cpu' } | LoadJob;

function send(msg: object): void {
  process.send?.(msg);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** Sequential requests on one kept-alive connection, timed one by one with hrtime (µs). */
async function probe(job: LoadJob): Promise<LoadResult> {
  const pool = new Pool(job.url, { connections: 1 });
  const times: number[] = [];
  const warmup = Math.min(200, job.probeN);
  for (let i = 0; i < job.probeN + warmup; i++) {
    const t0 = process.hrtime.bigint();
    const r = await pool.request({
      path: '/v1/messages',
      method: 'POST',
      headers: job.headers,
      body: job.body,
    });
    await r.body.dump();
    if (i >= warmup) times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  await pool.close();
  times.sort((a, b) => a - b);
  return {
    rps: 0,
    total: times.length,
    non2xx: 0,
    errors: 0,
    p50us: percentile(times, 0.5),
    p99us: percentile(times, 0.99),
  };
}

async function cannon(job: LoadJob): Promise<LoadResult> {
  const t0 = process.hrtime.bigint();
  const r = await autocannon({
    url: `${job.url}/v1/messages`,
    method: 'POST',
    headers: job.headers,
    body: job.body,
    connections: job.connections,
    ...(job.amount > 0 ? { amount: job.amount } : { duration: job.durationS }),
  });
  return {
    // autocannon's own duration is rounded to whole seconds; time the run here
    rps: r.requests.total / (Number(process.hrtime.bigint() - t0) / 1e9),
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    p50us: r.latency.p50 * 1000,
    p99us: r.latency.p99 * 1000,
  };
}

/** Starts a proxy (baseline or gateway) and serves CPU readings. */
async function proxy(kind: 'baseline' | 'gateway', upstream: string): Promise<void> {
  let served = 0;
  let cpu = process.cpuUsage();
  let stats: () => { requests: number; opened: number };
  let url: string;
  if (kind === 'gateway') {
    const keys = new MemoryKeyVerifier();
    keys.add(BENCH_VIRTUAL_KEY, 'bench-agent');
    const pool = new ClaudeConnectionPool();
    const gw = createGateway({
      upstream,
      keys,
      auth: new StaticUpstreamAuth(BENCH_REAL_KEY),
      pool,
      onRequestDone: () => {
        served++;
      },
    });
    url = await gw.listen();
    stats = () => {
      const s = pool.stats();
      return { requests: s.requests, opened: s.connectionsOpened };
    };
  } else {
    const { server, pool } = startBaselineProxy(upstream, BENCH_REAL_KEY);
    let requests = 0;
    let opened = 0;
    server.on('request', () => {
      served++;
      requests++;
    });
    pool.on('connect', () => {
      opened++;
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    stats = () => ({ requests, opened });
  }
  process.on('message', (m: Message) => {
    if (m.type === 'start-cpu') {
      served = 0;
      cpu = process.cpuUsage();
      send({ type: 'cpu-started' });
    } else if (m.type === 'stop-cpu') {
      const d = process.cpuUsage(cpu);
      const s = stats();
      const result: CpuResult = {
        cpuUs: d.user + d.system,
        served,
        poolRequests: s.requests,
        poolOpened: s.opened,
      };
      send({ type: 'cpu', result });
    }
  });
  send({ type: 'ready', url });
}

async function main(): Promise<void> {
  const role = process.argv[2];
  process.on('disconnect', () => process.exit(0));
  if (role === 'sim') {
    const sim = await startSimulator({ apiKeys: [BENCH_REAL_KEY] });
    send({ type: 'ready', url: sim.url });
  } else if (role === 'baseline' || role === 'gateway') {
    await proxy(role, process.argv[3] as string);
  } else if (role === 'load') {
    process.on('message', (m: Message) => {
      if (m.type !== 'cannon' && m.type !== 'probe') return;
      (m.type === 'cannon' ? cannon(m) : probe(m)).then(
        (result) => send({ type: 'result', result }),
        (e: unknown) => send({ type: 'error', message: String(e) }),
      );
    });
    send({ type: 'ready', url: '' });
  } else {
    throw new Error(`unknown role ${role}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
