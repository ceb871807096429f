import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { claudeAuthHome } from '../paths.js';
import { problemsFromIssues } from './describe.js';
import { ConfigError, shellQuote } from './error.js';
import { type Config, configSchema, defaultConfig } from './schema.js';

export { ConfigError, type ConfigProblem } from './error.js';

/** Options of the config loaders. */
export interface LoadConfigOptions {
  /** Environment that `CLAUDE_AUTH_HOME` is read from (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/** The effective config and the file it came from (null: no file, defaults). */
export interface ConfigSource {
  path: string | null;
  config: Config;
}

/** Where `config.toml` lives for a given environment: `$CLAUDE_AUTH_HOME/config.toml`. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(claudeAuthHome(env), 'config.toml');
}

interface Candidate {
  /** As named in messages: the path the user gave, or the absolute default path. */
  source: string;
  file: string;
  explicit: boolean;
}

function candidate(path: string | undefined, env: NodeJS.ProcessEnv): Candidate {
  if (path !== undefined) return { source: path, file: resolve(path), explicit: true };
  const file = defaultConfigPath(env);
  return { source: file, file, explicit: false };
}

function errnoCode(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/** Returns null when a missing file just means "use the defaults"; throws for anything else. */
function readFailure(c: Candidate, e: unknown, env: NodeJS.ProcessEnv): null {
  const code = errnoCode(e);
  if (code === 'ENOENT' && !c.explicit) return null;
  const where = { source: c.source, file: c.file };
  const fail = (message: string, hint: string): ConfigError =>
    new ConfigError('config_unreadable', where, [{ key: null, message }], hint);
  switch (code) {
    case 'ENOENT':
      throw fail(
        'config file does not exist',
        `Check the path, or leave it out to use ${defaultConfigPath(env)} (or the defaults when that file does not exist).`,
      );
    case 'EACCES':
    case 'EPERM':
      throw fail(
        'config file cannot be read: permission denied',
        `Make it readable: chmod 600 ${shellQuote(c.file)}`,
      );
    case 'EISDIR':
      throw fail('is a directory, not a config file', 'Name the config.toml file itself.');
    default:
      throw fail(
        `config file cannot be read: ${e instanceof Error ? e.message : String(e)}`,
        'Check the file.',
      );
  }
}

/**
 * Parses and validates TOML text. `source` names the file in messages. Throws a ConfigError
 * (`config_invalid`) with `FILE:LINE:COLUMN` for a syntax error, or listing every schema problem.
 */
export function parseConfig(text: string, source: string): Config {
  return parseAt(text, { source, file: null });
}

function parseAt(text: string, where: { source: string; file: string | null }): Config {
  let raw: unknown;
  try {
    raw = parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    // Only the first line: smol-toml appends a code frame, which could show a secret on that line.
    const firstLine = e.message.split('\n', 1)[0]!.replace(/^Invalid TOML document:\s*/, '');
    const problem = { key: null, message: `TOML syntax error: ${firstLine}`, line: e.line, column: e.column };
    const hint = `Fix the TOML syntax at ${where.source}:${e.line}, then run \`claude-auth config check ${shellQuote(where.source)}\`.`;
    throw new ConfigError('config_invalid', where, [problem], hint);
  }
  return validateAt(raw, where);
}

/**
 * Validates an already-parsed config object (what TOML parsing yields) and fills in defaults.
 * Throws a ConfigError (`config_invalid`) listing every problem.
 */
export function validateConfig(input: unknown, source = '<config>'): Config {
  return validateAt(input, { source, file: null });
}

function validateAt(input: unknown, where: { source: string; file: string | null }): Config {
  const result = configSchema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const problems = problemsFromIssues(result.error.issues, input);
  const keys = problems.length === 1 ? 'the key above' : 'the keys above';
  const hint = `Fix ${keys}, or run \`claude-auth config check ${shellQuote(where.source)}\` after editing.`;
  throw new ConfigError('config_invalid', where, problems, hint);
}

/**
 * Finds, reads and validates the config. Lookup order: the explicit `path` (which must exist) →
 * `$CLAUDE_AUTH_HOME/config.toml` if it exists → the defaults. Throws a ConfigError.
 */
export function resolveConfigSync(path?: string, opts: LoadConfigOptions = {}): ConfigSource {
  const env = opts.env ?? process.env;
  const c = candidate(path, env);
  let text: string;
  try {
    text = readFileSync(c.file, 'utf8');
  } catch (e) {
    return readFailure(c, e, env) ?? { path: null, config: defaultConfig() };
  }
  return { path: c.file, config: parseAt(text, c) };
}

/** Like resolveConfigSync, reading the file asynchronously. */
export async function resolveConfig(path?: string, opts: LoadConfigOptions = {}): Promise<ConfigSource> {
  const env = opts.env ?? process.env;
  const c = candidate(path, env);
  let text: string;
  try {
    text = await readFile(c.file, 'utf8');
  } catch (e) {
    return readFailure(c, e, env) ?? { path: null, config: defaultConfig() };
  }
  return { path: c.file, config: parseAt(text, c) };
}

/**
 * The effective config. Lookup order: explicit path (`--config FILE`) →
 * `$CLAUDE_AUTH_HOME/config.toml` if it exists → the specification's defaults. Throws a ConfigError.
 */
export async function loadConfig(path?: string, opts: LoadConfigOptions = {}): Promise<Config> {
  return (await resolveConfig(path, opts)).config;
}

/** Synchronous loadConfig, for the CLI and child processes. */
export function loadConfigSync(path?: string, opts: LoadConfigOptions = {}): Config {
  return resolveConfigSync(path, opts).config;
}
