import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateVirtualKey,
  hashVirtualKey,
  hashVirtualKeyLatin1,
  looksLikeVirtualKey,
  newKeyId,
  VIRTUAL_KEY_LENGTH,
} from './virtualKey.js';

describe('virtual keys', () => {
  it('are sk-ca- plus 32 random bytes in base64url', () => {
    const key = generateVirtualKey();
    expect(key).toMatch(/^sk-ca-[A-Za-z0-9_-]{43}$/);
    expect(key).toHaveLength(VIRTUAL_KEY_LENGTH);
    expect(Buffer.from(key.slice(6), 'base64url')).toHaveLength(32);
    expect(new Set(Array.from({ length: 1000 }, generateVirtualKey)).size).toBe(1000);
    expect(key.startsWith('sk-ant-')).toBe(false);
  });

  it('are recognised by shape only', () => {
    expect(looksLikeVirtualKey(generateVirtualKey())).toBe(true);
    expect(looksLikeVirtualKey('sk-ant-api03-abc')).toBe(false);
    expect(looksLikeVirtualKey(`sk-ca-${'a'.repeat(42)}`)).toBe(false);
    expect(looksLikeVirtualKey(`xx-ca-${'a'.repeat(43)}`)).toBe(false);
  });

  it('hash to SHA-256, as a Buffer and as the same bytes in a latin1 string', () => {
    const key = generateVirtualKey();
    const expected = createHash('sha256').update(key).digest();
    expect(hashVirtualKey(key).equals(expected)).toBe(true);
    expect(Buffer.from(hashVirtualKeyLatin1(key), 'latin1').equals(expected)).toBe(true);
  });

  it('have short random public ids', () => {
    expect(newKeyId()).toMatch(/^[0-9a-f]{12}$/);
    expect(newKeyId()).not.toBe(newKeyId());
  });
});
