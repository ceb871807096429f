import { type Clock, systemClock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { RequestRecord } from '../gateway/record.js';
import { AlertEngine, type AlertView } from './AlertEngine.js';
import { type AlertTuning, buildAlertRules } from './alertRules.js';
import { buildDashboard, type Dashboard } from './dashboard.js';
import type { EventBus } from './EventBus.js';
import type { AuthEvent } from './events.js';
import { computeHealth, type HealthReport } from './health.js';
import { type MetricsOptions, MetricsRegistry } from './MetricsRegistry.js';
import { type ManagerSource, type MemoryReport, MonitorData, type PoolSource } from './MonitorData.js';
import type { DashboardOptions, PerformanceMonitor } from './PerformanceMonitor.js';
import { RequestKind } from './RequestStats.js';

/** Options of {@link Monitor} (and {@link createMonitor}). */
export interface MonitorOptions {
  config: Config;
  /** Event bus to read refresh/circuit/re-login events from and to emit alert events on. */
  bus: EventBus;
  clock?: Clock;
  /** Sampled once a second: cache hits and misses, refresh counters, circuits, token state. */
  manager?: ManagerSource;
  /** Sampled once a second: connections opened, reuse, pending. */
  pool?: PoolSource;
  metrics?: MetricsOptions;
  alerts?: AlertTuning;
  /** Milliseconds between ticks. Default 1000; 0 runs no timer (call `tick()` yourself). */
  tickMs?: number;
  /** Agents kept in the per-agent table (least recently seen go first). Default 1000. */
  maxAgents?: number;
}

const THROTTLED_OR_FAILED = RequestKind.Upstream429 | RequestKind.Upstream529 | RequestKind.UpstreamError;

/**
 * The specification's PerformanceMonitor: Prometheus metrics, alert rules, health scores and the
 * dashboard JSON over one {@link MonitorData}. It owns two unref'd timers: the one-second tick
 * (samples the manager and the pool, closes the per-second row) and the alert engine's scheduled
 * check. `observeAuthentication` and `observeRequest` are the hot-path hooks: plain counters,
 * and an alert check only for a breaching sample or while some alert is not inactive.
 */
export class Monitor implements PerformanceMonitor {
  readonly enabled = true;
  readonly bus: EventBus;
  private readonly clock: Clock;
  private readonly data: MonitorData;
  private readonly engine: AlertEngine;
  private readonly registry: MetricsRegistry;
  private readonly authThresholdMs: number;
  private readonly memoryThresholdMb: number;
  private readonly cacheThreshold: number;
  private readonly minSamples: number;
  private readonly unsubscribe: () => void;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: MonitorOptions) {
    this.clock = options.clock ?? systemClock;
    this.bus = options.bus;
    const config = options.config;
    const mon = config.performance.monitoring;
    this.authThresholdMs = mon.authentication_threshold_ms;
    this.memoryThresholdMb = mon.memory_threshold_mb;
    this.cacheThreshold = mon.cache_hit_rate_threshold;
    this.minSamples = options.alerts?.minSamples ?? 20;
    const data = new MonitorData(
      config,
      this.clock.now(),
      options.manager ?? null,
      options.pool ?? null,
      options.maxAgents ?? 1000,
    );
    this.data = data;
    this.engine = new AlertEngine({
      rules: buildAlertRules(mon, data, options.alerts),
      breachCount: mon.alert_threshold_breach_count,
      cooldownMs: mon.alert_cooldown_minutes * 60_000,
      intervalMs: mon.health_check_interval_minutes * 60_000,
      clock: this.clock,
      bus: this.bus,
    });
    this.registry = new MetricsRegistry(
      {
        data,
        rules: () => this.engine.rules(),
        firing: () => this.engine.firing(),
        health: () => this.health(),
        activeAgents: () => this.activeAgents(),
      },
      options.metrics,
    );
    this.unsubscribe = this.bus.subscribe((e) => this.onEvent(e));
    const tickMs = options.tickMs ?? 1000;
    if (tickMs > 0) {
      this.timer = setInterval(() => this.tick(), tickMs);
      this.timer.unref();
    }
  }

  observeAuthentication(ms: number, cached: boolean): void {
    this.data.observeAuthentication(ms, cached);
    const breach = ms > this.authThresholdMs;
    if (breach || !this.engine.quiet) this.engine.sample('authentication_latency', breach);
  }

  observeRequest(record: RequestRecord): void {
    const kind = this.data.observeRequest(record);
    const quiet = this.engine.quiet;
    if (!quiet || kind & THROTTLED_OR_FAILED) {
      this.engine.sample('rate_limited', (kind & (RequestKind.Upstream429 | RequestKind.Upstream529)) !== 0);
      this.engine.sample('upstream_errors', (kind & RequestKind.UpstreamError) !== 0);
    }
    const slowAuth = record.authMs > this.authThresholdMs;
    if (slowAuth || !quiet) this.engine.sample('authentication_latency', slowAuth);
  }

  setMemory(report: MemoryReport): void {
    this.data.memory = { ...report, ...(report.agents ? { agents: [...report.agents] } : {}) };
    this.sampleMemory();
  }

  tick(): void {
    if (this.closed) return;
    const data = this.data;
    const { hits, misses } = data.closeSecond(this.clock.now());
    if (hits + misses > 0) this.engine.sample('cache_hit_rate', hits / (hits + misses) < this.cacheThreshold);
    this.engine.sample('circuit_open', data.openCircuits().length > 0);
    this.engine.sample('reauth_required', data.refresh.reauth.size > 0);
    this.sampleMemory();
  }

  alerts(): AlertView[] {
    return this.engine.list();
  }

  health(): HealthReport {
    const firing = this.engine.firing().map((r) => r.severity);
    return computeHealth(this.data.healthInputs(firing, this.minSamples));
  }

  dashboard(recommendations: readonly string[] = [], options: DashboardOptions = {}): Dashboard {
    return buildDashboard(this.data, {
      now: this.clock.now(),
      health: this.health(),
      alerts: this.engine.list(),
      recommendations,
      activeAgents: this.activeAgents(),
      ...options,
    });
  }

  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  get metricsContentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.engine.close();
    this.unsubscribe();
  }

  private onEvent(e: AuthEvent): void {
    if (!this.data.refresh.handle(e)) {
      if (e.type === 'memory.over_limit') {
        this.data.noteAgentMemory(e.agentId, e.observedMb);
        this.sampleMemory();
      }
      return;
    }
    switch (e.type) {
      case 'refresh.succeeded':
      case 'refresh.failed':
        this.data.countRefresh(e.type === 'refresh.succeeded');
        this.engine.sample('refresh_failures', e.type === 'refresh.failed');
        break;
      case 'circuit.opened':
      case 'circuit.half_open':
      case 'circuit.closed':
        this.engine.sample('circuit_open', e.type !== 'circuit.closed');
        break;
      case 'reauth.required':
        this.engine.sample('reauth_required', true);
        break;
    }
  }

  private sampleMemory(): void {
    const largest = this.data.largestAgent();
    if (largest !== null) this.engine.sample('memory_per_agent', largest.mb > this.memoryThresholdMb);
  }

  /** Agents with a request within `session_timeout_minutes`, or a memory reservation now. */
  private activeAgents(): number {
    const since = this.clock.now() - this.data.config.performance.memory.session_timeout_minutes * 60_000;
    const names = new Set<string>();
    for (const [agent, a] of this.data.requests.agents) if (a.lastSeen >= since) names.add(agent);
    for (const a of this.data.memory?.agents ?? []) names.add(a.agent);
    return names.size;
  }
}
