export type { GatewayLimits, GatewayOptions, RouteHandler } from './context.js';
export type { GatewayFailure } from './errors.js';
export type { AgentIdentity, AgentKeyVerifier, UpstreamAuth, UpstreamCredential } from './ports.js';
export type { AgentCounters, RequestOutcome } from './record.js';
export { RequestRecord } from './record.js';
export type { RetryOverloaded } from './replay.js';
export type { Gateway } from './server.js';
export { createGateway } from './server.js';
