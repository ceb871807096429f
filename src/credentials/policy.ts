import { ClaudeAuthError } from '../errors.js';
import type { Credential } from './types.js';

/** Prefix of Claude subscription OAuth tokens (`claude setup-token`, Claude.ai logins). */
export const SUBSCRIPTION_TOKEN_PREFIX = 'sk-ant-oat';

/** Claude Code's own OAuth client id: we never run a login with it (policy line). */
const CLAUDE_CODE_CLIENT_ID = '9d1c250a-e61b-44d9-88ed-5944d1962f5e';
const ANTHROPIC_LOGIN_HOSTS = ['claude.ai', 'console.anthropic.com', 'platform.claude.com', 'claude.com'];

export function isSubscriptionToken(secret: string): boolean {
  return secret.startsWith(SUBSCRIPTION_TOKEN_PREFIX);
}

/**
 * The headers that carry `credential` upstream. Refuses a subscription token, whatever provider
 * produced it: those are for Claude Code and Anthropic's own apps only.
 * @throws ClaudeAuthError policy_violation
 */
export function upstreamAuthHeaders(credential: Credential): Record<string, string> {
  if (credential.kind === 'claude_code_oauth' || isSubscriptionToken(credential.secret)) {
    throw new ClaudeAuthError(
      'policy_violation',
      'refusing to inject a Claude subscription token (sk-ant-oat…) into proxied traffic',
      {
        hint: 'Subscription tokens are for official `claude` agents only: use `claude-auth env AGENT --mode direct`, or configure an API key or your own OAuth provider for the gateway.',
      },
    );
  }
  return credential.injectAs === 'x-api-key'
    ? { 'x-api-key': credential.secret }
    : { authorization: `Bearer ${credential.secret}` };
}

/**
 * Refuses an OAuth configuration that would log in to Claude.ai as Claude Code.
 * @throws ClaudeAuthError policy_violation
 */
export function assertOAuthTargetAllowed(clientId: string | undefined, urls: (string | undefined)[]): void {
  const hosts = urls.filter((u): u is string => !!u).map((u) => new URL(u).hostname);
  const anthropicHost = hosts.find((h) => ANTHROPIC_LOGIN_HOSTS.some((a) => h === a || h.endsWith(`.${a}`)));
  if (clientId === CLAUDE_CODE_CLIENT_ID || anthropicHost) {
    throw new ClaudeAuthError(
      'policy_violation',
      `auth.oauth2 points at ${anthropicHost ?? "Claude Code's client id"}: claude-auth does not log in to Claude subscriptions`,
      {
        hint: 'For a Claude subscription run `claude setup-token` and store the result with `claude-auth login --provider claude_code_token --token-stdin`. auth.oauth2 is for your own identity provider or LLM gateway.',
      },
    );
  }
}
