import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { BodyTooLargeError } from './body.js';
import { type GatewayFailure, tooLarge, upstreamFailure } from './errors.js';
import { responseHeaders } from './headers.js';
import type { RequestOutcome, RequestRecord } from './record.js';

/**
 * Sends an event stream's headers on their own if no body chunk has carried them out by now:
 * usually the first event arrives in the same read as the headers and goes out with them in one
 * write, so the separate flush (one more syscall per stream) is only paid when the agent would
 * otherwise wait for the first event to see the 200.
 */
function flushIfIdle(relay: ResponseRelay): void {
  relay.flushHeadersIfIdle();
}

/**
 * The undici dispatch handler half of an exchange: relays an upstream answer into the agent's
 * response as it arrives — headers at once (flushed for event streams), each body chunk written
 * when it comes with backpressure both ways, no buffering, no decoding. This is what
 * `pool.stream()` does with its generic handler, minus that handler's allocations, plus stage
 * timing. Subclasses decide which answers to swallow for a replay and how the exchange ends.
 */
export abstract class ResponseRelay implements Dispatcher.DispatchHandler {
  readonly record: RequestRecord;
  protected readonly res: ServerResponse;
  /** The exchange is over (answered, failed or abandoned); late upstream events are ignored. */
  protected done = false;
  /** Aborts the running attempt (undici destroys its connection); null when none runs. */
  protected abortUpstream: ((err?: Error) => void) | null = null;
  /** Status of an upstream answer being swallowed before a replay, or 0. */
  protected discarding = 0;
  protected dispatchedAt = 0;
  private connectedAt = 0;
  private headersAt = 0;
  private resumeUpstream: (() => void) | null = null;
  private drainHooked = false;

  constructor(res: ServerResponse, record: RequestRecord) {
    this.res = res;
    this.record = record;
  }

  /**
   * Called with every final upstream status before anything is relayed: true swallows this answer
   * (its body is discarded and `replay()` runs when it is complete).
   */
  protected abstract intercept(status: number, raw: Buffer[]): boolean;
  /** The swallowed answer is complete: send the request again (or give up). */
  protected abstract replay(): void;
  /** Answers with a gateway error and ends the exchange. */
  protected abstract refuse(f: GatewayFailure, close?: boolean): void;
  /** Ends the exchange and hands the record over. */
  protected abstract finish(outcome: RequestOutcome): void;
  /** The agent's connection is gone: abort upstream, record it. */
  protected abstract clientClosed(): void;

  /** undici: the request is on a connection (pool queue and connect are behind it). */
  onConnect(abort: (err?: Error) => void): void {
    this.connectedAt = performance.now();
    if (this.done) abort();
    else this.abortUpstream = abort;
  }

  /** undici: the response headers arrived. */
  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    if (status < 200 || this.done) return true;
    const { record, res } = this;
    const now = performance.now();
    record.poolMs = this.connectedAt - this.dispatchedAt;
    record.ttfbMs = now - this.connectedAt;
    this.headersAt = now;
    this.resumeUpstream = resume;
    if (this.intercept(status, raw)) {
      this.discarding = status;
      return true;
    }
    const out = responseHeaders(raw, record.requestId);
    record.status = status;
    record.source = 'upstream';
    record.streamed = out.eventStream;
    record.upstreamRequestId = out.upstreamRequestId;
    res.writeHead(status, out.headers);
    if (out.eventStream) setImmediate(flushIfIdle, this);
    return true;
  }

  /** @internal see flushIfIdle */
  flushHeadersIfIdle(): void {
    if (!this.done && this.record.bytesOut === 0 && !this.res.destroyed) this.res.flushHeaders();
  }

  /** undici: a body chunk, written as it comes; false pauses upstream until the agent drains. */
  onData(chunk: Buffer): boolean {
    if (this.discarding !== 0 || this.done) return true;
    this.record.bytesOut += chunk.length;
    if (this.res.write(chunk)) return true;
    if (!this.drainHooked) {
      this.drainHooked = true;
      this.res.on('drain', () => this.resumeUpstream?.());
    }
    return false;
  }

  /** undici: the response is complete. */
  onComplete(): void {
    this.abortUpstream = null;
    if (this.done) return;
    if (this.discarding !== 0) {
      this.replay();
      return;
    }
    this.res.end();
    this.record.streamMs = performance.now() - this.headersAt;
    this.finish('completed');
  }

  /**
   * undici: the attempt failed (connect, timeout, reset, an oversized chunked body, or our abort).
   * Before the headers went out the agent gets a 502/504/413; after, its connection is cut, so it
   * sees a broken stream rather than a hang.
   */
  onError(err: Error): void {
    this.abortUpstream = null;
    if (this.done) return;
    const socket = this.res.socket;
    if (socket === null || socket.destroyed) {
      // the agent left mid-upload: its body stream failed before our close listener ran
      this.clientClosed();
    } else if (err instanceof BodyTooLargeError) {
      this.refuse(tooLarge(err.limit), true);
    } else if (this.res.headersSent) {
      this.record.streamMs = performance.now() - this.headersAt;
      this.res.destroy(err);
      this.finish('upstream_failed');
    } else {
      this.refuse(upstreamFailure(err));
    }
  }
}
