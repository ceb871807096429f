import type { ServerResponse } from 'node:http';
import { type AnthropicErrorType, anthropicErrorBody, ERROR_TABLE, isClaudeAuthError } from '../errors.js';

/** An answer the gateway itself gives, in Anthropic's error shape. */
export interface GatewayFailure {
  readonly status: number;
  readonly type: AnthropicErrorType;
  readonly message: string;
  /** Seconds for `retry-after`, when a retry may succeed later. */
  readonly retryAfter?: number;
}

/** Where a virtual key is expected and how to get one; every 401 of ours says it. */
const KEY_HINT =
  'send your virtual key as x-api-key or Authorization: Bearer (get one with `claude-auth agent add NAME`)';

/** No virtual key presented at all. */
export const MISSING_KEY: GatewayFailure = {
  status: 401,
  type: 'authentication_error',
  message: `missing virtual key: ${KEY_HINT}`,
};

/** A virtual key was presented but is unknown, revoked or expired. */
export const INVALID_KEY: GatewayFailure = {
  status: 401,
  type: 'authentication_error',
  message: `invalid, revoked or expired virtual key: ${KEY_HINT}`,
};

/** The credential would carry a subscription token: refused by the gateway itself (policy line). */
export const SUBSCRIPTION_REFUSED: GatewayFailure = {
  status: 403,
  type: 'permission_error',
  message:
    'refusing to inject a Claude subscription token (sk-ant-oat…) into proxied traffic: configure an API key or your own OAuth provider for the gateway',
};

/**
 * Writes an error in Anthropic's shape `{"type":"error","error":{type,message}}` with our
 * `x-request-id`. After the headers went out it can only cut the connection.
 * @param close ask the client to drop the connection (we will not read the rest of its body)
 */
export function sendFailure(res: ServerResponse, f: GatewayFailure, requestId: string, close = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = anthropicErrorBody(f.type, f.message);
  const headers = [
    'content-type',
    'application/json',
    'content-length',
    String(Buffer.byteLength(body)),
    'x-request-id',
    requestId,
  ];
  if (f.retryAfter !== undefined) headers.push('retry-after', String(f.retryAfter));
  if (close) headers.push('connection', 'close');
  res.writeHead(f.status, headers);
  res.end(body);
}

/**
 * What an error thrown by `UpstreamAuth` becomes: a ClaudeAuthError keeps its code's type and status
 * (ERROR_TABLE) and its message, which never holds a secret; anything else is a bare 500, since its
 * message might.
 */
export function authFailure(e: unknown, now: number): GatewayFailure {
  if (!isClaudeAuthError(e)) {
    return { status: 500, type: 'api_error', message: 'gateway: credential lookup failed' };
  }
  const kind = ERROR_TABLE[e.code];
  const message = e.hint ? `${e.message}. ${e.hint}` : e.message;
  if (e.retryAt === undefined) return { status: kind.status, type: kind.type, message };
  return { status: kind.status, type: kind.type, message, retryAfter: secondsUntil(e.retryAt, now) };
}

/** Whole seconds from `now` to `at`, at least 1 (for `retry-after`). */
export function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}

/** What a transport error from undici becomes: 504 for a timeout, 502 otherwise. */
export function upstreamFailure(err: Error): GatewayFailure {
  const code = (err as { code?: unknown }).code;
  const c = typeof code === 'string' ? code : err.name;
  if (c === 'UND_ERR_HEADERS_TIMEOUT' || c === 'UND_ERR_CONNECT_TIMEOUT' || c === 'UND_ERR_BODY_TIMEOUT') {
    return { status: 504, type: 'api_error', message: `gateway: upstream timed out (${c})` };
  }
  return { status: 502, type: 'api_error', message: `gateway: upstream unreachable (${c})` };
}

/** 413 for a body over `limit` bytes. */
export function tooLarge(limit: number): GatewayFailure {
  return {
    status: 413,
    type: 'request_too_large',
    message: `request body exceeds the gateway limit of ${limit} bytes`,
  };
}

/** 429 for an agent over its concurrency limit. */
export function tooManyInFlight(agentId: string, limit: number): GatewayFailure {
  return {
    status: 429,
    type: 'rate_limit_error',
    message: `agent ${agentId} has ${limit} requests in flight, the gateway's limit per agent`,
    retryAfter: 1,
  };
}
