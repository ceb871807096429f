export * from './agents/index.js';
export * from './analysis/index.js';
export type { App, AppOptions } from './app.js';
export { startApp } from './app.js';
export { runPhase5ComplianceBenchmark } from './bench/phase5/index.js';
export type { CacheStats } from './cache/AuthenticationCache.js';
export { AuthenticationCache } from './cache/AuthenticationCache.js';
export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
export * from './config/load.js';
export type { Config, ProviderName } from './config/schema.js';
export { configSchema, defaultConfig, PROVIDERS } from './config/schema.js';
export type {
  Credential,
  CredentialKind,
  CredentialProvider,
  CredentialState,
  ProviderStatus,
} from './credentials/index.js';
export {
  ApiKeyProvider,
  ClaudeCodeTokenProvider,
  CredentialStore,
  createProvider,
  describeSecret,
  HelperProvider,
  isSubscriptionToken,
  OAuth2Provider,
  upstreamAuthHeaders,
} from './credentials/index.js';
export type { AnthropicErrorType, ErrorCode } from './errors.js';
export { anthropicErrorBody, ClaudeAuthError, ERROR_TABLE, isClaudeAuthError } from './errors.js';
export * from './gateway/index.js';
export type { AuthenticateOptions, AuthResult, ManagerOptions } from './manager.js';
export { OptimizedAuthManager } from './manager.js';
export { EventBus } from './monitor/EventBus.js';
export type { AuthEvent, AuthEventType } from './monitor/events.js';
export * from './monitor/index.js';
export * from './pool/index.js';
export type { RefreshSource, TokenState } from './refresh/RefreshCoordinator.js';
export { RefreshCoordinator } from './refresh/RefreshCoordinator.js';
export * from './simulator/index.js';
