import type { Command } from 'commander';
import {
  type AgentEnvironment,
  directEnvironment,
  type EnvMode,
  formatEnvironment,
  gatewayEnvironment,
  gatewayUrl,
  parseEnvFormat,
  parseEnvMode,
} from '../../agents/agentEnv.js';
import { issueAgentKey } from '../../agents/agentKeys.js';
import { validateAgentName } from '../../agents/agentName.js';
import { parseDuration } from '../../agents/duration.js';
import { action } from '../action.js';
import { type CliContext, cliContext, withConfigOption } from '../context.js';

export interface AgentEnvOptions {
  mode: EnvMode;
  expiresIn?: string;
}

/**
 * The environment for `agent`. Gateway mode issues a new virtual key (keys are stored hashed, so an
 * existing one cannot be shown again); direct mode fetches the provider's credential, refreshing it
 * safely when needed.
 */
export async function agentEnvironment(
  ctx: CliContext,
  agent: string,
  opts: AgentEnvOptions,
): Promise<AgentEnvironment & { keyId?: string }> {
  validateAgentName(agent);
  if (opts.mode === 'direct') {
    const credential = await ctx.provider().getCredential();
    if (credential.expiresAt !== null) {
      process.stderr.write(
        `claude-auth: note: this ${credential.kind === 'oauth_access_token' ? 'access token' : 'credential'} expires at ${new Date(credential.expiresAt).toISOString()}; gateway mode never hands out an expiring secret.\n`,
      );
    }
    return directEnvironment(ctx.config, credential);
  }
  const state = await ctx.state();
  try {
    const issued = await issueAgentKey(state, agent, {
      ...(opts.expiresIn ? { expiresInMs: parseDuration(opts.expiresIn) } : {}),
    });
    return { ...gatewayEnvironment(gatewayUrl(ctx.config), issued.key), keyId: issued.keyId };
  } finally {
    await state.close();
  }
}

export function registerEnv(program: Command): void {
  withConfigOption(
    program
      .command('env')
      .argument('<agent>', 'the agent name')
      .description(
        "print the environment for an official client: gateway mode (default) points it at the gateway with a new virtual key; direct mode gives the provider's own variables. Conflicting credential variables are unset either way.",
      )
      .option('--format <format>', 'shell (safe to eval), json ({"set","unset"}) or dotenv', 'shell')
      .option('--mode <mode>', 'gateway or direct', 'gateway')
      .option(
        '--expires-in <duration>',
        'gateway mode: the virtual key expires after this long (e.g. 8h); outlive the longest stream',
      ),
  ).action(
    action(
      async (agent: string, opts: { config?: string; format: string; mode: string; expiresIn?: string }) => {
        const format = parseEnvFormat(opts.format);
        const mode = parseEnvMode(opts.mode);
        const ctx = cliContext(opts);
        const { keyId: _keyId, ...env } = await agentEnvironment(ctx, agent, {
          mode,
          ...(opts.expiresIn ? { expiresIn: opts.expiresIn } : {}),
        });
        process.stdout.write(`${formatEnvironment(env, format)}\n`);
        return 0;
      },
    ),
  );
}
