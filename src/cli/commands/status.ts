import type { Command } from 'commander';
import { action, printJson } from '../action.js';
import { cliContext, withConfigOption } from '../context.js';

export function registerStatus(program: Command): void {
  withConfigOption(
    program
      .command('status')
      .description(
        'show the state of the configured credential (never the secret); exit 1 when there is none or it needs a new login',
      )
      .option('--json', 'print {"provider","state","expires_at","last_refresh_at",…} as JSON'),
  ).action(
    action(async (opts: { config?: string; json?: boolean }) => {
      const ctx = cliContext(opts);
      const status = await ctx.provider().status();
      const mode = ctx.store.mode();
      if (opts.json) {
        printJson({
          ...status,
          store: ctx.store.path,
          store_mode: mode === null ? null : `0${mode.toString(8)}`,
        });
      } else {
        const lines = [
          `provider:     ${status.provider}`,
          `state:        ${status.state}`,
          `expires at:   ${status.expires_at ?? '-'}`,
          `last refresh: ${status.last_refresh_at ?? '-'}`,
          `source:       ${status.source ?? '-'}`,
          `store:        ${ctx.store.path}${mode === null ? ' (not created yet)' : ` (mode 0${mode.toString(8)})`}`,
          '',
          status.detail,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      return status.state === 'missing' || status.state === 'reauth_required' ? 1 : 0;
    }),
  );
}
