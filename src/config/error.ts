import { ClaudeAuthError } from '../errors.js';

/** One thing wrong with a config file. */
export interface ConfigProblem {
  /** Dotted key path (`performance.cache.max_size`), or null for problems not tied to a key. */
  readonly key: string | null;
  /** What is wrong, without the file or key: `expected an integer > 0, got -1`. Never a secret. */
  readonly message: string;
  /** 1-based position, for TOML syntax errors. */
  readonly line?: number;
  readonly column?: number;
}

/**
 * A config that cannot be read (`config_unreadable`) or is not valid (`config_invalid`). The
 * message lists every problem, one per line, as `FILE: KEY: problem`; `problems` holds them for
 * callers that print their own (the CLI's `--json`).
 */
export class ConfigError extends ClaudeAuthError {
  /** The file as named in the messages (as the user gave it), or a label like `<inline>`. */
  readonly source: string;
  /** The absolute path of the file, or null when the config did not come from a file. */
  readonly file: string | null;
  readonly problems: readonly ConfigProblem[];

  constructor(
    code: 'config_invalid' | 'config_unreadable',
    where: { source: string; file: string | null },
    problems: readonly ConfigProblem[],
    hint: string,
  ) {
    super(code, problemsMessage(where.source, problems), { hint });
    this.name = 'ConfigError';
    this.source = where.source;
    this.file = where.file;
    this.problems = problems;
  }
}

/** One problem as a line: `FILE: KEY: message`, or `FILE:LINE:COLUMN: message`. */
export function formatProblem(source: string, problem: ConfigProblem): string {
  if (problem.line !== undefined)
    return `${source}:${problem.line}:${problem.column ?? 1}: ${problem.message}`;
  return problem.key === null
    ? `${source}: ${problem.message}`
    : `${source}: ${problem.key}: ${problem.message}`;
}

function problemsMessage(source: string, problems: readonly ConfigProblem[]): string {
  const lines = problems.map((p) => formatProblem(source, p));
  if (lines.length === 1) return lines[0]!;
  return [`${source} has ${lines.length} problems:`, ...lines.map((l) => `  ${l}`)].join('\n');
}

/** A path as it can be pasted into a shell. */
export function shellQuote(path: string): string {
  return /^[\w./~:@%+=,-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}
