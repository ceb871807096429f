import type { RequestOutcome, RequestRecord } from '../gateway/record.js';
import { bucketOf, LatencyHistogram } from './buckets.js';
import { LatencyRing } from './LatencyRing.js';

/** A response status reduced to its class: the only form a status takes in a metric label. */
export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'none';
/** Every status class, in index order of {@link statusClassIndex}. */
export const STATUS_CLASSES: readonly StatusClass[] = ['2xx', '3xx', '4xx', '5xx', 'none'];
/** Every request outcome: the closed set of the `outcome` label. */
export const OUTCOMES: readonly RequestOutcome[] = [
  'completed',
  'refused',
  'client_aborted',
  'upstream_failed',
];
/** Who produced a response's status. */
export const SOURCES = ['upstream', 'gateway'] as const;

/** Stages of one proxied request, as RequestRecord times them. */
export const STAGES = ['key_check', 'auth', 'pool', 'ttfb', 'stream', 'total'] as const;
/** One stage of a gateway request. */
export type Stage = (typeof STAGES)[number];

/** What one request counted as (bits), for the monitor's per-second series and alert rules. */
export const RequestKind = {
  /** Passed the key check: counts toward the rate rules' denominators. */
  Admitted: 1,
  /** Upstream answered 429. */
  Upstream429: 2,
  /** Upstream answered 529. */
  Upstream529: 4,
  /** Upstream 5xx other than 529, a cut stream, or upstream unreachable / timed out. */
  UpstreamError: 8,
  /** The gateway refused it for the agent's concurrency limit. */
  ConcurrencyRefused: 16,
  /** Anything but a completed 1xx–3xx. */
  Error: 32,
} as const;

/** One agent's figures from the requests it made (never its key). */
export interface AgentTraffic {
  requests: number;
  errors: number;
  upstream429: number;
  upstream529: number;
  bytesIn: number;
  bytesOut: number;
  /** Sum of total request time, ms. */
  totalMs: number;
  maxMs: number;
  /** Epoch ms of its last request. */
  lastSeen: number;
}

/** The index in STATUS_CLASSES of a status; no status (0) and 1xx are `none`. */
export function statusClassIndex(status: number): number {
  if (status >= 200 && status < 300) return 0;
  if (status >= 300 && status < 400) return 1;
  if (status >= 400 && status < 500) return 2;
  if (status >= 500) return 3;
  return 4;
}

/**
 * Aggregates RequestRecords in place: counts by source × outcome × status class, upstream duration
 * and time-to-first-byte histograms by status class, per-stage latency rings, and a per-agent table
 * capped at `maxAgents` (the least recently seen agent makes room). Nothing here keeps a path,
 * request id or header: only numbers and the agent id.
 */
export class RequestStats {
  /** Requests by [source][outcome][status class], flattened. */
  readonly counts = new Float64Array(SOURCES.length * OUTCOMES.length * STATUS_CLASSES.length);
  /** Upstream duration (ttfb + stream) of upstream answers, by status class. */
  readonly upstreamDuration = STATUS_CLASSES.map(() => new LatencyHistogram());
  /** Upstream time to first byte of upstream answers, by status class. */
  readonly ttfb = STATUS_CLASSES.map(() => new LatencyHistogram());
  /** Recent samples per stage (p50/p99 for the dashboard). */
  readonly stages: Record<Stage, LatencyRing>;
  /** Every sample per stage since start (Prometheus). */
  readonly stageHistograms: Record<Stage, LatencyHistogram>;
  readonly agents = new Map<string, AgentTraffic>();
  private readonly stageRings: LatencyRing[];
  private readonly stageHists: LatencyHistogram[];
  upstream429 = 0;
  upstream529 = 0;
  upstreamErrors = 0;
  concurrencyRefused = 0;
  bytesIn = 0;
  bytesOut = 0;
  total = 0;

  constructor(private readonly maxAgents = 1000) {
    // arrays by stage number for the per-request path (a keyed lookup by a varying string is slow)
    this.stageRings = STAGES.map(() => new LatencyRing(2048));
    this.stageHists = STAGES.map(() => new LatencyHistogram());
    this.stages = Object.fromEntries(STAGES.map((s, i) => [s, this.stageRings[i]])) as Record<
      Stage,
      LatencyRing
    >;
    this.stageHistograms = Object.fromEntries(STAGES.map((s, i) => [s, this.stageHists[i]])) as Record<
      Stage,
      LatencyHistogram
    >;
  }

