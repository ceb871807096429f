import { Client, Pool } from 'undici';
import { messageHeaders, sendMessage, tick } from './client.js';
import type { LoadJob, LoadResult } from './peerProtocol.js';
import { msSince } from './summary.js';

/** Reports the fraction of a job done. */
type Progress = (fraction: number) => void;

async function concurrent(job: Extract<LoadJob, { kind: 'concurrent' }>, progress: Progress) {
  const clients = job.keys.map(() => new Client(job.url));
  const latencies: number[] = [];
  const perAgentOk = new Array<number>(job.keys.length).fill(0);
  let inFlight = 0;
  let peak = 0;
  let done = 0;
  const total = job.keys.length * job.requests;
  try {
    await Promise.all(
      job.keys.map(async (key, a) => {
        const client = clients[a] as Client;
        const headers = messageHeaders(key);
        for (let r = 0; r < job.requests; r++) {
          inFlight++;
          peak = Math.max(peak, inFlight);
          const t = process.hrtime.bigint();
          const ok = await sendMessage(client, job.url, headers, r % 4 === 3);
          latencies.push(msSince(t));
          inFlight--;
          if (ok) perAgentOk[a] = (perAgentOk[a] ?? 0) + 1;
          if (++done % 50 === 0) progress(done / total);
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
  const succeeded = perAgentOk.reduce((s, n) => s + n, 0);
  return { latenciesMs: latencies, succeeded, attempted: total, perAgentOk, peakInFlight: peak };
}

async function latency(job: Extract<LoadJob, { kind: 'latency' }>, progress: Progress) {
  const through = new Pool(job.url, { connections: 1 });
  const direct = new Pool(job.directUrl, { connections: 1 });
  const viaGateway: number[] = [];
  const straight: number[] = [];
  const agent = messageHeaders(job.key);
  const real = messageHeaders(job.directHeaders);
  let ok = 0;
  const total = job.warmup + job.samples;
  try {
    for (let i = 0; i < total; i++) {
      let t = process.hrtime.bigint();
      const good = await sendMessage(through, job.url, agent, false);
      const g = msSince(t);
      t = process.hrtime.bigint();
      await sendMessage(direct, job.directUrl, real, false);
      const d = msSince(t);
      if (i % 100 === 0) progress(i / total);
      if (i < job.warmup) continue;
      viaGateway.push(g);
      straight.push(d);
      if (good) ok++;
    }
  } finally {
    await through.close();
    await direct.close();
  }
  return { latenciesMs: viaGateway, directMs: straight, succeeded: ok, attempted: job.samples };
}

async function newAgents(job: Extract<LoadJob, { kind: 'new_agents' }>, progress: Progress) {
  const latencies: number[] = [];
  let ok = 0;
  for (const [i, key] of job.keys.entries()) {
    const client = new Client(job.url);
    const headers = messageHeaders(key);
    const t = process.hrtime.bigint();
    if (await sendMessage(client, job.url, headers, true)) ok++;
    latencies.push(msSince(t));
    await client.close();
    if (i % 10 === 0) progress(i / job.keys.length);
    await tick();
  }
  return { latenciesMs: latencies, succeeded: ok, attempted: job.keys.length };
}

/**
 * `requests` requests on one pool, `concurrency` workers. `keyOf(i, w)` picks the key of request i
 * sent by worker w: each key once (memory test) or one key per worker (stress: an agent has one
 * request in flight at a time).
 */
async function pooled(
  job: Extract<LoadJob, { kind: 'first_requests' | 'stress' }>,
  requests: number,
  streamEvery: number,
  keyOf: (index: number, worker: number) => number,
  progress: Progress,
) {
  const client = new Pool(job.url, { connections: job.concurrency });
  const latencies = new Array<number>(requests).fill(0);
  const headers = job.keys.map((k) => messageHeaders(k));
  let ok = 0;
  let inFlight = 0;
  let peak = 0;
  let next = 0;
  const worker = async (w: number) => {
    while (next < requests) {
      const i = next++;
      inFlight++;
      peak = Math.max(peak, inFlight);
      const t = process.hrtime.bigint();
      const stream = streamEvery > 0 && i % streamEvery === streamEvery - 1;
      if (await sendMessage(client, job.url, headers[keyOf(i, w) % headers.length] ?? {}, stream)) ok++;
      latencies[i] = msSince(t);
      inFlight--;
      if (i % 100 === 0) progress(i / requests);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(job.concurrency, requests) }, (_, w) => worker(w)));
  } finally {
    await client.close();
  }
  return { latenciesMs: latencies, succeeded: ok, attempted: requests, peakInFlight: peak };
}

/** Runs one job and measures it. */
export async function runLoadJob(job: LoadJob, progress: Progress): Promise<LoadResult> {
  const t = process.hrtime.bigint();
  let r: Omit<LoadResult, 'wallMs'>;
  switch (job.kind) {
    case 'concurrent':
      r = await concurrent(job, progress);
      break;
    case 'latency':
      r = await latency(job, progress);
      break;
    case 'new_agents':
      r = await newAgents(job, progress);
      break;
    case 'first_requests':
      r = await pooled(job, job.keys.length, 0, (i) => i, progress);
      break;
    case 'stress':
      r = await pooled(job, job.requests, 4, (_, w) => w, progress);
      break;
  }
  return { ...r, wallMs: msSince(t) };
}
