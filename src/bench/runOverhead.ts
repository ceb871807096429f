/**
 * `npm run bench:run`: what `claude-auth run AGENT -- CMD` adds to starting CMD. Compares, over N
 * launches each, a bare spawn of `true`, `claude-auth run --mode direct -- true` (Node start-up, config,
 * credential, environment, spawn, supervision) and its own in-process overhead from `--verbose`.
 * Env: BENCH_RUNS (default 20). Uses an API key from the environment; nothing leaves the machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'bench-run-'));
const env = { ...process.env, CLAUDE_AUTH_HOME: home, ANTHROPIC_API_KEY: 'sk-ant-api03-bench-not-a-secret' };

function timeMs(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

const bare: number[] = [];
const run: number[] = [];
const inProcess: number[] = [];
for (let i = 0; i < RUNS; i++) {
  bare.push(timeMs(() => spawnSync('true')));
  let stderr = '';
  run.push(
    timeMs(() => {
      stderr = spawnSync(
        process.execPath,
        [CLI, 'run', 'bench', '--mode', 'direct', '--verbose', '--', 'true'],
        { env },
      ).stderr.toString();
    }),
  );
  const m = /start-up overhead (\d+\.\d) ms/.exec(stderr);
  if (m) inProcess.push(Number(m[1]));
}
rmSync(home, { recursive: true, force: true });

console.log(`bench:run — node ${process.version}, ${RUNS} launches each, medians`);
console.log('');
console.log('| launch | wall time |');
console.log('|---|---:|');
console.log(`| bare spawn of \`true\` | ${median(bare).toFixed(1)} ms |`);
console.log(`| \`claude-auth run --mode direct -- true\` | ${median(run).toFixed(1)} ms |`);
console.log(
  `| of which inside claude-auth, from its start to the spawn (--verbose) | ${median(inProcess).toFixed(1)} ms |`,
);
console.log('');
console.log(
  `added per launch: ${(median(run) - median(bare)).toFixed(1)} ms (most of it Node.js start-up and module loading)`,
);
