import type { Command } from 'commander';
import type { App } from '../../app.js';
import { createLogger } from '../../log.js';
import { action, parsePort } from '../action.js';
import { cliContext, withConfigOption } from '../context.js';

interface ServeOptions {
  config?: string;
  host?: string;
  port?: string;
  simulate?: boolean;
  drainSeconds: string;
}

export function registerServe(program: Command): void {
  withConfigOption(
    program
      .command('serve')
      .description(
        'run the gateway and its dashboard: agents point ANTHROPIC_BASE_URL at it and present a virtual key; the real credential never leaves it',
      )
      .option(
        '--host <host>',
        'address to bind (default [gateway] host, 127.0.0.1); anything but loopback needs an admin token',
      )
      .option('--port <port>', 'port (default [gateway] port, 8787; 0 picks a free one)')
      .option('--simulate', 'run against the built-in simulator (no key needed), with state of its own')
      .option('--drain-seconds <s>', 'on SIGINT/SIGTERM, wait this long for requests in flight', '10'),
  ).action(
    action(async (opts: ServeOptions) => {
      const ctx = cliContext(opts);
      // loaded on use: the gateway's modules are most of the CLI's start-up time
      const { startApp } = await import('../../app.js');
      const app = await startApp({
        config: ctx.config,
        home: ctx.home,
        ...(opts.host ? { host: opts.host } : {}),
        ...(opts.port !== undefined ? { port: parsePort(opts.port) } : {}),
        ...(opts.simulate ? { simulate: true } : {}),
        log: createLogger(process.env.CLAUDE_AUTH_LOG_LEVEL),
      });
      await announce(app, ctx.config.auth.provider, opts.simulate === true);
      return waitForSignal(app, Number(opts.drainSeconds) * 1000);
    }),
  );
}

async function announce(app: App, configuredProvider: string, simulate: boolean): Promise<void> {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`claude-auth gateway listening on ${app.url}`);
  out(`  dashboard:  ${app.url}/`);
  out(`  agents use: ANTHROPIC_BASE_URL=${app.url} and a virtual key as ANTHROPIC_API_KEY`);
  out(`  probes:     ${app.url}/healthz  ${app.url}/readyz  ${app.url}/metrics`);
  if (simulate && app.simulator) {
    out('');
    out(`simulate mode: upstream and token endpoint are the built-in simulator at ${app.simulator.url}`);
    out('  try it:');
    out(
      `    curl -s ${app.url}/v1/messages -H 'x-api-key: ${app.demoKey}' -H 'anthropic-version: 2023-06-01' \\`,
    );
    out(
      `      -H 'content-type: application/json' -d '{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hello"}]}'`,
    );
    out('  (that key belongs to the agent "demo" in the simulator\'s own state; it works only in this mode)');
  }
  const ready = await app.manager.ready(3000);
  const status = await app.manager.status();
  out('');
  out(
    `credential: provider ${simulate ? 'oauth2 (simulator)' : configuredProvider}, ${status.state}${ready.ready ? ', ready' : ''}`,
  );
  if (!ready.ready) {
    out(`  not ready: ${ready.reason}`);
    if (ready.hint) out(`  ${ready.hint}`);
    out('  The gateway runs anyway and answers agents with a clear error until a credential is added.');
  }
  out('');
  out(
    'add an agent:  claude-auth agent add NAME    then:  eval "$(claude-auth env NAME)"  (or: claude-auth run NAME -- claude …)',
  );
  out('stop: Ctrl-C (requests in flight are drained first)');
}

function waitForSignal(app: App, drainMs: number): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`claude-auth: ${signal} again: stopping now\n`);
        process.exit(1);
      }
      stopping = true;
      process.stderr.write(
        `claude-auth: ${signal}: draining requests in flight (up to ${drainMs / 1000} s), then stopping\n`,
      );
      app.close(drainMs).then(
        () => resolve(0),
        (e: unknown) => {
          process.stderr.write(`claude-auth: error while stopping: ${(e as Error).message}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
