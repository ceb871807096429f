import { ClaudeAuthError } from '../errors.js';

/** What an agent name may look like: a letter or digit, then up to 63 of letters, digits, `.`, `_`, `-`. */
export const AGENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Returns `name` if it is a valid agent name.
 * @throws ClaudeAuthError usage, saying what is allowed.
 */
export function validateAgentName(name: string): string {
  if (AGENT_NAME_PATTERN.test(name)) return name;
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  throw new ClaudeAuthError('usage', `invalid agent name ${shown}`, {
    hint: 'Use 1 to 64 characters: letters, digits, ".", "_" and "-", starting with a letter or digit (e.g. builder-1).',
  });
}
