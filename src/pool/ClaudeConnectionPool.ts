import { performance } from 'node:perf_hooks';
import { buildConnector, type Dispatcher, Pool } from 'undici';
import { ConnectionCounters, type ConnectionPoolStats } from './stats.js';

/** Options of {@link ClaudeConnectionPool}. Every field is optional. */
export interface ConnectionPoolOptions {
  /**
   * `[performance] enable_connection_pooling`. When false every request opens a fresh connection
   * and closes it afterwards (`reset`), which is slower but never reuses a socket. Default true.
   */
  pooling?: boolean;
  /**
   * Most connections per origin (the specification's "max connections per host"). Each carries one
   * request at a time (see allowH2), so this is also the most requests in flight upstream per
   * origin; more wait in the pool's queue (`stats().queued`). Raise it for fleets that stream more
   * than this many responses at once. Default 20.
   */
  connections?: number;
  /**
   * How long an idle connection is kept when the origin sends no `keep-alive: timeout` hint, in ms.
   * Longer keeps a bursty fleet warm; it must stay below the origin's own idle timeout. Default 30 000.
   */
  keepAliveTimeoutMs?: number;
  /** Upper bound on the origin's `keep-alive: timeout` hint, in ms. Default 600 000. */
  keepAliveMaxTimeoutMs?: number;
  /**
   * Negotiate HTTP/2 by ALPN on https origins that offer it (undici `allowH2`); plain http origins
   * always use HTTP/1.1. undici 7 runs a non-idempotent request (every POST /v1/messages) alone on
   * its h2 session, so h2 does not multiplex Messages traffic: each connection carries one request
   * at a time as on HTTP/1.1, and `connections` caps the requests in flight per origin. What h2
   * gives is cheap cancellation: an agent that goes away resets one stream, not the connection.
   * Default true.
   */
  allowH2?: boolean;
  /** TCP (and TLS) connect timeout, in ms. Default 10 000. */
  connectTimeoutMs?: number;
  /**
   * Longest wait for the response headers once the request is sent, in ms. A non-streaming Messages
   * request answers only when generation is done, so this is long. Default 600 000.
   */
  headersTimeoutMs?: number;
  /** Longest silence between two body chunks, in ms. Default 300 000. */
  bodyTimeoutMs?: number;
  /** Certificate authorities to trust for https origins instead of Node's bundle (PEM), e.g. an enterprise gateway's. */
  ca?: string | Buffer | (string | Buffer)[];
}

/** One origin's pool: counts what goes through it. Obtained from {@link ClaudeConnectionPool.forOrigin}. */
export class OriginPool {
  /** The origin, e.g. `https://api.anthropic.com`. */
  readonly origin: string;
  /** The undici pool behind it (for stats; send requests through this class so they are counted). */
  readonly pool: Pool;
  private readonly counters: ConnectionCounters;
  private readonly reset: boolean;

  /** @internal built by ClaudeConnectionPool */
  constructor(origin: string, pool: Pool, counters: ConnectionCounters, reset: boolean) {
    this.origin = origin;
    this.pool = pool;
    this.counters = counters;
    this.reset = reset;
  }

  /**
   * Sends a request with a raw undici handler (the lowest-cost path: `stream()` is this plus a
   * generic handler). With pooling disabled the request carries `reset: true`.
   */
  dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    this.counters.requests++;
    if (this.reset) opts.reset = true;
    return this.pool.dispatch(opts, handler);
  }

  /** undici `pool.stream()`: the body is written straight into the Writable `factory` returns. */
  stream<T = null>(
    opts: Dispatcher.RequestOptions<T>,
    factory: Dispatcher.StreamFactory<T>,
    callback: (err: Error | null, data: Dispatcher.StreamData<T>) => void,
  ): void {
    this.counters.requests++;
    if (this.reset) opts.reset = true;
    this.pool.stream(opts, factory, callback);
  }
}

/**
 * [ClaudeConnectionPool] undici pools, one per origin: keep-alive, HTTP/2 where offered, a
 * connection limit per origin, and reuse and connect-time statistics.
 */
