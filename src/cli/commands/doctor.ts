import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { action, printJson } from '../action.js';
import { withConfigOption } from '../context.js';

type Verdict = 'ok' | 'warn' | 'fail';

interface Check {
  name: string;
  verdict: Verdict;
  detail: string;
}

function mode(path: string): number | null {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return null;
  }
}

/** Runs every check; none throws: a failure is a row saying what is wrong and what to do. */
async function runChecks(configPath: string | undefined, env: NodeJS.ProcessEnv): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (name: string, verdict: Verdict, detail: string) => checks.push({ name, verdict, detail });

  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  add(
    'node',
    major > 20 || (major === 20 && minor >= 18) ? 'ok' : 'fail',
    `Node.js ${process.versions.node} (needs ≥ 20.18)`,
  );

  let ctx: Awaited<ReturnType<typeof import('../context.js')['cliContext']>> | null = null;
  try {
    const { cliContext } = await import('../context.js');
    ctx = cliContext(configPath === undefined ? {} : { config: configPath }, env);
    add('config', 'ok', configPath ?? 'valid (or defaults)');
  } catch (e) {
    add('config', 'fail', (e as Error).message);
  }
  if (ctx === null) return checks;

  const homeMode = mode(ctx.home);
  add(
    'home',
    homeMode === null ? 'warn' : homeMode === 0o700 ? 'ok' : 'fail',
    homeMode === null
      ? `${ctx.home} does not exist yet (created on first use)`
      : `${ctx.home} is 0${homeMode.toString(8)}${homeMode === 0o700 ? '' : `: run chmod 700 ${ctx.home}`}`,
  );
  const storeMode = ctx.store.mode();
  add(
    'credential store',
    storeMode === null ? 'warn' : storeMode === 0o600 ? 'ok' : 'fail',
    storeMode === null
      ? 'no credentials.json yet'
      : `${ctx.store.path} is 0${storeMode.toString(8)}${storeMode === 0o600 ? '' : `: run chmod 600 ${ctx.store.path}`}`,
  );
  try {
    ctx.store.read();
  } catch (e) {
    add('credential store contents', 'fail', (e as Error).message);
  }

  try {
    const status = await ctx.provider().status();
    const verdict: Verdict =
      status.state === 'valid' || status.state === 'expiring'
        ? 'ok'
        : status.state === 'expired'
          ? 'warn'
          : 'fail';
    add('credential', verdict, `${status.provider}: ${status.state} — ${status.detail}`);
  } catch (e) {
    add('credential', 'fail', (e as Error).message);
  }

  try {
    const state = await ctx.state();
    const keys = await state.listKeys({ includeRevoked: false });
    add('state', 'ok', `${state.location}: ${keys.length} active virtual key(s)`);
    await state.close();
  } catch (e) {
    add('state', 'fail', (e as Error).message);
  }

  for (const name of ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN']) {
    if (env[name]) {
      add(
        `stray ${name}`,
        'warn',
        `${name} is set in this shell: official clients started from here use it instead of what claude-auth hands them unless you use \`claude-auth env\`/\`run\` (which unset it)`,
      );
    }
  }

  const { gatewayUrl } = await import('../../agents/agentEnv.js');
  const base = gatewayUrl(ctx.config);
  try {
    const { request } = await import('undici');
    const r = await request(`${base}/readyz`, { headersTimeout: 1500, bodyTimeout: 1500 });
    const body = (await r.body.json()) as { status?: string; reason?: string };
    add(
      'gateway',
      r.statusCode === 200 ? 'ok' : 'warn',
      `${base}: ${body.status ?? r.statusCode}${body.reason ? ` (${body.reason})` : ''}`,
    );
  } catch {
    add(
      'gateway',
      'warn',
      `nothing answers at ${base}: start it with \`claude-auth serve\` (only needed for gateway mode)`,
    );
  }
  return checks;
}

export function registerDoctor(program: Command): void {
  withConfigOption(
    program
      .command('doctor')
      .description(
        'check the installation, config, state directory, credential and gateway; exit 1 if anything fails',
      )
      .option('--json', 'print the checks as JSON'),
  ).action(
    action(async (opts: { config?: string; json?: boolean }) => {
      const checks = await runChecks(opts.config, process.env);
      if (opts.json) printJson({ checks });
      else {
        const mark = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
        for (const c of checks)
          process.stdout.write(`${mark[c.verdict]}  ${c.name.padEnd(26)} ${c.detail}\n`);
      }
      return checks.some((c) => c.verdict === 'fail') ? 1 : 0;
    }),
  );
}
