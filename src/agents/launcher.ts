import { spawn } from 'node:child_process';
import { ClaudeAuthError } from '../errors.js';
import { type ProcessTreeSample, sampleProcessTree } from './processTree.js';

const FORWARDED: NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGWINCH',
];

export interface LaunchOptions {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Memory limit of the whole process tree, in MB (`max_agent_memory_mb`). */
  limitMb: number;
  /** Stop the agent when it goes over the limit, instead of only reporting it. */
  enforce: boolean;
  /** How often the tree is sampled (default 1000 ms). */
  sampleMs?: number;
  /** Each sample, e.g. to tell the gateway (best effort). */
  onSample?: (sample: ProcessTreeSample) => void;
  /** Told once when the tree first goes over the limit. */
  onOverLimit?: (rssMb: number, enforced: boolean) => void;
  onSpawn?: (pid: number) => void;
}

export interface LaunchResult {
  /** The exit status to pass on: the child's code, or 128 + signal number when it was killed. */
  exitCode: number;
  signal: NodeJS.Signals | null;
  peakRssMb: number | null;
  cpuMs: number | null;
  samples: number;
  /** The agent was stopped for going over the memory limit (--enforce). */
  stoppedForMemory: boolean;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGTERM: 15,
};

/**
 * Runs an agent command with its environment: stdio inherited, signals forwarded, the process tree's
 * resident memory and CPU sampled from /proc, and — with `enforce` — the tree stopped when it goes
 * over the limit. Resolves when the child exits.
 * @throws ClaudeAuthError usage when the command cannot be started.
 */
export function launch(options: LaunchOptions): Promise<LaunchResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.command, options.args, { env: options.env, stdio: 'inherit' });
    let peakRss = 0;
    let cpuMs: number | null = null;
    let samples = 0;
    let over = false;
    let stoppedForMemory = false;
    let killTimer: NodeJS.Timeout | undefined;
    const forward = (signal: NodeJS.Signals) => () => {
      if (child.pid !== undefined && child.exitCode === null) child.kill(signal);
    };
    const handlers = FORWARDED.map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);

    const sample = () => {
      if (child.pid === undefined) return;
      const s = sampleProcessTree(child.pid);
      if (s === null) return;
      samples++;
      const rssMb = s.rssBytes / 1024 / 1024;
      peakRss = Math.max(peakRss, rssMb);
      cpuMs = s.cpuMs;
      options.onSample?.(s);
      if (rssMb > options.limitMb && !over) {
        over = true;
        options.onOverLimit?.(rssMb, options.enforce);
        if (options.enforce) {
          stoppedForMemory = true;
          for (const pid of [...s.pids].reverse()) tryKill(pid, 'SIGTERM');
          killTimer = setTimeout(() => {
            for (const pid of s.pids) tryKill(pid, 'SIGKILL');
          }, 2000);
          killTimer.unref();
        }
      }
    };
    const timer = setInterval(sample, options.sampleMs ?? 1000);
    timer.unref();

    child.once('spawn', () => {
      if (child.pid !== undefined) options.onSpawn?.(child.pid);
      sample();
    });
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearInterval(timer);
      for (const [s, h] of handlers) process.off(s, h);
      reject(
        new ClaudeAuthError('usage', `cannot start ${options.command}: ${e.code ?? e.message}`, {
          hint: e.code === 'ENOENT' ? `Is ${options.command} installed and on PATH?` : undefined,
        }),
      );
    });
    child.once('exit', (code, signal) => {
      clearInterval(timer);
      if (killTimer) clearTimeout(killTimer);
      for (const [s, h] of handlers) process.off(s, h);
      resolve({
        exitCode: code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 1) : 1),
        signal,
        peakRssMb: samples > 0 ? peakRss : null,
        cpuMs,
        samples,
        stoppedForMemory,
      });
    });
  });
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
