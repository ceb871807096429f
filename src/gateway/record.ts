import type { CredentialKind } from '../credentials/types.js';
import type { AnthropicErrorType } from '../errors.js';

/** How a proxied request ended. */
export type RequestOutcome =
  /** The whole response reached the agent (whatever its status). */
  | 'completed'
  /** The gateway answered itself (bad key, limits, auth failure, upstream unreachable). */
  | 'refused'
  /** The agent went away before the response was complete; the upstream request was aborted. */
  | 'client_aborted'
  /** The upstream connection failed after the response had started; the agent's was cut. */
  | 'upstream_failed';

/**
 * One proxied request as monitoring sees it, handed to `onRequestDone` once it is over. Stage
 * durations are milliseconds (fractional) and -1 for a stage the request never reached. One
 * instance per request, filled in place: copy what you keep beyond the callback.
 */
export class RequestRecord {
  /** Our id, also sent back as `x-request-id`. */
  readonly requestId: string;
  /** Epoch ms when the request arrived (the gateway's clock). */
  readonly startedAt: number;
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  /** The agent behind the virtual key; null when the key did not verify. */
  agentId: string | null = null;
  /** Id of the virtual key (never the key). */
  keyId: string | null = null;
  /** Kind of the credential injected, once known. */
  credentialKind: CredentialKind | null = null;
  /** Status the agent got; 0 when it got none (aborted before the headers). */
  status = 0;
  /** Who produced `status`. */
  source: 'upstream' | 'gateway' = 'gateway';
  /** Error type of a gateway answer, or null. */
  errorType: AnthropicErrorType | null = null;
  outcome: RequestOutcome = 'completed';
  /** The response was an event stream. */
  streamed = false;
  /** Upstream attempts: 1, or more after a 401 replay or 529 retries. */
  attempts = 0;
  /** Upstream's `request-id` on the answer the agent got, or null. */
  upstreamRequestId: string | null = null;
  /** Virtual key check. */
  keyCheckMs = -1;
  /** Credential lookup (cache hit or refresh), including waiting for a replayed credential. */
  authMs = -1;
  /** From dispatch until the request was on a connection: pool queue plus connect, last attempt. */
  poolMs = -1;
  /** From on a connection until the response headers: upstream time to first byte, last attempt. */
  ttfbMs = -1;
  /** From the response headers until the last byte went to the agent. */
  streamMs = -1;
  /** From arrival until done. */
  totalMs = -1;
  /** Request body bytes forwarded upstream (last attempt). */
  bytesIn = 0;
  /** Response body bytes written to the agent. */
  bytesOut = 0;

  constructor(requestId: string, startedAt: number, method: string, path: string) {
    this.requestId = requestId;
    this.startedAt = startedAt;
    this.method = method;
    this.path = path;
  }
}

/** Counters of one agent since the gateway started. */
export interface AgentCounters {
  /** Requests that passed the key check. */
  requests: number;
  /** Requests in flight now. */
  inFlight: number;
  /** Refused for being over `maxConcurrentPerAgent`. */
  concurrencyRefused: number;
  /** Upstream 429 answers passed through. */
  upstream429: number;
  /** Upstream 529 answers passed through (after any retries). */
  upstream529: number;
  /** Upstream 401s that triggered a credential refresh. */
  upstream401: number;
  /** Requests replayed after a 401 or retried after a 529. */
  replays: number;
  /** Answers the gateway gave itself after the key check (auth failures, 413, 502, …). */
  gatewayErrors: number;
  /** Requests the agent aborted. */
  clientAborts: number;
}

/** A zeroed {@link AgentCounters}. */
export function newAgentCounters(): AgentCounters {
  return {
    requests: 0,
    inFlight: 0,
    concurrencyRefused: 0,
    upstream429: 0,
    upstream529: 0,
    upstream401: 0,
    replays: 0,
    gatewayErrors: 0,
    clientAborts: 0,
  };
}
