import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  BENCH_REAL_KEY,
  BENCH_VIRTUAL_KEY,
  type CpuResult,
  type LoadJob,
  type LoadResult,
} from './gatewayProtocol.js';

/**
 * `npm run bench:gateway`: the simulator, a minimal undici `pool.stream` proxy (the baseline), our
 * gateway and the load generator, each in its own process, so the CPU each proxy spends per request
 * is its own. For JSON and 20-event SSE: autocannon throughput at c connections, proxy CPU per
 * request, added latency from a sequential probe (through minus direct), and upstream connection
 * reuse. Every figure printed is measured in this run.
 *
 * The machine is shared (2 cores, other work running), so each cell is measured BENCH_ROUNDS times
 * in interleaved order and the median is printed. Load runs send a fixed number of requests (about
 * BENCH_DURATION_S seconds' worth, from a warm-up) so that no request is cut off at the end: a cut
 * request aborts its upstream request, which on HTTP/1.1 closes that connection.
 *
 * Env: BENCH_DURATION_S (default 3 per cell and round), BENCH_ROUNDS (3), BENCH_CONNECTIONS (50),
 * BENCH_PROBE_N (2000); `--json` prints the raw results as JSON too.
 */

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PROBE_N = Number(process.env.BENCH_PROBE_N ?? 2000);
const WARMUP_REQUESTS = 3000;

type Target = 'direct' | 'baseline' | 'gateway';
type Mode = 'json' | 'sse20';

/** One row of the table: medians over the rounds. */
interface Cell {
  target: Target;
  mode: Mode;
  rps: number;
  non2xx: number;
  errors: number;
  cpuUsPerRequest: number | null;
  addedP50us: number | null;
  addedP99us: number | null;
}

