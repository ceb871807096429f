export { type OpenStateOptions, openStateStore, parseStateUrl, type StateTarget } from './open.js';
export { RedisStateStore } from './redisStore.js';
export { DEFAULT_REDIS_PREFIX, parseRedisUrl, type RedisTarget } from './redisUrl.js';
export { SCHEMA_VERSION } from './sqliteSchema.js';
export { SqliteStateStore, type SqliteStateStoreOptions } from './sqliteStore.js';
export type {
  AgentSessionRecord,
  KeyFilter,
  NewVirtualKey,
  StateStore,
  Unsubscribe,
  VirtualKeyRecord,
} from './types.js';
