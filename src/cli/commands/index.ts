import type { Command } from 'commander';
import { registerAgent } from './agent.js';
import { registerBench } from './bench.js';
import { registerConfig } from './config.js';
import { registerDoctor } from './doctor.js';
import { registerEnv } from './env.js';
import { registerLogin } from './login.js';
import { registerLogout } from './logout.js';
import { registerPrintToken } from './printToken.js';
import { registerRun } from './run.js';
import { registerServe } from './serve.js';
import { registerSimulate } from './simulate.js';
import { registerStatus } from './status.js';

/**
 * Every command lives in its own file under this folder and exports `register(program)`.
 * Add new ones to this list.
 */
export function registerCommands(program: Command): void {
  registerConfig(program);
  registerDoctor(program);
  registerLogin(program);
  registerLogout(program);
  registerStatus(program);
  registerPrintToken(program);
  registerSimulate(program);
  registerAgent(program);
  registerEnv(program);
  registerRun(program);
  registerServe(program);
  registerBench(program);
}
