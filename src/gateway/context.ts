import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock.js';
import type { ClaudeConnectionPool, OriginPool } from '../pool/index.js';
import type { AgentKeyVerifier, UpstreamAuth } from './ports.js';
import type { AgentCounters, RequestRecord } from './record.js';
import type { RetryOverloaded } from './replay.js';

/** Limits of {@link createGateway}. Every field is optional. */
export interface GatewayLimits {
  /** Largest request body, in bytes (the real API's limit). Default 32 MiB. */
  maxBodyBytes?: number;
  /** Longest time to receive a request's headers (slowloris guard), in ms. Default 20 000. */
  headersTimeoutMs?: number;
  /** Longest time to receive a whole request, headers and body, in ms. Default 120 000. */
  requestTimeoutMs?: number;
  /** How often Node checks those two timeouts, in ms. Default a quarter of headersTimeoutMs, at most 30 000. */
  timeoutCheckIntervalMs?: number;
  /** Idle time before the gateway closes an agent's keep-alive connection, in ms. Default 65 000. */
  keepAliveTimeoutMs?: number;
  /** Requests one agent may have in flight; more are answered 429. Default 64. */
  maxConcurrentPerAgent?: number;
  /**
   * Bodies of known length up to this size are read whole before sending, so they can be replayed
   * (401 on an OAuth token, 529 retries); larger or chunked ones stream through and are never
   * replayed. 0 streams everything. Default 1 MiB.
   */
  replayBufferBytes?: number;
}

/** A handler for a non-/v1 route (admin, observability). */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  /** Base URL of the upstream API, e.g. `https://api.anthropic.com` (a path prefix is kept). */
  upstream: string;
  /** Checks the virtual keys agents present. */
  keys: AgentKeyVerifier;
  /** Supplies the real credential to inject. */
  auth: UpstreamAuth;
  /** Connection pool to use; by default the gateway makes one and closes it in close(). */
  pool?: ClaudeConnectionPool;
  limits?: GatewayLimits;
  /** Retry 529 answers on buffered bodies; off (null) by default. */
  retryOverloaded?: RetryOverloaded | null;
  /** Epoch-ms clock for key expiry and record timestamps. Default the system clock. */
  clock?: Clock;
  /** Receives each request's record when it is over (see RequestRecord: copy what you keep). */
  onRequestDone?: (record: RequestRecord) => void;
  /** Called for non-/v1 paths no `route()` matches, instead of the 404. */
  otherRoutes?: RouteHandler;
}

/** What every in-flight exchange of one gateway shares: resolved options and live counters. */
export interface GatewayContext {
  readonly keys: AgentKeyVerifier;
  readonly auth: UpstreamAuth;
  readonly upstream: OriginPool;
  /** Path prefix of the upstream base URL without the trailing slash, usually ''. */
  readonly basePath: string;
  readonly clock: Clock;
  readonly maxBodyBytes: number;
  readonly maxConcurrentPerAgent: number;
  readonly replayBufferBytes: number;
  readonly retryOverloaded: RetryOverloaded | null;
  readonly onRequestDone: ((record: RequestRecord) => void) | null;
  readonly agents: Map<string, AgentCounters>;
  /** A new unique request id. */
  nextRequestId(): string;
}
