import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { type BodyLimit, bufferBody, limitedBody } from './body.js';
import type { GatewayContext } from './context.js';
import {
  authFailure,
  type GatewayFailure,
  INVALID_KEY,
  MISSING_KEY,
  SUBSCRIPTION_REFUSED,
  sendFailure,
  tooLarge,
  tooManyInFlight,
} from './errors.js';
import { carriesSubscriptionToken, rawHeaderValue, scanRequestHeaders } from './headers.js';
import type { AgentIdentity, UpstreamCredential } from './ports.js';
import { type AgentCounters, newAgentCounters, type RequestOutcome, RequestRecord } from './record.js';
import { overloadDelayMs, shouldBuffer } from './replay.js';
import { ResponseRelay } from './streaming.js';

const BAD_LENGTH: GatewayFailure = {
  status: 400,
  type: 'invalid_request_error',
  message: 'malformed content-length',
};
const INCOMPLETE_BODY: GatewayFailure = {
  status: 400,
  type: 'invalid_request_error',
  message: 'request body ended before its content-length',
};

/**
 * One proxied `/v1/*` request, from arrival to its record: key check, limits, credential, body
 * handling, upstream attempts (it is their undici handler, see ResponseRelay), replays, the end.
 * A flat sequence of callbacks: no promise unless UpstreamAuth returns one.
 */
export class Exchange extends ResponseRelay {
  private readonly gw: GatewayContext;
  private readonly req: IncomingMessage;
  private readonly t0: number;
  /** Forwarded headers; the credential's go after index `baseHeaders`. */
  private headers: string[] = [];
  private baseHeaders = 0;
  private identity: AgentIdentity | null = null;
  private agent: AgentCounters | null = null;
  private credential: UpstreamCredential | null = null;
  private body: Buffer | Readable | null = null;
  /** The body can be sent again (absent or buffered). */
  private replayable = true;
  private contentLength = -1;
  private chunked = false;
  /** Counts a chunked body (its size is known only once it has streamed). */
  private limiter: BodyLimit | null = null;
  private retryAfter: string | undefined;
  private replayed401 = false;
  private overloadRetries = 0;
  private authStart = 0;
  private inFlight = false;
  private readonly onClose = (): void => this.clientClosed();

  constructor(gw: GatewayContext, req: IncomingMessage, res: ServerResponse, path: string) {
    super(res, new RequestRecord(gw.nextRequestId(), gw.clock.now(), req.method ?? 'GET', path));
    this.gw = gw;
    this.req = req;
    this.t0 = performance.now();
  }

  /** Checks the key and limits, then asks for the credential; the rest follows from callbacks. */
  start(): void {
    const { gw, req, record } = this;
    this.res.on('close', this.onClose);
    const scan = scanRequestHeaders(req.rawHeaders);
    this.headers = scan.forward;
    this.baseHeaders = scan.forward.length;
    this.contentLength = scan.contentLength;
    this.chunked = scan.chunked;

    const k0 = performance.now();
    let id = scan.apiKey ? gw.keys.verify(scan.apiKey) : null;
    if (id === null && scan.bearer && scan.bearer !== scan.apiKey) id = gw.keys.verify(scan.bearer);
    if (id !== null && id.expiresAt !== null && id.expiresAt <= gw.clock.now()) id = null;
    record.keyCheckMs = performance.now() - k0;
    if (id === null) {
      this.refuse(scan.apiKey || scan.bearer ? INVALID_KEY : MISSING_KEY);
      return;
    }
    this.identity = id;
    record.agentId = id.agentId;
    record.keyId = id.keyId;

    let agent = gw.agents.get(id.agentId);
    if (agent === undefined) gw.agents.set(id.agentId, (agent = newAgentCounters()));
    this.agent = agent;
    if (Number.isNaN(this.contentLength)) {
      this.refuse(BAD_LENGTH, true);
      return;
    }
    if (this.contentLength > gw.maxBodyBytes) {
      this.refuse(tooLarge(gw.maxBodyBytes), true);
      return;
    }
    if (agent.inFlight >= gw.maxConcurrentPerAgent) {
      agent.concurrencyRefused++;
      this.refuse(tooManyInFlight(id.agentId, gw.maxConcurrentPerAgent));
      return;
    }
    agent.requests++;
    agent.inFlight++;
    this.inFlight = true;
    this.authenticate();
  }

  /** Asks UpstreamAuth for the credential: no promise when it answers synchronously. */
  private authenticate(): void {
    this.authStart = performance.now();
    let r: UpstreamCredential | Promise<UpstreamCredential>;
    try {
      r = this.gw.auth.authenticate((this.identity as AgentIdentity).agentId);
    } catch (e) {
      this.authFailed(e);
      return;
    }
    if (typeof (r as Promise<UpstreamCredential>).then === 'function') {
      (r as Promise<UpstreamCredential>).then(
        (c) => this.withCredential(c),
        (e: unknown) => this.authFailed(e),
      );
    } else {
      this.withCredential(r as UpstreamCredential);
    }
  }

