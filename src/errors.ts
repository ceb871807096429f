/**
 * Every error this project raises carries a stable `code`. Callers branch on the code, never on
 * message text. One table maps each code to the Anthropic error `type` and HTTP status the gateway
 * answers with, and to the exit status of the CLI.
 */
export type ErrorCode =
  | 'config_invalid'
  | 'config_unreadable'
  | 'credential_missing'
  | 'credential_invalid'
  | 'credential_store_corrupt'
  | 'credential_store_io'
  | 'lock_timeout'
  | 'reauth_required'
  | 'refresh_failed'
  | 'refresh_unavailable'
  | 'token_endpoint_unreachable'
  | 'helper_failed'
  | 'helper_timeout'
  | 'policy_violation'
  | 'login_failed'
  | 'gateway_unavailable'
  | 'memory_budget_exceeded'
  | 'agent_memory_limit'
  | 'state_unavailable'
  | 'state_corrupt'
  | 'agent_not_found'
  | 'usage';

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

interface ErrorKind {
  readonly type: AnthropicErrorType;
  readonly status: number;
  /** Exit status of the CLI: 2 for things the user must fix in input or config, 1 otherwise. */
  readonly exit: 1 | 2;
}

export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorKind>> = {
  config_invalid: { type: 'api_error', status: 500, exit: 2 },
  config_unreadable: { type: 'api_error', status: 500, exit: 2 },
  credential_missing: { type: 'authentication_error', status: 401, exit: 1 },
  credential_invalid: { type: 'authentication_error', status: 401, exit: 1 },
  credential_store_corrupt: { type: 'api_error', status: 500, exit: 1 },
  credential_store_io: { type: 'api_error', status: 500, exit: 1 },
  lock_timeout: { type: 'api_error', status: 503, exit: 1 },
  reauth_required: { type: 'authentication_error', status: 401, exit: 1 },
  refresh_failed: { type: 'api_error', status: 502, exit: 1 },
  refresh_unavailable: { type: 'api_error', status: 503, exit: 1 },
  token_endpoint_unreachable: { type: 'api_error', status: 502, exit: 1 },
  helper_failed: { type: 'authentication_error', status: 502, exit: 1 },
  helper_timeout: { type: 'api_error', status: 504, exit: 1 },
  policy_violation: { type: 'permission_error', status: 403, exit: 1 },
  login_failed: { type: 'authentication_error', status: 401, exit: 1 },
  gateway_unavailable: { type: 'api_error', status: 503, exit: 1 },
  memory_budget_exceeded: { type: 'overloaded_error', status: 529, exit: 1 },
  agent_memory_limit: { type: 'invalid_request_error', status: 400, exit: 2 },
  state_unavailable: { type: 'api_error', status: 503, exit: 1 },
  state_corrupt: { type: 'api_error', status: 500, exit: 1 },
  agent_not_found: { type: 'not_found_error', status: 404, exit: 1 },
  usage: { type: 'invalid_request_error', status: 400, exit: 2 },
};

export interface ClaudeAuthErrorOptions {
  /** What the user can do about it, one sentence. */
  hint?: string;
  cause?: unknown;
  /** Epoch ms after which a retry may succeed (refresh_unavailable, rate limits). */
  retryAt?: number;
}

/** Base class of every error the project raises. Messages never contain a secret. */
export class ClaudeAuthError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly retryAt: number | undefined;

  constructor(code: ErrorCode, message: string, options: ClaudeAuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClaudeAuthError';
    this.code = code;
    this.hint = options.hint;
    this.retryAt = options.retryAt;
  }

  get kind(): ErrorKind {
    return ERROR_TABLE[this.code];
  }

  /** The message and, when there is one, the hint, as one line each. */
  describe(): string {
    return this.hint ? `${this.message}\n  ${this.hint}` : this.message;
  }
}

export function isClaudeAuthError(e: unknown): e is ClaudeAuthError {
  return e instanceof ClaudeAuthError;
}

/** The body of an error response in Anthropic's shape. */
export function anthropicErrorBody(type: AnthropicErrorType, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}
