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

/** One request on `pool`, timed in µs. */
async function timed(pool: Pool, headers: Record<string, string>, body: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await pool.request({ path: '/v1/messages', method: 'POST', headers, body });
  await r.body.dump();
  return Number(process.hrtime.bigint() - t0) / 1000;
}

/**
 * Sequential requests, each target on its own kept-alive connection, alternating through and
 * direct so both see the same machine noise; µs percentiles of each.
 */
async function probe(job: LoadJob): Promise<LoadResult> {
  const through = new Pool(job.url, { connections: 1 });
  const direct = job.direct === undefined ? null : new Pool(job.direct.url, { connections: 1 });
  const t: number[] = [];
  const d: number[] = [];
  const warmup = Math.min(200, job.probeN);
  for (let i = 0; i < job.probeN + warmup; i++) {
    const a = await timed(through, job.headers, job.body);
    const b =
      direct === null || job.direct === undefined ? 0 : await timed(direct, job.direct.headers, job.body);
    if (i < warmup) continue;
    t.push(a);
    d.push(b);
  }
  await through.close();
  await direct?.close();
  t.sort((x, y) => x - y);
  d.sort((x, y) => x - y);
  return {
    rps: 0,
    total: t.length,
    non2xx: 0,
    errors: 0,
    p50us: percentile(t, 0.5),
    p99us: percentile(t, 0.99),
    directP50us: percentile(d, 0.5),
    directP99us: percentile(d, 0.99),
  };
}

async function cannon(job: LoadJob): Promise<LoadResult> {
  const t0 = process.hrtime.bigint();
  let last = t0;
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon(
      {
        url: `${job.url}/v1/messages`,
        method: 'POST',
        headers: job.headers,
        body: job.body,
        connections: job.connections,
        ...(job.amount > 0 ? { amount: job.amount } : { duration: job.durationS }),
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    // autocannon notices the end only on its one-second tick: time the run to the last response
    run.on('response', () => {
      last = process.hrtime.bigint();
    });
  });
  return {
    rps: r.requests.total / (Number(last - t0) / 1e9),
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
