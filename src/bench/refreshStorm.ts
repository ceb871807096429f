/**
 * `npm run bench:storm`: the refresh storm. N agents (1, 100, 10,000 in one process) and 8
 * processes need a token at the moment one rotating refresh token has expired, against the
 * simulator's strict single-use rotation with reuse detection (a spent refresh token presented
 * again revokes the whole family). Coordinated: claude-auth (one manager for the in-process agents;
 * `claude-auth print-token` per process, sharing CLAUDE_AUTH_HOME and its store lock). Naive: every
 * agent or process runs its own refresh_token grant with the token it holds, as independent
 * sessions do. Every figure printed is measured in this run.
 *
 * Env: STORM_SIZES (default "1,100,10000"), STORM_PROCESSES (default 8), `--json` for raw results.
 */
import { startSimulator } from '../simulator/index.js';
import { runStormCase, type StormCase, type StormResult } from './refreshStormCases.js';
import { startupOf } from './refreshStormProcesses.js';

const SIZES = (process.env.STORM_SIZES ?? '1,100,10000').split(',').map(Number);
const PROCESSES = Number(process.env.STORM_PROCESSES ?? 8);

const cases: StormCase[] = [];
for (const agents of SIZES) {
  cases.push({ agents, shape: 'in_process', strategy: 'coordinated' });
  cases.push({ agents, shape: 'in_process', strategy: 'naive' });
}
cases.push({ agents: PROCESSES, shape: 'processes', strategy: 'coordinated' });
cases.push({ agents: PROCESSES, shape: 'processes', strategy: 'naive' });

const sim = await startSimulator({ accessTokenTtlSeconds: 3600 });
const results: StormResult[] = [];
let startupMs = 0;
try {
  // warm-up, not printed: the first refresh in a process pays for loading and compiling its modules
  await runStormCase(sim, { agents: 1, shape: 'in_process', strategy: 'coordinated' });
  await runStormCase(sim, { agents: 1, shape: 'in_process', strategy: 'naive' });
  startupMs = await startupOf(PROCESSES);
  for (const c of cases) {
    results.push(await runStormCase(sim, c));
    process.stderr.write(`bench:storm: ${c.agents} ${c.shape} ${c.strategy} done\n`);
  }
} finally {
  await sim.close();
}

const who = (r: StormResult) =>
  r.shape === 'processes'
    ? `${r.agents} processes, ${r.strategy === 'coordinated' ? '`claude-auth print-token` each' : 'naive script each'}`
    : `${r.agents.toLocaleString('en-US')} agent${r.agents === 1 ? '' : 's'} in one process`;

console.log(`bench:storm — node ${process.version}, simulator with strict single-use refresh token rotation`);
console.log('');
console.log(
  '| agents | strategy | refresh grants | invalid_grant | reuse detections | agents left with a valid token | time |',
);
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${who(r)} | ${r.strategy === 'coordinated' ? 'claude-auth (coordinated)' : 'each refreshes itself (naive)'} | ${r.grants} | ${r.invalidGrant.toLocaleString('en-US')} | ${r.reuseDetections} | ${r.agentsWithValidToken.toLocaleString('en-US')} / ${r.agents.toLocaleString('en-US')} | ${r.ms} ms |`,
  );
}
console.log('');
console.log(
  'time, until the last agent has its answer: in one process, from the first request; claude-auth processes, from spawning them (Node start-up included); naive processes, from the moment the token expired (all running and holding it).',
);
console.log(
  `for reference, ${PROCESSES} \`claude-auth --version\` started at once take ${startupMs} ms until the last exits (Node start-up and module loading on this machine).`,
);
if (process.argv.includes('--json')) console.log(JSON.stringify(results));
