/**
 * `npm run bench:alerts`: how fast an alert follows trouble, end to end. The gateway runs as
 * `claude-auth serve --simulate` composes it; a client sends steady traffic; the simulator starts
 * answering 429; an SSE reader on /api/events waits for `alert.firing`. Printed per run: the time
 * from the first throttled answer reaching the client to the alert reaching the SSE reader.
 * Env: BENCH_RUNS (default 5). Loopback only; bounded in count and time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { startApp } from '../app.js';
import { defaultConfig } from '../config/schema.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BODY = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 8,
  messages: [{ role: 'user', content: 'hi' }],
});

async function oneRun(): Promise<{ visibleMs: number; throttledSent: number }> {
  const home = mkdtempSync(join(tmpdir(), 'bench-alerts-'));
  const app = await startApp({ config: defaultConfig(), home, simulate: true, port: 0 });
  const dispatcher = new Agent({ connections: 4 });
  try {
    const sim = app.simulator as NonNullable<typeof app.simulator>;
    let requestEndedAt = 0;
    const send = async () => {
      const r = await request(`${app.url}/v1/messages`, {
        method: 'POST',
        dispatcher,
        headers: {
          'x-api-key': app.demoKey as string,
          'content-type': 'application/json',
          'anthropic-version': '2023-06-01',
        },
        body: BODY,
      });
      await r.body.dump();
      requestEndedAt = performance.now();
      return r.statusCode;
    };
    for (let i = 0; i < 40; i++) await send(); // healthy traffic first
    // the SSE reader
    const sse = await request(`${app.url}/api/events`, { dispatcher });
    let visibleAt = 0;
    const reading = (async () => {
      for await (const chunk of sse.body) {
        if (String(chunk).includes('event: alert.firing')) {
          visibleAt = performance.now();
          break;
        }
      }
    })();
    sim.setFaults({ rateLimitRate: 1 });
    let firstThrottledAt = 0;
    let throttledSent = 0;
    const deadline = Date.now() + 20_000;
    while (visibleAt === 0 && Date.now() < deadline && throttledSent < 2000) {
      const status = await send();
      if (status === 429) {
        throttledSent++;
        if (firstThrottledAt === 0) firstThrottledAt = requestEndedAt;
      }
    }
    sse.body.destroy();
    await reading.catch(() => undefined);
    if (visibleAt === 0) throw new Error('no alert within 20 s');
    return { visibleMs: visibleAt - firstThrottledAt, throttledSent };
  } finally {
    await dispatcher.close();
    await app.close(0);
    rmSync(home, { recursive: true, force: true });
  }
}

const runs: Awaited<ReturnType<typeof oneRun>>[] = [];
for (let i = 0; i < RUNS; i++) runs.push(await oneRun());
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
console.log(
  `bench:alerts — node ${process.version}, ${RUNS} runs, default [performance.monitoring] (breach count 3)`,
);
console.log('');
console.log(
  '| run | throttled answers before the alert | first 429 at the client → alert.firing on /api/events |',
);
console.log('|---:|---:|---:|');
runs.forEach((r, i) => {
  console.log(`| ${i + 1} | ${r.throttledSent} | ${r.visibleMs.toFixed(1)} ms |`);
});
console.log('');
console.log(
  `median: ${median(runs.map((r) => r.visibleMs)).toFixed(1)} ms from the first throttled answer to the alert on the event stream`,
);
