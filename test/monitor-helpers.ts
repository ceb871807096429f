import { type Config, defaultConfig } from '../src/config/schema.js';
import { RequestRecord } from '../src/gateway/record.js';
import { EventBus } from '../src/monitor/EventBus.js';
import type { AuthEvent } from '../src/monitor/events.js';
import { Monitor, type MonitorOptions } from '../src/monitor/Monitor.js';
import type { ManagerSource } from '../src/monitor/MonitorData.js';

/** The default config with some `[performance.monitoring]` keys changed. */
export function monitoringConfig(patch: Partial<Config['performance']['monitoring']> = {}): Config {
  const c = defaultConfig();
  c.performance.monitoring = { ...c.performance.monitoring, ...patch };
  return c;
}

/** A monitor on a fresh bus that records every event; no Node default metrics (they are global). */
export function startMonitor(opts: Partial<MonitorOptions> = {}): {
  monitor: Monitor;
  bus: EventBus;
  events: AuthEvent[];
  alertTypes: () => string[];
} {
  const bus = opts.bus ?? new EventBus();
  const events: AuthEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const monitor = new Monitor({
    config: monitoringConfig(),
    clock: { now: () => Date.now() },
    metrics: { defaultMetrics: false },
    ...opts,
    bus,
  });
  const alertTypes = () =>
    events.filter((e) => e.type.startsWith('alert.')).map((e) => `${e.type} ${'rule' in e ? e.rule : ''}`);
  return { monitor, bus, events, alertTypes };
}

/** A finished request as the gateway hands it to onRequestDone. */
export function record(
  status: number,
  opts: Partial<Pick<RequestRecord, 'agentId' | 'source' | 'outcome' | 'authMs' | 'totalMs' | 'path'>> & {
    credentialKind?: RequestRecord['credentialKind'];
  } = {},
): RequestRecord {
  const r = new RequestRecord(
    `req_${Math.random().toString(36).slice(2)}`,
    Date.now(),
    'POST',
    opts.path ?? '/v1/messages',
  );
  r.agentId = opts.agentId === undefined ? 'builder-1' : opts.agentId;
  r.status = status;
  r.source = opts.source ?? 'upstream';
  r.outcome = opts.outcome ?? 'completed';
  r.credentialKind = opts.credentialKind === undefined ? 'api_key' : opts.credentialKind;
  r.keyCheckMs = 0.01;
  r.authMs = opts.authMs ?? 0.02;
  r.poolMs = 0.5;
  r.ttfbMs = 120;
  r.streamMs = 30;
  r.totalMs = opts.totalMs ?? 151;
  r.bytesIn = 200;
  r.bytesOut = 800;
  return r;
}

/** A manager double whose cache counters, circuits and token state the test sets. */
export class FakeManager implements ManagerSource {
  hits = 0;
  misses = 0;
  circuits: Record<string, 'closed' | 'open' | 'half_open'> = {};
  token = 'valid';

  stats(): ReturnType<ManagerSource['stats']> {
    const lookups = this.hits + this.misses;
    return {
      cache: {
        hits: this.hits,
        misses: this.misses,
        evictions: 0,
        expirations: 0,
        staleServed: 0,
        invalidations: 0,
        size: 3,
        maxSize: 1000,
        hitRate: lookups === 0 ? 0 : this.hits / lookups,
      },
      lookups: { count: lookups, avg: 0.01, p50: 0.01, p99: 0.02, max: 0.1 },
      refresh: { started: 0, succeeded: 0, failed: 0, coalesced: 0, queued: 0 },
      circuits: { ...this.circuits },
    };
  }

  tokenState(): { value: string } {
    return { value: this.token };
  }
}
