import type { Command } from 'commander';
import { registerConfig } from './config.js';

/**
 * Every command lives in its own file under this folder and exports `register(program)`.
 * Add new ones to this list.
 */
export function registerCommands(program: Command): void {
  registerConfig(program);
}
