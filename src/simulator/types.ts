/** Options of {@link startSimulator}. Every field is optional. */
export interface SimulatorOptions {
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string;
  /** TCP port. Default 0 (ephemeral; read it back from `Simulator.port`). */
  port?: number;
  /** Lifetime of the OAuth access tokens it issues, in seconds. Default 3600. */
  accessTokenTtlSeconds?: number;
  /** Lifetime of each refresh token from its issue, in seconds. Default: no expiry. */
  refreshTokenTtlSeconds?: number;
  /** Accepted Anthropic API keys. Default none. */
  apiKeys?: string[];
  /** Accepted long-lived `sk-ant-oat01-…`-style tokens (what `claude setup-token` prints). Default none. */
  oauthTokens?: string[];
  /**
   * Registered OAuth clients. A client with a secret is confidential (secret checked, may use
   * client_credentials); without one it is public. If omitted, any client_id is accepted as public.
   */
  clients?: { clientId: string; clientSecret?: string }[];
  /** Initial fault knobs, merged over the defaults (no faults). */
  faults?: FaultsPatch;
  /** Seed of the PRNG that decides rate-based faults, so a run is reproducible. Default 1. */
  seed?: number;
  /** Clock in epoch ms, for expiring tokens without sleeping. Default `Date.now`. */
  now?: () => number;
}

/** Added delay per route, in milliseconds. */
export interface LatencyFaults {
  messages: number;
  count_tokens: number;
  models: number;
  token: number;
  authorize: number;
}

/** Fault knobs. Change them at run time with `setFaults` or `POST /__sim/faults`. */
export interface Faults {
  /** Added delay per route before anything else happens. */
  latencyMs: LatencyFaults;
  /** Fraction (0..1) of authenticated /v1/* requests answered 500 api_error. */
  errorRate: number;
  /** Fraction (0..1) answered 429 rate_limit_error with `retry-after`. */
  rateLimitRate: number;
  /** Value of `retry-after` on 429, 529 and 503 answers, in seconds. */
  retryAfterSeconds: number;
  /** Fraction (0..1) answered 529 overloaded_error with `retry-after`. */
  overloadRate: number;
  /**
   * Behaviour of /oauth/token: `fail` answers 500 server_error, `unavailable` 503 with `retry-after`,
   * `hang` never answers (the request is not processed; it stays open until its socket or the
   * server closes, even if the knob changes back).
   */
  tokenEndpoint: 'ok' | 'fail' | 'hang' | 'unavailable';
  /** For SSE: destroy the socket after this many events (upstream death mid-stream); null = off. */
  streamDieAfterEvents: number | null;
}

/** Some knobs to change; `latencyMs` is merged per route. A `Partial<Faults>` is one. */
export type FaultsPatch = Omit<Partial<Faults>, 'latencyMs'> & { latencyMs?: Partial<LatencyFaults> };

/** Counters since start or the last reset. Credentials appear only as fingerprints. */
export interface SimulatorStats {
  /** Successful refresh_token grants. */
  refreshGrants: number;
  /** Successful client_credentials grants. */
  clientCredentialsGrants: number;
  /** Successful authorization_code grants. */
  authorizationCodeGrants: number;
  /** All hits on /oauth/token, including failed and hung ones. */
  tokenRequests: number;
  /** invalid_grant answers. */
  invalidGrant: number;
  /** Spent refresh tokens presented again (the family was revoked each time). */
  reuseDetections: number;
  /** Answers of POST /v1/messages by HTTP status, e.g. `{"200": 10, "401": 1}`. */
  messages: Record<string, number>;
  /** /v1/* requests carrying a known but expired access token (and no valid credential). */
  expiredTokenRequests: number;
  /** /v1/* requests with no credential, or only unknown or revoked ones. */
  unknownCredentialRequests: number;
  /** `fingerprint(credential)` → number of /v1/* requests presenting it. */
  credentialsSeen: Record<string, number>;
  /** Hits on POST /v1/messages/count_tokens. */
  countTokens: number;
  /** Hits on GET /v1/models. */
  models: number;
}

/** Tokens as the token endpoint returns them. */
export interface IssuedTokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

/** Options of `Simulator.issueTokens`. */
export interface IssueTokensOptions {
  /** Binds the family to this client; refreshing with another client_id fails. Default: unbound. */
  clientId?: string;
  /** Scope granted. Default `user:inference`. */
  scope?: string;
  /** Lifetime of this first access token only; refreshes use the server's current TTL. */
  accessTokenTtlSeconds?: number;
}

/** A running simulator. */
export interface Simulator {
  /** Base URL, e.g. `http://127.0.0.1:43123` (no trailing slash). */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** `${url}/oauth/token`. */
  readonly tokenUrl: string;
  /** `${url}/oauth/authorize`. */
  readonly authorizeUrl: string;
  /** A snapshot copy of the counters. */
  stats(): SimulatorStats;
  /** Sets every counter back to zero. */
  resetStats(): void;
  /** Merges knobs into the current faults (`latencyMs` per key). Throws a TypeError on a bad value. */
  setFaults(f: FaultsPatch): void;
  /** Accepts this API key from now on. */
  addApiKey(key: string): void;
  /** Stops accepting this API key. */
  revokeApiKey(key: string): void;
  /** Seeds a new refresh-token family as if a user logged in; returns its refresh token (and an access token). */
  issueTokens(opts?: IssueTokensOptions): IssuedTokens;
  /** Revokes the whole family a refresh token belongs to (like a user revoking the grant). Unknown tokens are ignored. */
  revokeFamily(refreshToken: string): void;
  /** Lifetime of access tokens issued from now on, in seconds. Throws a TypeError unless positive. */
  setAccessTokenTtl(seconds: number): void;
  /** Closes the server and destroys all sockets (including hung token requests) promptly. */
  close(): Promise<void>;
}
