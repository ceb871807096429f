import type { Command } from 'commander';
import { ClaudeAuthError } from '../../errors.js';
import { action } from '../action.js';
import { cliContext, withConfigOption } from '../context.js';

export function registerPrintToken(program: Command): void {
  withConfigOption(
    program
      .command('print-token')
      .description(
        "print a currently valid credential on stdout, refreshing it safely first when needed; usable as Claude Code's apiKeyHelper",
      )
      .option('--force-refresh', 'refresh even if the stored token is still valid'),
  ).action(
    action(async (opts: { config?: string; forceRefresh?: boolean }) => {
      const ctx = cliContext(opts);
      const credential = await ctx.provider().getCredential({ forceRefresh: opts.forceRefresh === true });
      if (credential.kind === 'claude_code_oauth') {
        throw new ClaudeAuthError(
          'policy_violation',
          'print-token does not print a Claude subscription token',
          {
            hint: 'It is only handed to official `claude` agents as CLAUDE_CODE_OAUTH_TOKEN: use `claude-auth env AGENT --mode direct` or `claude-auth run AGENT -- claude …`.',
          },
        );
      }
      process.stdout.write(`${credential.secret}\n`);
      return 0;
    }),
  );
}
