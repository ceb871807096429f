import { describe, expect, it } from 'vitest';
import { isSecretKey, maskSecret, maskSecrets } from './mask.js';
import { defaultConfig } from './schema.js';

describe('maskSecrets', () => {
  it('masks auth.api_key and keeps everything else', () => {
    const c = defaultConfig();
    c.auth.api_key = 'sk-ant-api03-abcdefghijklmnop';
    const masked = maskSecrets(c);
    expect(masked.auth.api_key).toBe('sk-ant-…(masked)');
    expect(JSON.stringify(masked)).not.toContain('abcdefghijklmnop');
    expect({ ...masked, auth: { ...masked.auth, api_key: undefined } }).toEqual({
      ...c,
      auth: { ...c.auth, api_key: undefined },
    });
    expect(c.auth.api_key).toBe('sk-ant-api03-abcdefghijklmnop'); // the input is not changed
  });

  it('masks a secret key of any shape without its prefix', () => {
    expect(maskSecret('hunter2')).toBe('…(masked)');
    expect(maskSecrets({ auth: { api_key: 'hunter2' } })).toEqual({ auth: { api_key: '…(masked)' } });
  });

  it('masks strings that look like Anthropic keys wherever they appear', () => {
    const value = { auth: { oauth2: { client_id: 'sk-ant-oat01-zzz' } }, list: ['sk-ant-x'] };
    expect(maskSecrets(value)).toEqual({
      auth: { oauth2: { client_id: 'sk-ant-…(masked)' } },
      list: ['sk-ant-…(masked)'],
    });
  });

  it('knows the secret keys', () => {
    expect(isSecretKey('auth.api_key')).toBe(true);
    expect(isSecretKey('auth.api_key_env')).toBe(false);
  });
});
