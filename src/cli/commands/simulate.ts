import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { ClaudeAuthError } from '../../errors.js';
import { action, parsePort, printJson } from '../action.js';

interface SimulateOptions {
  port: string;
  host: string;
  apiKey?: string[];
  tokenTtl?: string;
  latencyMs?: string;
  errorRate?: string;
  rateLimitRate?: string;
  overloadRate?: string;
  seed?: string;
  json?: boolean;
}

function number(value: string, option: string, min: number, max: number, integer = false): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new ClaudeAuthError(
      'usage',
      `${option} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${value}"`,
    );
  }
  return n;
}

const rate = (value: string | undefined, option: string) =>
  value === undefined ? undefined : number(value, option, 0, 1);

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** `claude-auth simulate`: runs the built-in Anthropic API + OAuth 2.0 simulator until interrupted. */
export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      'run the built-in simulator of the Anthropic Messages API and an OAuth 2.0 server on loopback, for tests and demos',
    )
    .option('--port <port>', 'port to listen on (0 = any free port)', '0')
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--api-key <key...>', 'API keys to accept (default: one generated sk-ant-api03-sim-… key)')
    .option('--token-ttl <seconds>', 'lifetime of the OAuth access tokens it issues', '3600')
    .option('--latency-ms <ms>', 'delay added to every route')
    .option('--error-rate <r>', 'fraction 0..1 of /v1 requests answered 500 api_error')
    .option('--rate-limit-rate <r>', 'fraction 0..1 answered 429 rate_limit_error')
    .option('--overload-rate <r>', 'fraction 0..1 answered 529 overloaded_error')
    .option('--seed <n>', 'seed of the fault PRNG (same seed, same faults)', '1')
    .option('--json', 'print {"url","token_url","authorize_url","api_keys"} as one JSON line')
    .action(
      action(async (opts: SimulateOptions) => {
        const port = parsePort(opts.port);
        const accessTokenTtlSeconds = number(opts.tokenTtl ?? '3600', '--token-ttl', 1, 31_536_000);
        const latency =
          opts.latencyMs === undefined ? undefined : number(opts.latencyMs, '--latency-ms', 0, 600_000);
        const errorRate = rate(opts.errorRate, '--error-rate');
        const rateLimitRate = rate(opts.rateLimitRate, '--rate-limit-rate');
        const overloadRate = rate(opts.overloadRate, '--overload-rate');
        const seed = number(opts.seed ?? '1', '--seed', 0, 2 ** 32 - 1, true);
        const apiKeys = opts.apiKey?.length
          ? opts.apiKey
          : [`sk-ant-api03-sim-${randomBytes(16).toString('hex')}`];

        const stopped = untilSignal();
        const { startSimulator } = await import('../../simulator/index.js');
        const sim = await startSimulator({
          host: opts.host,
          port,
          apiKeys,
          accessTokenTtlSeconds,
          seed,
          faults: {
            ...(latency === undefined
              ? {}
              : {
                  latencyMs: {
                    messages: latency,
                    count_tokens: latency,
                    models: latency,
                    token: latency,
                    authorize: latency,
                  },
                }),
            ...(errorRate === undefined ? {} : { errorRate }),
            ...(rateLimitRate === undefined ? {} : { rateLimitRate }),
            ...(overloadRate === undefined ? {} : { overloadRate }),
          },
        }).catch((e: unknown) => {
          throw new ClaudeAuthError(
            'usage',
            `cannot listen on ${opts.host}:${port}: ${(e as Error).message}`,
            {
              hint: 'choose another --port, or --port 0 for any free one',
              cause: e,
            },
          );
        });

        if (opts.json) {
          printJson({
            url: sim.url,
            token_url: sim.tokenUrl,
            authorize_url: sim.authorizeUrl,
            api_keys: apiKeys,
          });
        } else {
          const lines = [
            `simulator listening on ${sim.url}`,
            `  token URL:     ${sim.tokenUrl}`,
            `  authorize URL: ${sim.authorizeUrl}`,
            `  admin:         ${sim.url}/__sim/stats, /__sim/faults`,
            `  API keys:      ${apiKeys.join(', ')}`,
            'press Ctrl-C to stop',
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        await stopped;
        await sim.close();
        return 0;
      }),
    );
}