  /** Counts one finished request; returns what it counted as (RequestKind bits). */
  observe(r: RequestRecord, now: number): number {
    const cls = statusClassIndex(r.status);
    const upstream = r.source === 'upstream';
    const outcome = OUTCOMES.indexOf(r.outcome);
    this.counts[((upstream ? 0 : 1) * OUTCOMES.length + outcome) * STATUS_CLASSES.length + cls]!++;
    this.total++;
    this.bytesIn += r.bytesIn;
    this.bytesOut += r.bytesOut;
    this.stage(0, r.keyCheckMs);
    this.stage(1, r.authMs);
    this.stage(2, r.poolMs);
    this.stage(3, r.ttfbMs);
    this.stage(4, r.streamMs);
    this.stage(5, r.totalMs);

    let kind: number = r.agentId === null ? 0 : RequestKind.Admitted;
    if (upstream && r.ttfbMs >= 0) {
      const d = r.ttfbMs + Math.max(0, r.streamMs);
      this.upstreamDuration[cls]!.observeAt(bucketOf(d), d);
      this.ttfb[cls]!.observeAt(bucketOf(r.ttfbMs), r.ttfbMs);
    }
    if (upstream && r.status === 429) {
      kind |= RequestKind.Upstream429;
      this.upstream429++;
    } else if (upstream && r.status === 529) {
      kind |= RequestKind.Upstream529;
      this.upstream529++;
    } else if (
      r.outcome === 'upstream_failed' ||
      (upstream && r.status >= 500) ||
      // a gateway 5xx after the credential was in hand: upstream unreachable or timed out
      (!upstream && r.status >= 500 && r.credentialKind !== null)
    ) {
      kind |= RequestKind.UpstreamError;
      this.upstreamErrors++;
    }
    if (!upstream && r.status === 429 && r.agentId !== null) {
      kind |= RequestKind.ConcurrencyRefused;
      this.concurrencyRefused++;
    }
    const failed = r.outcome !== 'completed' || r.status >= 400 || r.status === 0;
    if (failed) kind |= RequestKind.Error;
    if (r.agentId !== null) this.countAgent(r, kind, failed, now);
    return kind;
  }

  /** Requests counted for a source, outcome and status class. */
  count(source: (typeof SOURCES)[number], outcome: RequestOutcome, cls: StatusClass): number {
    const s = source === 'upstream' ? 0 : 1;
    const o = OUTCOMES.indexOf(outcome);
    return this.counts[(s * OUTCOMES.length + o) * STATUS_CLASSES.length + STATUS_CLASSES.indexOf(cls)]!;
  }

  /** Agents seen since `since` (epoch ms). */
  activeSince(since: number): number {
    let n = 0;
    for (const a of this.agents.values()) if (a.lastSeen >= since) n++;
    return n;
  }

  /** One stage's time; `i` indexes STAGES. */
  private stage(i: number, ms: number): void {
    if (ms < 0) return;
    this.stageRings[i]!.record(ms);
    this.stageHists[i]!.observe(ms);
  }

  private countAgent(r: RequestRecord, kind: number, failed: boolean, now: number): void {
    const id = r.agentId as string;
    let a = this.agents.get(id);
    if (a === undefined) {
      if (this.agents.size >= this.maxAgents) this.evictOldest();
      a = {
        requests: 0,
        errors: 0,
        upstream429: 0,
        upstream529: 0,
        bytesIn: 0,
        bytesOut: 0,
        totalMs: 0,
        maxMs: 0,
        lastSeen: now,
      };
      this.agents.set(id, a);
    }
    a.requests++;
    if (failed) a.errors++;
    if (kind & RequestKind.Upstream429) a.upstream429++;
    if (kind & RequestKind.Upstream529) a.upstream529++;
    a.bytesIn += r.bytesIn;
    a.bytesOut += r.bytesOut;
    if (r.totalMs > 0) {
      a.totalMs += r.totalMs;
      if (r.totalMs > a.maxMs) a.maxMs = r.totalMs;
    }
    a.lastSeen = now;
  }

  private evictOldest(): void {
    let oldest: string | undefined;
    let at = Number.POSITIVE_INFINITY;
    for (const [id, a] of this.agents) {
      if (a.lastSeen < at) {
        at = a.lastSeen;
        oldest = id;
      }
    }
    if (oldest !== undefined) this.agents.delete(oldest);
  }
}