/** One measurement of one cell. */
interface Sample {
  rps: number;
  non2xx: number;
  errors: number;
  cpuUsPerRequest: number | null;
  addedP50us: number | null;
  addedP99us: number | null;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const childFile = fileURLToPath(
  new URL(`./gatewayChild${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);
const execArgv = import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : [];
const children: ChildProcess[] = [];

/** Forks a role and waits for its `ready` message. */
function start(role: string, ...args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(childFile, [role, ...args], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
    child.once('message', (m: { type: string; url: string }) => resolve({ child, url: m.url }));
  });
}

/** Sends a message and resolves with the next reply. */
function ask<T>(child: ChildProcess, msg: object): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (m: { type: string; result?: T; message?: string }) => {
      if (m.type === 'error') reject(new Error(m.message));
      else resolve(m.result as T);
    });
    child.send(msg);
  });
}

function body(mode: Mode): string {
  return JSON.stringify({
    model: 'claude-sonnet-4-5-20250929',
    max_tokens: 256,
    stream: mode === 'sse20',
    messages: [{ role: 'user', content: 'Write one short sentence about connection pooling.' }],
  });
}

function headers(target: Target, mode: Mode): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': 'application/json',
    'anthropic-version': '2023-06-01',
    'x-api-key': target === 'gateway' ? BENCH_VIRTUAL_KEY : BENCH_REAL_KEY,
  };
  if (mode === 'sse20') h['x-sim-deltas'] = '20';
  return h;
}

const fmt = (n: number | null, digits = 0): string => (n === null ? '—' : n.toFixed(digits));

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const sim = await start('sim');
  const baseline = await start('baseline', sim.url);
  const gateway = await start('gateway', sim.url);
  const load = await start('load');
  const urls: Record<Target, string> = { direct: sim.url, baseline: baseline.url, gateway: gateway.url };
  const proxies: Partial<Record<Target, ChildProcess>> = { baseline: baseline.child, gateway: gateway.child };
  console.error(
    `bench:gateway: ~${DURATION_S}s per cell × ${ROUNDS} rounds (medians), c=${CONNECTIONS}, probe ${PROBE_N} sequential requests, 127.0.0.1`,
  );

  const modes = (process.env.BENCH_MODES ?? 'json,sse20').split(',') as Mode[];
  const targets: Target[] = ['direct', 'baseline', 'gateway'];
  const job = (target: Target, mode: Mode, amount: number): LoadJob => ({
    type: 'cannon',
    url: urls[target],
    headers: headers(target, mode),
    body: body(mode),
    amount,
    durationS: DURATION_S,
    connections: CONNECTIONS,
    probeN: PROBE_N,
  });

  // Warm-up: JIT, upstream pools filled, and a throughput estimate to size the measured runs.
  const amounts = new Map<string, number>();
  for (const mode of modes) {
    for (const target of targets) {
      const w = await ask<LoadResult>(load.child, job(target, mode, WARMUP_REQUESTS));
      amounts.set(`${target}/${mode}`, Math.max(500, Math.round(w.rps * DURATION_S)));
    }
  }

  const samples = new Map<string, Sample[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of modes) {
      // rotate the order each round so no target always runs first or last
      const order = targets.map((_, i) => targets[(i + round) % targets.length] as Target);
      for (const target of order) {
        const j = job(target, mode, amounts.get(`${target}/${mode}`) as number);
        const proxy = proxies[target];
        if (proxy !== undefined) await ask(proxy, { type: 'start-cpu' });
        const c = await ask<LoadResult>(load.child, j);
        const cpu = proxy === undefined ? null : await ask<CpuResult>(proxy, { type: 'stop-cpu' });
        const p =
          target === 'direct'
            ? null
            : await ask<LoadResult>(load.child, {
                ...j,
                type: 'probe',
                direct: { url: urls.direct, headers: headers('direct', mode) },
              });
        const key = `${target}/${mode}`;
        const list = samples.get(key) ?? [];
        list.push({
          rps: c.rps,
          non2xx: c.non2xx,
          errors: c.errors,
          cpuUsPerRequest: cpu === null || cpu.served === 0 ? null : cpu.cpuUs / cpu.served,
          addedP50us: p === null ? null : p.p50us - (p.directP50us ?? 0),
          addedP99us: p === null ? null : p.p99us - (p.directP99us ?? 0),
        });
        samples.set(key, list);
        console.error(
          `  round ${round + 1} ${mode} ${target}: ${c.rps.toFixed(0)} req/s` +
            (cpu === null ? '' : `, ${(cpu.cpuUs / cpu.served).toFixed(1)} µs CPU/req`),
        );
      }
    }
  }

  const cells: Cell[] = [];
  for (const mode of modes) {
    for (const target of targets) {
      const list = samples.get(`${target}/${mode}`) ?? [];
      const cpus = list.map((x) => x.cpuUsPerRequest).filter((x): x is number => x !== null);
      cells.push({
        target,
        mode,
        rps: median(list.map((x) => x.rps)),
        non2xx: list.reduce((n, x) => n + x.non2xx, 0),
        errors: list.reduce((n, x) => n + x.errors, 0),
        cpuUsPerRequest: cpus.length === 0 ? null : median(cpus),
        addedP50us: target === 'direct' ? null : median(list.map((x) => x.addedP50us ?? 0)),
        addedP99us: target === 'direct' ? null : median(list.map((x) => x.addedP99us ?? 0)),
      });
    }
  }
  const reuse: Partial<Record<Target, CpuResult>> = {
    baseline: await ask<CpuResult>(baseline.child, { type: 'stop-cpu' }),
    gateway: await ask<CpuResult>(gateway.child, { type: 'stop-cpu' }),
  };

  const rows = [
    ['mode', 'target', 'req/s', 'vs direct', 'proxy CPU µs/req', 'added p50 µs', 'added p99 µs', 'reuse'],
  ];
  for (const c of cells) {
    const direct = cells.find((x) => x.target === 'direct' && x.mode === c.mode) as Cell;
    const r = reuse[c.target];
    rows.push([
      c.mode,
      c.target,
      fmt(c.rps),
      `${(c.rps / direct.rps).toFixed(2)}×`,
      fmt(c.cpuUsPerRequest, 1),
      fmt(c.addedP50us),
      fmt(c.addedP99us),
      r === undefined ? '—' : `${((1 - r.poolOpened / r.poolRequests) * 100).toFixed(3)}%`,
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  for (const row of rows) console.log(row.map((v, i) => v.padStart(widths[i] ?? 0)).join('  '));
  for (const mode of modes) {
    const g = cells.find((x) => x.target === 'gateway' && x.mode === mode)?.cpuUsPerRequest ?? null;
    const b = cells.find((x) => x.target === 'baseline' && x.mode === mode)?.cpuUsPerRequest ?? null;
    if (g !== null && b !== null) {
      console.log(
        `${mode}: gateway CPU per request = ${(g / b).toFixed(2)}× the baseline proxy (target ≤ 1.25×)`,
      );
    }
  }
  const bad = cells.filter((c) => c.non2xx > 0 || c.errors > 0);
  for (const c of bad) console.log(`WARNING ${c.mode} ${c.target}: ${c.non2xx} non-2xx, ${c.errors} errors`);
  if (json) {
    const raw = Object.fromEntries(samples);
    const out = { durationS: DURATION_S, rounds: ROUNDS, connections: CONNECTIONS, cells, reuse, raw };
    console.log(JSON.stringify(out, null, 2));
  }
}

main()
  .catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill();
  });
