import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { AGENT_NAME_PATTERN } from '../agents/agentName.js';
import type { AlertRule } from './AlertEngine.js';
import { CollectedHistogram } from './CollectedHistogram.js';
import { COMPONENTS, type HealthReport } from './health.js';
import type { MonitorData } from './MonitorData.js';
import { REFRESH_REASONS } from './RefreshTracker.js';
import { type AgentTraffic, OUTCOMES, SOURCES, STAGES, STATUS_CLASSES } from './RequestStats.js';

/** Options of {@link MetricsRegistry}. */
export interface MetricsOptions {
  /** Export per-agent series labelled with the agent name. Default false. */
  agentLabels?: boolean;
  /** At most this many agents get their own series (the first seen); the rest only count in totals. Default 50. */
  maxAgentLabels?: number;
  /** Node's default metrics (CPU, heap, event loop lag, GC), prefixed. Default true. */
  defaultMetrics?: boolean;
}

/** What the registry reads besides the data: alerts and health, computed at scrape time. */
export interface MetricsInputs {
  data: MonitorData;
  rules: () => readonly AlertRule[];
  firing: () => readonly AlertRule[];
  health: () => HealthReport;
  activeAgents: () => number;
}

/** Prefix of every metric name. */
export const PREFIX = 'claude_auth_';
const MB = 1024 * 1024;
type Labelled = ReadonlyArray<readonly [Record<string, string>, number]>;

/**
 * The Prometheus view of the monitor, in its own prom-client Registry (never the global one).
 * Everything is read at scrape time through `collect()`: the request and authentication paths only
 * touch plain counters. Labels take values from closed sets (cache outcome, status class, outcome,
 * stage, rule, component, refresh reason); agent names only with `agentLabels`, validated and capped.
 */
export class MetricsRegistry {
  readonly registry = new Registry();
  private readonly labelledAgents = new Set<string>();

