import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['12h', 43_200_000],
    ['30d', 2_592_000_000],
    ['2w', 1_209_600_000],
    ['1d12h', 129_600_000],
    [' 1h30m ', 5_400_000],
  ])('parses %j', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', 'h', '-1h', '0s', '1.5h', '5q', '1h foo', '99999999999999999w'])(
    'rejects %j',
    (text) => {
      expect(() => parseDuration(text)).toThrow(expect.objectContaining({ code: 'usage' }));
    },
  );
});
