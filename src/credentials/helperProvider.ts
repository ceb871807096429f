import { spawn } from 'node:child_process';
import { type Clock, systemClock } from '../clock.js';
import type { HelperConfig } from '../config/schema.js';
import { ClaudeAuthError } from '../errors.js';
import type { Credential, CredentialProvider, GetCredentialOptions, ProviderStatus } from './types.js';

const MAX_OUTPUT_BYTES = 64 * 1024;

/**
 * Runs a configured command whose stdout is an API key, like Claude Code's apiKeyHelper (a vault
 * CLI, `pass show …`). The key is reused for `ttl_ms`; concurrent callers share one run. stdout is
 * never logged; stderr is shown when the helper fails, with any copy of the key masked.
 */
export class HelperProvider implements CredentialProvider {
  readonly name = 'helper' as const;
  private cached: { credential: Credential; fetchedAt: number } | null = null;
  private inFlight: Promise<Credential> | null = null;
  private lastFetchAt: number | null = null;

  constructor(
    private readonly helper: HelperConfig,
    private readonly clock: Clock = systemClock,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async getCredential(options: GetCredentialOptions = {}): Promise<Credential> {
    const now = this.clock.now();
    if (!options.forceRefresh && this.cached && now - this.cached.fetchedAt < this.helper.ttl_ms) {
      return this.cached.credential;
    }
    this.inFlight ??= this.run().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  async status(): Promise<ProviderStatus> {
    if (!this.helper.command) {
      return {
        provider: this.name,
        state: 'missing',
        expires_at: null,
        last_refresh_at: null,
        source: null,
        detail: 'no helper command: set [auth.helper] command in config.toml',
      };
    }
    return {
      provider: this.name,
      state: this.cached ? 'valid' : 'missing',
      expires_at: this.cached ? new Date(this.cached.fetchedAt + this.helper.ttl_ms).toISOString() : null,
      last_refresh_at: this.lastFetchAt === null ? null : new Date(this.lastFetchAt).toISOString(),
      source: 'helper',
      detail: this.cached
        ? `key from the helper, reused for ${this.helper.ttl_ms} ms`
        : 'the helper command runs on first use',
    };
  }

  private async run(): Promise<Credential> {
    const command = this.helper.command;
    if (!command) {
      throw new ClaudeAuthError(
        'credential_missing',
        'auth.provider is "helper" but [auth.helper] command is not set',
        {
          hint: 'Set [auth.helper] command = "…" in config.toml: a command that prints the API key on stdout.',
        },
      );
    }
    const { stdout, stderr, code, timedOut } = await runCommand(command, this.helper.timeout_ms, this.env);
    const key = stdout.trim().split('\n')[0]?.trim() ?? '';
    // whatever the helper printed as the key must not surface in an error, even where it echoes it
    const mask = (text: string) => (key ? text.split(key).join('[key]') : text);
    const shownStderr = tail(mask(stderr));
    const shownCommand = mask(command);
    if (timedOut) {
      throw new ClaudeAuthError(
        'helper_timeout',
        `the key helper did not finish within ${this.helper.timeout_ms} ms`,
        {
          hint: `Check that \`${shownCommand}\` runs without prompting, or raise [auth.helper] timeout_ms.${shownStderr ? `\n  helper stderr: ${shownStderr}` : ''}`,
        },
      );
    }
    if (code !== 0) {
      throw new ClaudeAuthError('helper_failed', `the key helper exited with status ${code}`, {
        hint: `Run \`${shownCommand}\` yourself to see why.${shownStderr ? `\n  helper stderr: ${shownStderr}` : ''}`,
      });
    }
    if (!key) {
      throw new ClaudeAuthError('helper_failed', 'the key helper printed nothing on stdout', {
        hint: `\`${shownCommand}\` must print the API key as its first line of output.${shownStderr ? `\n  helper stderr: ${shownStderr}` : ''}`,
      });
    }
    const now = this.clock.now();
    const credential: Credential = {
      kind: 'api_key',
      secret: key,
      expiresAt: null,
      refreshAt: now + this.helper.ttl_ms,
      source: 'helper',
      injectAs: 'x-api-key',
    };
    this.cached = { credential, fetchedAt: now };
    this.lastFetchAt = now;
    return credential;
  }
}

function tail(text: string): string {
  const lines = text.trim().split('\n').slice(-10).join('\n  ');
  return lines.length > 2000 ? lines.slice(-2000) : lines;
}

interface CommandResult {
  stdout: string;
  stderr: string;
  code: number | null;
  timedOut: boolean;
}

function runCommand(command: string, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<CommandResult> {
  return new Promise((resolve) => {
    // its own process group, so a timeout kills the whole pipeline, not only the shell
    const child = spawn('/bin/sh', ['-c', command], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_OUTPUT_BYTES) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_OUTPUT_BYTES) stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ stdout: '', stderr: e.message, code: 127, timedOut: false });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, timedOut });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