  constructor(
    private readonly inputs: MetricsInputs,
    private readonly options: MetricsOptions = {},
  ) {
    const { data } = inputs;
    const reg = this.registry;
    const n = (s: string) => `${PREFIX}${s}`;
    const counter = (name: string, help: string, labelNames: readonly string[], read: () => Labelled) => {
      const metric: Counter<string> = new Counter({
        name: n(name),
        help,
        labelNames: [...labelNames],
        registers: [reg],
        collect() {
          metric.reset();
          for (const [labels, v] of read()) metric.inc(labels, v);
        },
      });
    };
    const gauge = (name: string, help: string, labelNames: readonly string[], read: () => Labelled) => {
      const metric: Gauge<string> = new Gauge({
        name: n(name),
        help,
        labelNames: [...labelNames],
        registers: [reg],
        collect() {
          metric.reset();
          for (const [labels, v] of read()) metric.set(labels, v);
        },
      });
    };
    const one = (v: number): Labelled => [[{}, v]];

    new CollectedHistogram(
      reg,
      n('authentication_duration_seconds'),
      'authenticateAgent latency by cache outcome.',
      ['cache'],
      () => [
        { labels: { cache: 'hit' }, histogram: data.authHit },
        { labels: { cache: 'miss' }, histogram: data.authMiss },
      ],
    );
    counter('cache_lookups_total', 'Authentication cache lookups by result.', ['result'], () => {
      // with a manager its cache is the truth (library and gateway lookups); without one, the hook
      const c = data.manager === null ? undefined : (data.managerStats?.cache ?? { hits: 0, misses: 0 });
      const hits = c ? c.hits : data.authHit.count;
      const misses = c ? c.misses : data.authMiss.count;
      return [
        [{ result: 'hit' }, hits],
        [{ result: 'miss' }, misses],
      ];
    });
    gauge('cache_entries', 'Entries in the authentication cache.', [], () =>
      one(data.managerStats?.cache?.size ?? 0),
    );
    counter('cache_evictions_total', 'Cache entries pushed out by the size limit.', [], () =>
      one(data.managerStats?.cache?.evictions ?? 0),
    );

    const rt = data.refresh;
    new CollectedHistogram(
      reg,
      n('refresh_duration_seconds'),
      'Token refresh duration by outcome.',
      ['outcome'],
      () => [
        { labels: { outcome: 'success' }, histogram: rt.duration.success },
        { labels: { outcome: 'failure' }, histogram: rt.duration.failure },
      ],
    );
    counter('refreshes_total', 'Token refreshes by outcome and reason.', ['outcome', 'reason'], () =>
      REFRESH_REASONS.flatMap((reason, i) => [
        [{ outcome: 'success', reason }, rt.byReason[i]!] as const,
        [{ outcome: 'failure', reason }, rt.byReason[REFRESH_REASONS.length + i]!] as const,
      ]),
    );
    gauge('circuits_open', 'Token endpoints whose circuit breaker is open or half open.', [], () =>
      one(rt.open().length),
    );
    gauge('reauth_required', 'Credentials that need a new login.', [], () => one(rt.reauth.size));

    const rq = data.requests;
    counter(
      'requests_total',
      'Gateway requests by source, outcome and status class.',
      ['source', 'outcome', 'status_class'],
      () =>
        SOURCES.flatMap((source) =>
          OUTCOMES.flatMap((outcome) =>
            STATUS_CLASSES.map(
              (cls) => [{ source, outcome, status_class: cls }, rq.count(source, outcome, cls)] as const,
            ),
          ),
        ).filter(([, v]) => v > 0),
    );
    const byClass = (hists: typeof rq.ttfb) => () =>
      STATUS_CLASSES.map((cls, i) => ({ labels: { status_class: cls }, histogram: hists[i]! })).filter(
        (s) => s.histogram.count > 0,
      );
    new CollectedHistogram(
      reg,
      n('upstream_duration_seconds'),
      'Upstream time from connection to last byte, by status class.',
      ['status_class'],
      byClass(rq.upstreamDuration),
    );
    new CollectedHistogram(
      reg,
      n('upstream_ttfb_seconds'),
      'Upstream time to first byte, by status class.',
      ['status_class'],
      byClass(rq.ttfb),
    );
    new CollectedHistogram(
      reg,
      n('gateway_stage_duration_seconds'),
      'Time per stage of a gateway request.',
      ['stage'],
      () => STAGES.map((stage) => ({ labels: { stage }, histogram: rq.stageHistograms[stage] })),
    );
    counter('upstream_429_total', 'Upstream answers 429 (rate limited).', [], () => one(rq.upstream429));
    counter('upstream_529_total', 'Upstream answers 529 (overloaded).', [], () => one(rq.upstream529));

    const pool = () => data.poolStats;
    counter('pool_requests_total', 'Requests sent through the connection pool.', [], () =>
      one(pool()?.requests ?? 0),
    );
    counter('pool_connections_opened_total', 'Upstream connections opened.', [], () =>
      one(pool()?.connectionsOpened ?? 0),
    );
    counter('pool_connect_errors_total', 'Upstream connect attempts that failed.', [], () =>
      one(pool()?.connectErrors ?? 0),
    );
    gauge('pool_connections_open', 'Upstream connections open now.', [], () => one(pool()?.connected ?? 0));
    gauge('pool_pending_requests', 'Requests waiting for an upstream connection.', [], () =>
      one(pool()?.pending ?? 0),
    );
    gauge('pool_reuse_ratio', 'Share of pooled requests that reused a connection, since start.', [], () =>
      one(pool()?.reuseRate ?? 0),
    );

    gauge('active_agents', 'Agents with a request or a session within the session timeout.', [], () =>
      one(inputs.activeAgents()),
    );
    gauge('memory_reserved_bytes', 'Memory reserved by agent sessions.', [], () =>
      one((data.memory?.reservedMb ?? 0) * MB),
    );
    gauge('memory_observed_bytes', 'Memory measured in launched agents.', [], () =>
      one((data.memory?.observedMb ?? 0) * MB),
    );

    gauge('alerts_firing', 'Alerts firing, by rule (1 firing, 0 not).', ['rule', 'severity'], () => {
      const firing = new Set(inputs.firing().map((r) => r.id));
      return inputs
        .rules()
        .map((r) => [{ rule: r.id, severity: r.severity }, firing.has(r.id) ? 1 : 0] as const);
    });
    gauge('health_score', 'Health score 0–100 by component, and overall.', ['component'], () => {
      const h = inputs.health();
      return [
        [{ component: 'overall' }, h.score] as const,
        ...COMPONENTS.map((c) => [{ component: c }, h.components[c].score] as const),
      ];
    });

    if (options.agentLabels === true) this.agentMetrics(counter, gauge);
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: reg, prefix: PREFIX });
  }

  /** The Prometheus text exposition. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Content-Type of `metrics()`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  private agentMetrics(
    counter: (name: string, help: string, labels: readonly string[], read: () => Labelled) => void,
    gauge: (name: string, help: string, labels: readonly string[], read: () => Labelled) => void,
  ): void {
    const { data } = this.inputs;
    const agents = () => {
      const out: Array<[string, AgentTraffic]> = [];
      for (const [id, a] of data.requests.agents) if (this.labelled(id)) out.push([id, a]);
      return out;
    };
    counter('agent_requests_total', 'Gateway requests by agent (agentLabels).', ['agent'], () =>
      agents().map(([agent, a]) => [{ agent }, a.requests] as const),
    );
    counter('agent_errors_total', 'Failed gateway requests by agent (agentLabels).', ['agent'], () =>
      agents().map(([agent, a]) => [{ agent }, a.errors] as const),
    );
    gauge('agent_memory_reserved_bytes', 'Memory reserved by agent (agentLabels).', ['agent'], () =>
      (data.memory?.agents ?? [])
        .filter((a) => this.labelled(a.agent))
        .map((a) => [{ agent: a.agent }, a.reservedMb * MB] as const),
    );
  }

  /**
   * Whether an agent name may be a label value: a valid agent name that does not look like a key
   * (`sk-…`: Anthropic keys and our virtual keys), within the cap.
   */
  private labelled(agent: string): boolean {
    if (this.labelledAgents.has(agent)) return true;
    if (this.labelledAgents.size >= (this.options.maxAgentLabels ?? 50)) return false;
    if (!AGENT_NAME_PATTERN.test(agent) || /^sk-/i.test(agent)) return false;
    this.labelledAgents.add(agent);
    return true;
  }
}
