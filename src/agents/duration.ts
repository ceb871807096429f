import { ClaudeAuthError } from '../errors.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Parses a duration such as `90s`, `15m`, `12h`, `30d`, `2w` or `1d12h` into milliseconds.
 * @throws ClaudeAuthError usage naming `option`.
 */
export function parseDuration(text: string, option = '--expires-in'): number {
  const s = text.trim();
  let total = 0;
  let rest = s;
  const part = /^(\d+)([smhdw])/;
  for (let m = part.exec(rest); m !== null && rest !== ''; m = part.exec(rest)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  if (s === '' || rest !== '' || total <= 0 || !Number.isSafeInteger(total)) {
    throw new ClaudeAuthError(
      'usage',
      `${option} must be a positive duration like 30m, 12h, 30d or 1d12h, got "${text}"`,
    );
  }
  return total;
}
