export { ClaudeAuthError, ERROR_TABLE, anthropicErrorBody, isClaudeAuthError } from './errors.js';
export type { AnthropicErrorType, ErrorCode } from './errors.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { configSchema, defaultConfig, PROVIDERS } from './config/schema.js';
export type { Config, ProviderName } from './config/schema.js';
export * from './config/load.js';
export {
  createProvider,
  CredentialStore,
  OAuth2Provider,
  HelperProvider,
  ApiKeyProvider,
  ClaudeCodeTokenProvider,
  upstreamAuthHeaders,
  isSubscriptionToken,
  describeSecret,
} from './credentials/index.js';
export type { Credential, CredentialKind, CredentialProvider, CredentialState, ProviderStatus } from './credentials/index.js';
export * from './simulator/index.js';
