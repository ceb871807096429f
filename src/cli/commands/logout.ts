import type { Command } from 'commander';
import { PROVIDERS, type ProviderName } from '../../config/schema.js';
import { oauthEntryId, type StoreData } from '../../credentials/store.js';
import { ClaudeAuthError } from '../../errors.js';
import { action, printJson } from '../action.js';
import { type CliContext, cliContext, withConfigOption } from '../context.js';

interface LogoutOptions {
  config?: string;
  provider?: string;
  all?: boolean;
  json?: boolean;
}

export function registerLogout(program: Command): void {
  withConfigOption(
    program
      .command('logout')
      .description(
        'remove the stored credential of the configured provider (or --provider, or --all); fields claude-auth does not know are kept',
      )
      .option('--provider <name>', `one of ${PROVIDERS.join(', ')} (default: [auth] provider)`)
      .option('--all', 'remove every credential claude-auth stored')
      .option('--json', 'print the result as JSON'),
  ).action(
    action(async (opts: LogoutOptions) => {
      const ctx = cliContext(opts);
      const provider = opts.provider ?? ctx.config.auth.provider;
      if (!opts.all && !(PROVIDERS as readonly string[]).includes(provider)) {
        throw new ClaudeAuthError(
          'usage',
          `--provider must be one of ${PROVIDERS.join(', ')}, got "${provider}"`,
        );
      }
      const removed = await ctx.store.update((d) =>
        opts.all
          ? PROVIDERS.filter((p) => remove(ctx, d, p))
          : remove(ctx, d, provider as ProviderName)
            ? [provider]
            : [],
      );
      if (opts.json) printJson({ removed });
      else
        process.stdout.write(
          removed.length
            ? `Removed the stored ${removed.join(', ')} credential(s) from ${ctx.store.path}.\n`
            : 'Nothing was stored; nothing to remove.\n',
        );
      return 0;
    }),
  );
}

function remove(ctx: CliContext, d: StoreData, provider: ProviderName): boolean {
  switch (provider) {
    case 'api_key':
      return deleted(d, 'api_key');
    case 'claude_code_token':
      return deleted(d, 'claude_code_token');
    case 'helper':
      return false;
    case 'oauth2': {
      const { token_url, client_id } = ctx.config.auth.oauth2;
      const entries = d.oauth2 ?? {};
      const ids = token_url && client_id ? [oauthEntryId(token_url, client_id)] : [];
      if (ctx.config.auth.provider !== 'oauth2' || ids.length === 0) ids.push(...Object.keys(entries));
      let any = false;
      for (const id of ids) if (id in entries) any = delete entries[id];
      if (d.oauth2 && Object.keys(d.oauth2).length === 0) delete d.oauth2;
      return any;
    }
  }
}

function deleted(d: StoreData, field: 'api_key' | 'claude_code_token'): boolean {
  if (d[field] === undefined) return false;
  delete d[field];
  return true;
}
