import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { applyEnvironment, gatewayUrl, parseEnvMode } from '../../agents/agentEnv.js';
import { revokeAgentKeys } from '../../agents/agentKeys.js';
import { launch } from '../../agents/launcher.js';
import { ClaudeAuthError } from '../../errors.js';
import { action } from '../action.js';
import { cliContext, withConfigOption } from '../context.js';
import { agentEnvironment } from './env.js';

interface RunOptions {
  config?: string;
  mode: string;
  enforce?: boolean;
  verbose?: boolean;
  sampleMs: string;
}

/** Tells a running gateway about the agent's process (best effort: the agent runs either way). */
async function report(base: string, agent: string, body: Record<string, unknown>): Promise<void> {
  try {
    const { request } = await import('undici');
    const r = await request(`${base}/api/agents/${encodeURIComponent(agent)}/process`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      headersTimeout: 1000,
      bodyTimeout: 1000,
    });
    await r.body.dump();
  } catch {
    // the gateway is optional for reporting
  }
}

async function assertGatewayUp(base: string): Promise<void> {
  try {
    const { request } = await import('undici');
    const r = await request(`${base}/healthz`, { headersTimeout: 2000, bodyTimeout: 2000 });
    await r.body.dump();
    if (r.statusCode === 200) return;
  } catch {
    // fall through
  }
  throw new ClaudeAuthError('gateway_unavailable', `no claude-auth gateway answers at ${base}`, {
    hint: 'Start it with `claude-auth serve` (or `npm start`), or run the agent with `--mode direct`.',
  });
}

export function registerRun(program: Command): void {
  withConfigOption(
    program
      .command('run')
      .argument('<agent>', 'the agent name')
      .argument('<command...>', 'the command to run, after --')
      .description(
        "run an agent command with its environment (gateway mode: a virtual key of its own, revoked when it exits); forwards signals, exits with the command's status, tracks the memory and CPU of its process tree",
      )
      .option('--mode <mode>', 'gateway or direct', 'gateway')
      .option('--enforce', 'stop the agent when its process tree goes over max_agent_memory_mb')
      .option('--sample-ms <ms>', 'how often memory is sampled', '1000')
      .option('--verbose', 'print start-up overhead and resource use on stderr'),
  ).action(
    action(async (agent: string, commandLine: string[], opts: RunOptions) => {
      const t0 = performance.now();
      const mode = parseEnvMode(opts.mode);
      const ctx = cliContext(opts);
      const base = gatewayUrl(ctx.config);
      if (mode === 'gateway') await assertGatewayUp(base);
      const env = await agentEnvironment(ctx, agent, { mode });
      const [command, ...args] = commandLine as [string, ...string[]];
      const limitMb = ctx.config.performance.memory.max_agent_memory_mb;
      const say = (text: string) => process.stderr.write(`claude-auth run: ${text}\n`);
      let spawnedAt = 0;
      const result = await launch({
        command,
        args,
        env: applyEnvironment(process.env, env),
        limitMb,
        enforce: opts.enforce === true,
        sampleMs: Number(opts.sampleMs) > 0 ? Number(opts.sampleMs) : 1000,
        onSpawn: (pid) => {
          spawnedAt = performance.now();
          if (opts.verbose)
            say(`started ${command} (pid ${pid}) ${(spawnedAt - t0).toFixed(1)} ms after this command began`);
          if (mode === 'gateway') void report(base, agent, { pid, state: 'running' });
        },
        onSample: (s) => {
          if (mode === 'gateway')
            void report(base, agent, { pid: s.pids[0], rss_mb: s.rssBytes / 1048576, cpu_ms: s.cpuMs });
        },
        onOverLimit: (rssMb, enforced) =>
          say(
            `agent ${agent} uses ${rssMb.toFixed(1)} MB, above max_agent_memory_mb (${limitMb} MB)${enforced ? '; stopping it (--enforce)' : ''}`,
          ),
      });
      if (mode === 'gateway') {
        await report(base, agent, { state: 'exited', exit_code: result.exitCode });
        if (env.keyId) {
          const state = await ctx.state();
          try {
            await revokeAgentKeys(state, agent, { keyId: env.keyId });
          } finally {
            await state.close();
          }
        }
      }
      if (opts.verbose) {
        say(
          `${command} exited with ${result.exitCode}${result.signal ? ` (${result.signal})` : ''}; ` +
            `peak RSS ${result.peakRssMb === null ? 'not sampled' : `${result.peakRssMb.toFixed(1)} MB`}, ` +
            `CPU ${result.cpuMs === null ? 'not sampled' : `${result.cpuMs} ms`}, start-up overhead ${(spawnedAt - t0).toFixed(1)} ms`,
        );
      }
      if (result.stoppedForMemory)
        say(`stopped agent ${agent}: it went over max_agent_memory_mb (${limitMb} MB)`);
      return result.exitCode;
    }),
  );
}
