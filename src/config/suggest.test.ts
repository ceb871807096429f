import { describe, expect, it } from 'vitest';
import { closestKey, editDistance } from './suggest.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['ttl_minuts', 'ttl_minutes', 1],
    ['ttl_mintues', 'ttl_minutes', 1], // adjacent swap counts once
    ['ca', 'abc', 3], // optimal string alignment, not unrestricted Damerau
    ['max_size', 'max_size', 0],
  ])('%s → %s = %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('closestKey', () => {
  const cache = ['ttl_minutes', 'max_size', 'cleanup_interval_minutes'];

  it('suggests a key one or two edits away', () => {
    expect(closestKey('ttl_minuts', cache)).toBe('ttl_minutes');
    expect(closestKey('maxsize', cache)).toBe('max_size');
    expect(closestKey('cleanup_intervall_minutes', cache)).toBe('cleanup_interval_minutes');
  });

  it('ignores case and - versus _', () => {
    expect(closestKey('Max-Size', cache)).toBe('max_size');
  });

  it('suggests the key with its unit suffix when that was left off', () => {
    expect(closestKey('batch_timeout', ['batch_timeout_ms', 'max_batch_size'])).toBe('batch_timeout_ms');
    expect(closestKey('ttl', cache)).toBe('ttl_minutes');
  });

  it('suggests nothing when no key is close', () => {
    expect(closestKey('colour', cache)).toBeUndefined();
    expect(closestKey('host', ['port'])).toBeUndefined();
    expect(closestKey('x', [])).toBeUndefined();
  });

  it('prefers the closest of several', () => {
    expect(closestKey('port', ['host', 'port_'])).toBe('port_');
  });
});
