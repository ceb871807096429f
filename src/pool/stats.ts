/** What {@link ClaudeConnectionPool.stats} reports. */
export interface ConnectionPoolStats {
  /** Whether connections are reused (`enable_connection_pooling`). */
  pooling: boolean;
  /** Origins with a pool. */
  origins: number;
  /** Requests sent through the pool since start. */
  requests: number;
  /** Connections opened since start (the pools' `connect` events). */
  connectionsOpened: number;
  /** Connections closed since start, for any reason. */
  connectionsClosed: number;
  /** Connect attempts that failed (refused, timed out, TLS error). */
  connectErrors: number;
  /** 1 − connectionsOpened / requests: the share of requests that reused a connection; 0 before any. */
  reuseRate: number;
  /** Mean TCP (plus TLS) connect time in ms; 0 before any connect. */
  avgConnectMs: number;
  /** Slowest connect in ms. */
  maxConnectMs: number;
  /** Open connections now. */
  connected: number;
  /** Open connections with nothing running now. */
  free: number;
  /** Requests waiting now: queued in the pools plus pending on connections. */
  pending: number;
  /** Requests queued in the pools now, waiting for a connection. */
  queued: number;
  /** Requests running now. */
  running: number;
}

/** Live figures summed over the origins. */
interface LiveFigures {
  connected: number;
  free: number;
  pending: number;
  queued: number;
  running: number;
}

/** The mutable counters behind {@link ConnectionPoolStats}; shared by every origin of one pool. */
export class ConnectionCounters {
  requests = 0;
  opened = 0;
  closed = 0;
  connectErrors = 0;
  private connects = 0;
  private connectMsTotal = 0;
  private connectMsMax = 0;

  /** One successful connect that took `ms`. */
  connected(ms: number): void {
    this.connects++;
    this.connectMsTotal += ms;
    if (ms > this.connectMsMax) this.connectMsMax = ms;
  }

  /** A copy with the derived figures. */
  snapshot(pooling: boolean, origins: number, live: LiveFigures): ConnectionPoolStats {
    return {
      pooling,
      origins,
      requests: this.requests,
      connectionsOpened: this.opened,
      connectionsClosed: this.closed,
      connectErrors: this.connectErrors,
      reuseRate: this.requests === 0 ? 0 : Math.max(0, 1 - this.opened / this.requests),
      avgConnectMs: this.connects === 0 ? 0 : this.connectMsTotal / this.connects,
      maxConnectMs: this.connectMsMax,
      ...live,
    };
  }
}
