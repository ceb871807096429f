import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { stringify } from 'smol-toml';
import { ConfigError, shellQuote } from '../../config/error.js';
import { defaultConfigPath, resolveConfigSync } from '../../config/load.js';
import { maskSecrets } from '../../config/mask.js';
import type { Config } from '../../config/schema.js';
import { action, printJson } from '../action.js';

interface CheckOptions {
  json?: boolean;
}

/** A config file holding a secret should be readable by its owner only. */
function permissionWarnings(file: string | null, config: Config): string[] {
  if (file === null || config.auth.api_key === undefined) return [];
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) === 0) return [];
  const octal = mode.toString(8).padStart(4, '0');
  return [
    `${file} holds auth.api_key and is readable by other users (mode ${octal}); run chmod 600 ${shellQuote(file)}`,
  ];
}

function check(file: string | undefined, opts: CheckOptions): number {
  let path: string | null;
  let config: Config;
  try {
    ({ path, config } = resolveConfigSync(file));
  } catch (e) {
    if (!(opts.json && e instanceof ConfigError)) throw e;
    printJson({ source: e.file, errors: e.problems });
    return e.kind.exit;
  }
  const warnings = permissionWarnings(path, config);
  for (const w of warnings) process.stderr.write(`claude-auth: warning: ${w}\n`);
  const masked = maskSecrets(config);
  if (opts.json) {
    printJson({ source: path, config: masked, warnings });
    return 0;
  }
  // Comments keep stdout valid TOML, so it can be redirected into a file and edited.
  const header =
    path === null
      ? `# no config file; using defaults (create ${defaultConfigPath()} to change them)\n`
      : `# config file: ${path} (valid)\n`;
  process.stdout.write(
    `${header}# effective config: defaults filled in, secrets masked\n\n${stringify(masked)}`,
  );
  return 0;
}

/** Adds `claude-auth config check [FILE] [--json]`. */
export function registerConfig(program: Command): void {
  const config = program.command('config').description('inspect and validate the config file');
  config
    .command('check')
    .argument('[file]', 'config file (default: $CLAUDE_AUTH_HOME/config.toml, else built-in defaults)')
    .description('validate the config and print the effective config with secrets masked')
    .option('--json', 'print {"source", "config"} (or {"source", "errors"}) as JSON')
    .addHelpText(
      'after',
      '\nExit status: 0 valid, 2 invalid or unreadable. Every problem is listed as FILE: KEY: problem.\nKeys, defaults and units: docs/config.md',
    )
    .action(action((file: string | undefined, opts: CheckOptions) => check(file, opts)));
}
