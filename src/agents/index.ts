// The agents API and the state store it runs on; src/index.ts re-exports this file.
export * from '../state/index.js';
export {
  type IssuedKey,
  type IssueOptions,
  issueAgentKey,
  type KeyState,
  keyState,
  type RevokeResult,
  revokeAgentKeys,
} from './agentKeys.js';
export { AGENT_NAME_PATTERN, validateAgentName } from './agentName.js';
export { parseDuration } from './duration.js';
export { KeyRegistry, type KeyRegistryOptions } from './keyRegistry.js';
export { type LastSeenOptions, LastSeenRecorder } from './lastSeen.js';
export {
  generateVirtualKey,
  hashVirtualKey,
  looksLikeVirtualKey,
  newKeyId,
  VIRTUAL_KEY_LENGTH,
  VIRTUAL_KEY_PREFIX,
} from './virtualKey.js';