  private authFailed(e: unknown): void {
    if (!this.done) this.refuse(authFailure(e, this.gw.clock.now()));
  }

  /** Injects the credential (never a subscription token) and sends, reading the body first if needed. */
  private withCredential(cred: UpstreamCredential): void {
    if (this.done) return;
    const { record, gw } = this;
    const ms = performance.now() - this.authStart;
    record.authMs = record.authMs < 0 ? ms : record.authMs + ms;
    record.credentialKind = cred.kind;
    if (cred.kind === 'claude_code_oauth' || carriesSubscriptionToken(cred.headers)) {
      this.refuse(SUBSCRIPTION_REFUSED);
      return;
    }
    this.credential = cred;
    const headers = this.headers;
    headers.length = this.baseHeaders;
    for (const name in cred.headers) headers.push(name, cred.headers[name] as string);
    if (record.attempts > 0) {
      this.send();
      return;
    }

    const length = this.contentLength;
    if (length <= 0 && !this.chunked) {
      this.send();
    } else if (shouldBuffer(length, gw.replayBufferBytes)) {
      bufferBody(this.req, length, (err, body) => {
        if (err !== null) {
          // almost always the agent going away (then this is a no-op or records the abort)
          const socket = this.res.socket;
          if (socket === null || socket.destroyed) this.clientClosed();
          else this.refuse(INCOMPLETE_BODY, true);
          return;
        }
        this.body = body;
        this.send();
      });
    } else {
      this.replayable = false;
      if (this.chunked) this.body = this.limiter = limitedBody(this.req, gw.maxBodyBytes);
      else this.body = this.req;
      this.send();
    }
  }

  /** One upstream attempt. */
  private send(): void {
    if (this.done) return;
    const { record, req } = this;
    record.attempts++;
    record.bytesIn = Math.max(this.contentLength, 0);
    this.discarding = 0;
    this.dispatchedAt = performance.now();
    this.gw.upstream.dispatch(
      {
        path: this.gw.basePath + (req.url as string),
        method: req.method as string,
        headers: this.headers,
        body: this.body,
      },
      this,
    );
  }

  /** Swallows a 401 on an OAuth token (once) and a 529 while retries are left; counts 429/529. */
  protected intercept(status: number, raw: Buffer[]): boolean {
    const agent = this.agent as AgentCounters;
    if (status === 401 && this.canReplay401()) {
      agent.upstream401++;
      return true;
    }
    const retry = this.gw.retryOverloaded;
    if (status === 529 && retry !== null && this.replayable && this.overloadRetries < retry.attempts) {
      this.retryAfter = rawHeaderValue(raw, 'retry-after');
      return true;
    }
    if (status === 429) agent.upstream429++;
    else if (status === 529) agent.upstream529++;
    return false;
  }

  private canReplay401(): boolean {
    return !this.replayed401 && this.replayable && this.credential?.kind === 'oauth_access_token';
  }

  /** After a swallowed 401: refresh once and resend; after a swallowed 529: wait and resend. */
  protected replay(): void {
    const agent = this.agent as AgentCounters;
    agent.replays++;
    if (this.discarding === 401) {
      this.replayed401 = true;
      const agentId = (this.identity as AgentIdentity).agentId;
      const started = performance.now();
      this.gw.auth.onUnauthorized(agentId, this.credential as UpstreamCredential).then(
        () => {
          if (this.done) return;
          this.record.authMs += performance.now() - started;
          this.authenticate();
        },
        (e: unknown) => this.authFailed(e),
      );
      return;
    }
    const retry = this.gw.retryOverloaded;
    this.overloadRetries++;
    const delay = overloadDelayMs(
      this.overloadRetries,
      this.retryAfter,
      retry === null ? 0 : retry.maxDelayMs,
    );
    setTimeout(() => this.send(), delay).unref();
  }

  /** The agent's connection closed before we finished: abort upstream and record it. */
  protected clientClosed(): void {
    if (this.done) return;
    const abort = this.abortUpstream;
    this.abortUpstream = null;
    if (this.agent !== null) this.agent.clientAborts++;
    this.finish('client_aborted');
    if (abort !== null) abort();
  }

  /** Answers with a gateway error in Anthropic's shape and records it. */
  protected refuse(f: GatewayFailure, close = false): void {
    const { record } = this;
    record.status = f.status;
    record.source = 'gateway';
    record.errorType = f.type;
    if (this.agent !== null) this.agent.gatewayErrors++;
    sendFailure(this.res, f, record.requestId, close);
    this.finish('refused');
  }

  /** Ends the exchange once: the agent's in-flight slot is freed and the record handed over. */
  protected finish(outcome: RequestOutcome): void {
    if (this.done) return;
    this.done = true;
    const { record } = this;
    record.outcome = outcome;
    record.totalMs = performance.now() - this.t0;
    if (this.limiter !== null) record.bytesIn = this.limiter.count;
    if (this.inFlight) (this.agent as AgentCounters).inFlight--;
    const hook = this.gw.onRequestDone;
    if (hook !== null) {
      try {
        hook(record);
      } catch {
        // monitoring must never break the proxy
      }
    }
  }
}
