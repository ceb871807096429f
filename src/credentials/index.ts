import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { HelperProvider } from './helperProvider.js';
import type { TokenFetch } from './oauth2/grants.js';
import { OAuth2Provider } from './oauth2/provider.js';
import { ApiKeyProvider, ClaudeCodeTokenProvider } from './staticProviders.js';
import { CredentialStore } from './store.js';
import type { CredentialProvider } from './types.js';

export interface ProviderContext {
  home: string;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  store?: CredentialStore;
  log?: Logger;
  /** The fetch for token requests (the manager's, so close() can release its sockets). */
  fetch?: TokenFetch;
}

/** The provider `[auth] provider` names, over the store in `home`. */
export function createProvider(config: Config, ctx: ProviderContext): CredentialProvider {
  const env = ctx.env ?? process.env;
  const clock = ctx.clock ?? systemClock;
  const store = ctx.store ?? new CredentialStore(ctx.home, { clock });
  switch (config.auth.provider) {
    case 'api_key':
      return new ApiKeyProvider(config.auth, store, env);
    case 'helper':
      return new HelperProvider(config.auth.helper, clock, env);
    case 'oauth2':
      return new OAuth2Provider(config.auth.oauth2, store, {
        clock,
        env,
        ...(ctx.log ? { log: ctx.log } : {}),
        ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
      });
    case 'claude_code_token':
      return new ClaudeCodeTokenProvider(store, env);
  }
}

export { HelperProvider } from './helperProvider.js';
export { OAuth2Provider } from './oauth2/provider.js';
export { isSubscriptionToken, upstreamAuthHeaders } from './policy.js';
export { ApiKeyProvider, ClaudeCodeTokenProvider } from './staticProviders.js';
export type { StoreData, StoredOAuthTokens } from './store.js';
export { CredentialStore, oauthEntryId } from './store.js';
export type {
  Credential,
  CredentialKind,
  CredentialProvider,
  CredentialState,
  ProviderStatus,
} from './types.js';
export { describeSecret } from './types.js';
