import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import { ClaudeAuthError } from '../errors.js';
import { assertOAuthTargetAllowed, upstreamAuthHeaders } from './policy.js';
import { ApiKeyProvider, ClaudeCodeTokenProvider } from './staticProviders.js';
import { CredentialStore } from './store.js';
import { describeSecret } from './types.js';

let dir: string;
let store: CredentialStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ca-static-'));
  store = new CredentialStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const auth = (over: Partial<ReturnType<typeof defaultConfig>['auth']> = {}) => ({
  ...defaultConfig().auth,
  ...over,
});

describe('ApiKeyProvider', () => {
  it('takes the config key first, then the store, then the named env var', async () => {
    const env = { MY_KEY: 'sk-ant-api03-env' };
    const p = () => new ApiKeyProvider(auth({ api_key_env: 'MY_KEY' }), store, env);
    expect((await p().getCredential()).source).toBe('env:MY_KEY');
    await store.update((d) => {
      d.api_key = { key: 'sk-ant-api03-store', saved_at: 1 };
    });
    expect(await p().getCredential()).toMatchObject({ secret: 'sk-ant-api03-store', source: 'store' });
    const fromConfig = new ApiKeyProvider(auth({ api_key: 'sk-ant-api03-config' }), store, env);
    expect(await fromConfig.getCredential()).toMatchObject({
      secret: 'sk-ant-api03-config',
      source: 'config',
      injectAs: 'x-api-key',
    });
  });

  it('with no key anywhere: credential_missing saying how to add one; status "missing"', async () => {
    const p = new ApiKeyProvider(auth(), store, {});
    await expect(p.getCredential()).rejects.toMatchObject({ code: 'credential_missing' });
    await expect(p.getCredential()).rejects.toThrow(/no Anthropic API key/);
    expect((await p.status()).state).toBe('missing');
    expect((await p.status()).detail).toContain('claude-auth login --provider api_key');
  });

  it('refuses a subscription token given as an API key', async () => {
    const p = new ApiKeyProvider(auth(), store, { ANTHROPIC_API_KEY: 'sk-ant-oat01-subscription' });
    await expect(p.getCredential()).rejects.toMatchObject({ code: 'policy_violation' });
  });
});

describe('ClaudeCodeTokenProvider and the policy line', () => {
  it('serves the stored token as claude_code_oauth, which is never injectable upstream', async () => {
    await store.update((d) => {
      d.claude_code_token = { token: 'sk-ant-oat01-abcdefghijklmnopqrstuvwxyz', saved_at: 1 };
    });
    const cred = await new ClaudeCodeTokenProvider(store, {}).getCredential();
    expect(cred.kind).toBe('claude_code_oauth');
    expect(() => upstreamAuthHeaders(cred)).toThrow(ClaudeAuthError);
    try {
      upstreamAuthHeaders(cred);
    } catch (e) {
      expect((e as ClaudeAuthError).code).toBe('policy_violation');
      expect((e as ClaudeAuthError).kind.status).toBe(403);
      expect((e as ClaudeAuthError).message).not.toContain(cred.secret);
    }
  });

  it('refuses an sk-ant-oat secret whatever kind claims to carry it', () => {
    expect(() =>
      upstreamAuthHeaders({
        kind: 'oauth_access_token',
        secret: 'sk-ant-oat01-x',
        expiresAt: null,
        refreshAt: null,
        source: 't',
        injectAs: 'authorization',
      }),
    ).toThrow(/subscription token/);
  });

  it('injects API keys as x-api-key and OAuth tokens as configured', () => {
    expect(
      upstreamAuthHeaders({
        kind: 'api_key',
        secret: 'k',
        expiresAt: null,
        refreshAt: null,
        source: 's',
        injectAs: 'x-api-key',
      }),
    ).toEqual({
      'x-api-key': 'k',
    });
    expect(
      upstreamAuthHeaders({
        kind: 'oauth_access_token',
        secret: 't',
        expiresAt: null,
        refreshAt: null,
        source: 's',
        injectAs: 'authorization',
      }),
    ).toEqual({ authorization: 'Bearer t' });
  });

  it('refuses OAuth config aimed at Claude.ai or with Claude Code client id', () => {
    expect(() => assertOAuthTargetAllowed('x', ['https://claude.ai/oauth/authorize'])).toThrow(
      /does not log in to Claude subscriptions/,
    );
    expect(() =>
      assertOAuthTargetAllowed('9d1c250a-e61b-44d9-88ed-5944d1962f5e', ['https://idp.example.com/token']),
    ).toThrow(ClaudeAuthError);
    expect(() => assertOAuthTargetAllowed('my-client', ['https://idp.example.com/token'])).not.toThrow();
  });

  it('describeSecret shows the family and last four characters only', () => {
    const s = 'sk-ant-api03-0123456789abcdefghijklmnopqrstuvwxyz';
    expect(describeSecret(s)).toBe(`sk-ant-api03-…wxyz (${s.length} chars)`);
    expect(describeSecret('short')).toBe('… (5 chars)');
  });
});