export class ClaudeConnectionPool {
  private readonly origins = new Map<string, OriginPool>();
  private readonly counters = new ConnectionCounters();
  private readonly options: Required<Omit<ConnectionPoolOptions, 'ca'>>;
  private readonly ca: ConnectionPoolOptions['ca'];
  private closing: Promise<void> | undefined;

  constructor(options: ConnectionPoolOptions = {}) {
    this.options = {
      pooling: options.pooling ?? true,
      connections: options.connections ?? 20,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 30_000,
      keepAliveMaxTimeoutMs: options.keepAliveMaxTimeoutMs ?? 600_000,
      allowH2: options.allowH2 ?? true,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      headersTimeoutMs: options.headersTimeoutMs ?? 600_000,
      bodyTimeoutMs: options.bodyTimeoutMs ?? 300_000,
    };
    this.ca = options.ca;
    if (!Number.isInteger(this.options.connections) || this.options.connections < 1) {
      throw new TypeError('connections must be a positive integer');
    }
  }

  /** Whether connections are reused (`enable_connection_pooling`). */
  get pooling(): boolean {
    return this.options.pooling;
  }

  /**
   * The pool for `origin` (scheme, host and port; a path is ignored), created on first use.
   * Throws a TypeError on a URL that is not http or https, or after close().
   */
  forOrigin(url: string | URL): OriginPool {
    const origin = typeof url === 'string' ? new URL(url).origin : url.origin;
    let entry = this.origins.get(origin);
    if (entry !== undefined) return entry;
    if (this.closing !== undefined) throw new TypeError('connection pool is closed');
    if (!origin.startsWith('http://') && !origin.startsWith('https://')) {
      throw new TypeError(`upstream must be an http or https URL, got ${origin}`);
    }
    const o = this.options;
    const pool = new Pool(origin, {
      connections: o.connections,
      pipelining: o.pooling ? 1 : 0,
      keepAliveTimeout: o.keepAliveTimeoutMs,
      keepAliveMaxTimeout: o.keepAliveMaxTimeoutMs,
      headersTimeout: o.headersTimeoutMs,
      bodyTimeout: o.bodyTimeoutMs,
      allowH2: o.allowH2,
      connect: this.timedConnector(),
    });
    const counters = this.counters;
    pool.on('connect', () => {
      counters.opened++;
    });
    pool.on('disconnect', () => {
      counters.closed++;
    });
    entry = new OriginPool(origin, pool, counters, !o.pooling);
    this.origins.set(origin, entry);
    return entry;
  }

  /** The connector undici would build, wrapped to time each connect (TCP plus TLS). */
  private timedConnector(): buildConnector.connector {
    const base = buildConnector({
      allowH2: this.options.allowH2,
      timeout: this.options.connectTimeoutMs,
      keepAlive: true,
      ...(this.ca === undefined ? {} : { ca: this.ca }),
    });
    const counters = this.counters;
    return (opts, callback) => {
      const start = performance.now();
      base(opts, (err, socket) => {
        if (err === null) {
          counters.connected(performance.now() - start);
          callback(null, socket);
        } else {
          counters.connectErrors++;
          callback(err, null);
        }
      });
    };
  }

  /** Counters since start, plus the live queue and socket figures of every origin. */
  stats(): ConnectionPoolStats {
    const live = { connected: 0, free: 0, pending: 0, queued: 0, running: 0 };
    for (const { pool } of this.origins.values()) {
      const s = pool.stats;
      live.connected += s.connected;
      live.free += s.free;
      live.pending += s.pending;
      live.queued += s.queued;
      live.running += s.running;
    }
    return this.counters.snapshot(this.options.pooling, this.origins.size, live);
  }

  /** Destroys every connection at once (in-flight requests fail) and refuses new origins. */
  close(): Promise<void> {
    this.closing ??= Promise.all([...this.origins.values()].map(({ pool }) => pool.destroy())).then(() => {
      this.origins.clear();
    });
    return this.closing;
  }
}
