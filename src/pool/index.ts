export type { ConnectionPoolOptions } from './ClaudeConnectionPool.js';
export { ClaudeConnectionPool, OriginPool } from './ClaudeConnectionPool.js';
export type { ConnectionPoolStats } from './stats.js';
