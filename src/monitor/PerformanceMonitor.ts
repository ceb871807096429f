import { defaultConfig } from '../config/schema.js';
import type { RequestRecord } from '../gateway/record.js';
import type { AlertView } from './AlertEngine.js';
import { buildDashboard, type Dashboard } from './dashboard.js';
import type { EventBus } from './EventBus.js';
import { COMPONENTS, type Component, type ComponentHealth, type HealthReport } from './health.js';
import { Monitor, type MonitorOptions } from './Monitor.js';
import { type MemoryReport, MonitorData } from './MonitorData.js';

/** Options of `dashboard()`. */
export interface DashboardOptions {
  /** Per-second points to include (default the 600 kept). */
  seriesSeconds?: number;
  /** Rows of the agents table, busiest first (default 200). */
  maxAgentRows?: number;
}

/** What the composer wires: the real {@link Monitor}, or {@link NoopMonitor} when monitoring is off. */
export interface PerformanceMonitor {
  /** False for the no-op monitor. */
  readonly enabled: boolean;
  /** The bus alert events go to (and `/api/events` streams). */
  readonly bus: EventBus;
  /** Hot-path hook: one library authentication took `ms`, served from the cache or not. */
  observeAuthentication(ms: number, cached: boolean): void;
  /** Hot-path hook: one gateway request is over (the gateway's `onRequestDone`). */
  observeRequest(record: RequestRecord): void;
  /** Memory now, from the agent session registry. */
  setMemory(report: MemoryReport): void;
  /** Closes the current second (its own timer calls this once a second). */
  tick(): void;
  /** Pending, firing and recently resolved alerts. */
  alerts(): AlertView[];
  health(): HealthReport;
  /** The dashboard JSON; `recommendations` are the analyzer's findings. */
  dashboard(recommendations?: readonly string[], options?: DashboardOptions): Dashboard;
  /** The Prometheus text exposition. */
  metricsText(): Promise<string>;
  /** Content-Type of `metricsText()`. */
  readonly metricsContentType: string;
  /** Stops the timers and the bus subscription; idempotent. */
  close(): void;
}

/** `[performance] enable_monitoring = false` gives this monitor. */
export const MONITORING_OFF = 'Monitoring is off ([performance] enable_monitoring = false)';

/**
 * The monitor when `enable_monitoring = false`: same interface, every hook a no-op, no timer, no
 * registry. `dashboard()` still answers with the shape (zeros) and says monitoring is off.
 */
export class NoopMonitor implements PerformanceMonitor {
  readonly enabled = false;
  readonly metricsContentType = 'text/plain; version=0.0.4; charset=utf-8';
  private empty: MonitorData | null = null;

  constructor(readonly bus: EventBus) {}

  observeAuthentication(_ms: number, _cached: boolean): void {}
  observeRequest(_record: RequestRecord): void {}
  setMemory(_report: MemoryReport): void {}
  tick(): void {}
  alerts(): AlertView[] {
    return [];
  }

  health(): HealthReport {
    const none: ComponentHealth = { score: 100, status: 'no_data', value: 0, figure: 'monitoring off' };
    const components = Object.fromEntries(COMPONENTS.map((c) => [c, { ...none }])) as Record<
      Component,
      ComponentHealth
    >;
    return { score: 100, components, capped_by: null };
  }

  dashboard(recommendations: readonly string[] = [], options: DashboardOptions = {}): Dashboard {
    // built on first use only: a monitor that is off costs nothing until someone asks
    this.empty ??= new MonitorData(defaultConfig(), Date.now(), null, null, 1);
    const d = buildDashboard(this.empty, {
      now: Date.now(),
      health: this.health(),
      alerts: [],
      recommendations: [...recommendations, MONITORING_OFF],
      activeAgents: 0,
      ...options,
    });
    d.details.monitoring = false;
    return d;
  }

  async metricsText(): Promise<string> {
    return `# ${MONITORING_OFF}\n`;
  }

  close(): void {}
}

/** The real monitor, or the no-op one when `[performance] enable_monitoring` is false. */
export function createMonitor(options: MonitorOptions): PerformanceMonitor {
  return options.config.performance.enable_monitoring ? new Monitor(options) : new NoopMonitor(options.bus);
}
