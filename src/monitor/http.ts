import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteHandler } from '../gateway/context.js';
import type { AuthEvent } from './events.js';
import type { PerformanceMonitor } from './PerformanceMonitor.js';

/** Options of {@link createMonitorRoutes}. */
export interface MonitorRoutesOptions {
  /** The analyzer's current recommendations, asked for each dashboard. Default none. */
  recommendations?: () => readonly string[];
  /** Milliseconds between `dashboard` snapshots on /api/events. Default 1000. */
  snapshotMs?: number;
  /** Milliseconds between heartbeat comments on /api/events. Default 15 000. */
  heartbeatMs?: number;
  /** Unsent bytes a client may hold before it is disconnected (it reconnects). Default 1 MiB. */
  maxBacklogBytes?: number;
  /** Per-second points in each snapshot. Default 300 (five minutes). */
  snapshotSeriesSeconds?: number;
}

/** The observability routes the gateway mounts, and their SSE bookkeeping. */
export interface MonitorRoutes {
  /** `GET /metrics`: Prometheus text. */
  readonly metrics: RouteHandler;
  /** `GET /api/dashboard[?series=SECONDS]`: the dashboard JSON. */
  readonly dashboard: RouteHandler;
  /** `GET /api/events`: every bus event as SSE, plus a `dashboard` snapshot each `snapshotMs`. */
  readonly events: RouteHandler;
  /** SSE clients connected now. */
  readonly clients: number;
  /** SSE clients disconnected because their backlog passed `maxBacklogBytes`. */
  readonly dropped: number;
  /** Ends every SSE stream and stops the timers. */
  close(): void;
}

const NO_STORE = 'no-store';

function fail(res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const message = e instanceof Error ? e.message : 'monitor failed';
  res.writeHead(500, { 'content-type': 'application/json', 'cache-control': NO_STORE });
  res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message } }));
}

function seriesParam(req: IncomingMessage): number | undefined {
  const q = req.url?.indexOf('?') ?? -1;
  if (q < 0) return undefined;
  const v = Number(new URLSearchParams(req.url?.slice(q + 1)).get('series'));
  return Number.isInteger(v) && v >= 0 ? v : undefined;
}

/**
 * Creates the handlers for `/metrics`, `/api/dashboard` and `/api/events`. The SSE side shares one
 * bus subscription and one snapshot timer (both unref'd) among its clients, made when the first
 * client connects and dropped when the last leaves. Each event is serialized once. A client that
 * cannot keep up skips snapshots (the next one supersedes them) and is disconnected once its
 * unsent bytes pass `maxBacklogBytes`, so one slow reader never grows memory without bound.
 */
export function createMonitorRoutes(
  monitor: PerformanceMonitor,
  options: MonitorRoutesOptions = {},
): MonitorRoutes {
  const recommendations = options.recommendations ?? (() => []);
  const snapshotMs = options.snapshotMs ?? 1000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxBacklog = options.maxBacklogBytes ?? 1024 * 1024;
  const seriesSeconds = options.snapshotSeriesSeconds ?? 300;
  const clients = new Set<ServerResponse>();
  let dropped = 0;
  let unsubscribe: (() => void) | null = null;
  let timers: NodeJS.Timeout[] = [];

  const snapshot = () =>
    `event: dashboard\ndata: ${JSON.stringify(monitor.dashboard(recommendations(), { seriesSeconds }))}\n\n`;

  const send = (res: ServerResponse, chunk: string, skippable: boolean) => {
    if (skippable && res.writableNeedDrain) return;
    if (res.writableLength > maxBacklog) {
      dropped++;
      res.destroy();
      return;
    }
    res.write(chunk);
  };

  const broadcast = (chunk: string, skippable: boolean) => {
    for (const res of clients) send(res, chunk, skippable);
  };

  const start = () => {
    unsubscribe = monitor.bus.subscribe((e: AuthEvent) => {
      broadcast(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`, false);
    });
    const snap = setInterval(() => {
      try {
        broadcast(snapshot(), true);
      } catch {
        // a failing snapshot must not take the stream down; the next one may succeed
      }
    }, snapshotMs);
    const beat = setInterval(() => broadcast(': heartbeat\n\n', true), heartbeatMs);
    snap.unref();
    beat.unref();
    timers = [snap, beat];
  };

  const stop = () => {
    unsubscribe?.();
    unsubscribe = null;
    for (const t of timers) clearInterval(t);
    timers = [];
  };

  const events: RouteHandler = (_req, res) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': NO_STORE,
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    if (clients.size === 0) start();
    clients.add(res);
    const leave = () => {
      if (!clients.delete(res)) return;
      if (clients.size === 0) stop();
    };
    // the response's 'close' is the connection going away (the request's fires once its body is read)
    res.on('close', leave);
    try {
      res.write(`retry: 2000\n\n${snapshot()}`);
    } catch (e) {
      leave();
      fail(res, e);
    }
  };

  return {
    metrics: (_req, res) => {
      monitor.metricsText().then(
        (text) => {
          res.writeHead(200, { 'content-type': monitor.metricsContentType, 'cache-control': NO_STORE });
          res.end(text);
        },
        (e: unknown) => fail(res, e),
      );
    },
    dashboard: (req, res) => {
      try {
        const body = JSON.stringify(
          monitor.dashboard(recommendations(), { seriesSeconds: seriesParam(req) }),
        );
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': NO_STORE });
        res.end(body);
      } catch (e) {
        fail(res, e);
      }
    },
    events,
    get clients() {
      return clients.size;
    },
    get dropped() {
      return dropped;
    },
    close() {
      for (const res of clients) res.end();
      clients.clear();
      stop();
    },
  };
}
