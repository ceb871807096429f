import type { Command } from 'commander';
import { loadConfigSync } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createProvider } from '../credentials/index.js';
import { CredentialStore } from '../credentials/store.js';
import type { CredentialProvider } from '../credentials/types.js';
import { createLogger } from '../log.js';
import { claudeAuthHome } from '../paths.js';
import type { StateStore } from '../state/types.js';

/** What most commands need: the effective config, the state directory and the credential store. */
export interface CliContext {
  config: Config;
  home: string;
  store: CredentialStore;
  provider(): CredentialProvider;
  /** Opens the state store named by `[state] url` (agent keys, sessions). The caller closes it. */
  state(): Promise<StateStore>;
}

/** Adds the `--config FILE` option every config-reading command takes. */
export function withConfigOption(cmd: Command): Command {
  return cmd.option(
    '--config <file>',
    'config file (default: $CLAUDE_AUTH_HOME/config.toml, else built-in defaults)',
  );
}

export function cliContext(options: { config?: string }, env: NodeJS.ProcessEnv = process.env): CliContext {
  const config = loadConfigSync(options.config, { env });
  const home = claudeAuthHome(env);
  const store = new CredentialStore(home);
  const log = createLogger(env.CLAUDE_AUTH_LOG_LEVEL);
  return {
    config,
    home,
    store,
    provider: () => createProvider(config, { home, env, store, log }),
    state: async () => (await import('../state/open.js')).openStateStore(config, home),
  };
}

/** Reads a secret piped on stdin (first non-empty line, trimmed). */
export async function readSecretFromStdin(what: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(`Paste the ${what}, then press Enter and Ctrl-D:\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return (
    Buffer.concat(chunks)
      .toString('utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}
