import { type Clock, systemClock } from '../clock.js';
import { type Config, defaultConfig } from '../config/schema.js';
import type { RequestRecord } from '../gateway/record.js';
import type { AuthEvent } from '../monitor/events.js';
import { detectCacheTooSmall } from './detectors/cache.js';
import type { Detector, DetectorContext } from './detectors/context.js';
import { detectSlowKeyCheck } from './detectors/keyCheck.js';
import { detectMemoryPressure } from './detectors/memory.js';
import { detectPoolSaturated } from './detectors/pool.js';
import { detectRejections } from './detectors/rejections.js';
import { detectSlowTokenEndpoint } from './detectors/tokenEndpoint.js';
import { detectSlowUpstream } from './detectors/upstream.js';
import { compareSeverity } from './impact.js';
import { type AnalyzerThresholds, resolveThresholds } from './thresholds.js';
import type { AnalyzerSignals, Finding, RefreshSample } from './types.js';
import { WindowView } from './view.js';
import { BucketRing, RQ, SG } from './window.js';

/** Options of {@link BottleneckAnalyzer}. Every field is optional. */
export interface AnalyzerOptions {
  /** Thresholds and recommendations read it (`[performance.*]`, `[auth]`). Default: the defaults. */
  config?: Config;
  /** Epoch-ms clock that places samples in buckets. Default the system clock. */
  clock?: Clock;
  /** Length of the sliding window, ms. Default 15 minutes (the specification's). */
  windowMs?: number;
  /**
   * Width of one bucket, ms: the resolution of trends. Default 10 s (90 buckets, ≈0.4 MB held
   * whatever the request rate).
   */
  bucketMs?: number;
  /** Overrides of the documented constants and config-derived thresholds (thresholds.ts). */
  thresholds?: Partial<AnalyzerThresholds>;
  /** The gateway pool's connection limit per origin, for the pool recommendation. */
  poolConnections?: number;
  /** Distinct agents tracked for the active-agent count; more are not counted. Default 100 000. */
  maxTrackedAgents?: number;
}

const KEY = 0;
const AUTH = 1;
const REFRESH = 2;
const POOL = 3;
const TTFB = 4;
const ANSWER = 5;
const STREAM = 6;
const TOTAL = 7;

const DETECTORS: readonly Detector[] = [
  detectSlowUpstream,
  detectSlowTokenEndpoint,
  detectCacheTooSmall,
  detectPoolSaturated,
  detectMemoryPressure,
  detectSlowKeyCheck,
];

/**
 * The specification's BottleneckAnalyzer. Keeps a sliding window (15 minutes by default) of
 * per-request stage timings — virtual key check, credential (cache or refresh wait), pool queue plus
 * connect, upstream time to first byte, stream — as per-bucket aggregates, plus periodic signals
 * (cache, pool, memory, refreshes). `analyze()` runs its detectors over the window and returns
 * findings sorted by impact: each bottleneck's share of lost time, 0–100 (impact.ts has the
 * formula), with a severity, the evidence, a least-squares trend with a predicted time to breach,
 * and a recommendation naming the config key to change and to what.
 *
 * Cheap on the hot path: `observe()` does a few typed-array updates and one Map write, no
 * allocation; memory is fixed at construction (`footprintBytes`).
 */
export class BottleneckAnalyzer {
  /** The thresholds in force (config values and documented constants). */
  readonly thresholds: AnalyzerThresholds;
  private readonly config: Config;
  private readonly clock: Clock;
  private readonly ring: BucketRing;
  private readonly poolConnections: number | null;
  private readonly maxAgents: number;
  /** agent id → bucket index it was last seen in. */
  private readonly agents = new Map<string, number>();
  private readonly refreshStarted = new Map<string, number>();
  private readonly openCircuits = new Set<string>();

  constructor(options: AnalyzerOptions = {}) {
    this.config = options.config ?? defaultConfig();
    this.clock = options.clock ?? systemClock;
    this.thresholds = resolveThresholds(this.config, options.thresholds);
    this.ring = new BucketRing(options.windowMs ?? 15 * 60_000, options.bucketMs ?? 10_000);
    this.poolConnections = options.poolConnections ?? null;
    this.maxAgents = options.maxTrackedAgents ?? 100_000;
  }

  /** Bytes of the window's typed arrays, fixed at construction (the active-agent map comes on top). */
  get footprintBytes(): number {
    return this.ring.bytes;
  }

  /**
   * Takes one finished request (the gateway's `onRequestDone`). Copies the numbers it needs: the
   * record may be reused once this returns. The request is placed in the window by its end,
   * `startedAt + totalMs`, so give the analyzer the gateway's clock. Never throws on odd values;
   * stages at -1 are skipped.
   */
  observe(record: RequestRecord): void {
    // placed by when it ended on the gateway's clock: saves a clock read per request
    const total = Math.max(record.totalMs, 0) || 0; // NaN counts as 0
    const ended = record.startedAt + total;
    const now = ended > 0 ? ended : this.clock.now();
    const ring = this.ring;
    const t = this.thresholds;
    const slot = ring.slotFor(now);
    if (ring.reqAt(slot, RQ.requests) === 0) ring.addReq(slot, RQ.firstAt, now);
    ring.addReq(slot, RQ.requests);
    if (record.keyCheckMs >= 0) ring.addStage(slot, KEY, record.keyCheckMs, t.keyCheckMs);
    const auth = record.authMs;
    if (auth > t.refreshWaitFloorMs) ring.addStage(slot, REFRESH, auth, t.refreshWaitMs);
    else if (auth >= 0) ring.addStage(slot, AUTH, auth, t.authHitMs);
    if (record.poolMs >= 0) ring.addStage(slot, POOL, record.poolMs, t.poolMs);
    if (record.ttfbMs >= 0) {
      if (record.streamed) ring.addStage(slot, TTFB, record.ttfbMs, t.ttfbMs);
      else ring.addStage(slot, ANSWER, record.ttfbMs, t.answerMs);
    }
    if (record.streamMs >= 0) ring.addStage(slot, STREAM, record.streamMs, Number.POSITIVE_INFINITY);
    ring.addStage(slot, TOTAL, total, Number.POSITIVE_INFINITY);
    this.classify(slot, record, total);
    const agent = record.agentId;
    if (agent !== null && (this.agents.size < this.maxAgents || this.agents.has(agent))) {
      this.agents.set(agent, ring.bucketOf(now));
    }
  }

  /**
   * Takes a periodic snapshot of non-request signals (about once a second). Cumulative counters
   * (cache hits, refused sessions, …) are differenced within the window.
   */
  observeSignals(s: AnalyzerSignals): void {
    const ring = this.ring;
    const slot = ring.slotFor(this.clock.now());
    const c = s.cache;
    if (c !== undefined && c !== null) {
      ring.setSig(slot, SG.cacheSeen, 1);
      ring.setSig(slot, SG.cacheHits, c.hits);
      ring.setSig(slot, SG.cacheMisses, c.misses);
      ring.setSig(slot, SG.cacheEvictions, c.evictions);
      ring.setSig(slot, SG.cacheSize, c.size);
      ring.setSig(slot, SG.cacheMaxSize, c.maxSize);
    }
    const p = s.pool;
    if (p !== undefined) {
      ring.setSig(slot, SG.poolSeen, 1);
      ring.peakSig(slot, SG.poolQueuedPeak, p.queued);
      ring.peakSig(slot, SG.poolConnectedPeak, p.connected);
      ring.peakSig(slot, SG.poolRunningPeak, p.running);
      if (p.maxConnections !== undefined) ring.setSig(slot, SG.poolMaxConnections, p.maxConnections);
      if (p.avgConnectMs !== undefined) ring.setSig(slot, SG.poolAvgConnectMs, p.avgConnectMs);
    }
    const m = s.memory;
    if (m !== undefined) {
      ring.setSig(slot, SG.memSeen, 1);
      ring.peakSig(slot, SG.memReservedPeak, m.reservedMb);
      ring.setSig(slot, SG.memReservedLast, m.reservedMb);
      if (m.observedMb !== undefined) ring.peakSig(slot, SG.memObservedPeak, m.observedMb);
      if (m.sessions !== undefined) ring.setSig(slot, SG.memSessions, m.sessions);
      if (m.refusedTotal !== undefined) ring.setSig(slot, SG.memRefusedTotal, m.refusedTotal);
      if (m.evictedTotal !== undefined) ring.setSig(slot, SG.memEvictedTotal, m.evictedTotal);
    }
    if (s.refreshes !== undefined) for (const r of s.refreshes) this.addRefresh(slot, r);
    if (s.circuitsOpen !== undefined) ring.peakSig(slot, SG.circuitsOpenPeak, s.circuitsOpen);
    if (s.activeAgents !== undefined) ring.peakSig(slot, SG.activeAgentsPeak, s.activeAgents);
  }

  /**
   * Takes one event of the manager's bus (`auth.bus.subscribe(e => analyzer.observeEvent(e))`):
   * finished refreshes and circuit changes. Feed refreshes this way or through
   * `observeSignals({ refreshes })`, not both.
   */
  observeEvent(e: AuthEvent): void {
    switch (e.type) {
      case 'refresh.started':
        this.refreshStarted.set(e.credential, e.at);
        return;
      case 'refresh.succeeded':
        this.refreshStarted.delete(e.credential);
        this.addRefresh(this.ring.slotFor(this.clock.now()), {
          durationMs: e.durationMs,
          ok: true,
          lifetimeMs: e.expiresAt === null ? null : e.expiresAt - e.at,
        });
        return;
      case 'refresh.failed': {
        const started = this.refreshStarted.get(e.credential);
        this.refreshStarted.delete(e.credential);
        this.addRefresh(this.ring.slotFor(this.clock.now()), {
          durationMs: started === undefined ? 0 : Math.max(0, e.at - started),
          ok: false,
          lifetimeMs: null,
        });
        return;
      }
      case 'circuit.opened':
        this.openCircuits.add(e.endpoint);
        this.ring.peakSig(this.ring.slotFor(this.clock.now()), SG.circuitsOpenPeak, this.openCircuits.size);
        return;
      case 'circuit.closed':
        this.openCircuits.delete(e.endpoint);
        return;
      default:
        return;
    }
  }

  /**
   * Runs every detector over the window ending at `now` and returns the findings, highest impact
   * first (ties: higher severity first). A healthy window yields none above low severity.
   */
  analyze(now: number = this.clock.now()): Finding[] {
    if (this.openCircuits.size > 0) {
      this.ring.peakSig(this.ring.slotFor(now), SG.circuitsOpenPeak, this.openCircuits.size);
    }
    const ctx: DetectorContext = {
      view: new WindowView(this.ring, now, this.activeAgents(now)),
      thresholds: this.thresholds,
      config: this.config,
      poolConnections: this.poolConnections,
    };
    const findings: Finding[] = detectRejections(ctx);
    for (const detect of DETECTORS) {
      const f = detect(ctx);
      if (f !== null) findings.push(f);
    }
    return findings.sort(
      (a, b) =>
        b.impact - a.impact || compareSeverity(b.severity, a.severity) || a.kind.localeCompare(b.kind),
    );
  }

  /** The highest-impact finding now, or null. */
  topFinding(now?: number): Finding | null {
    return this.analyze(now)[0] ?? null;
  }

  /** Agents seen within the window ending at `now`; forgets older ones. */
  private activeAgents(now: number): number {
    const first = this.ring.bucketOf(now) - this.ring.size + 1;
    for (const [agent, idx] of this.agents) if (idx < first) this.agents.delete(agent);
    return this.agents.size;
  }

  private addRefresh(slot: number, r: RefreshSample): void {
    const ring = this.ring;
    ring.setSig(slot, SG.refreshes, ring.sigAt(slot, SG.refreshes) + 1);
    if (!r.ok) ring.setSig(slot, SG.refreshFailures, ring.sigAt(slot, SG.refreshFailures) + 1);
    ring.peakSig(slot, SG.refreshMaxMs, r.durationMs);
    if (r.lifetimeMs !== null && r.lifetimeMs < ring.sigAt(slot, SG.refreshMinLifetimeMs)) {
      ring.setSig(slot, SG.refreshMinLifetimeMs, r.lifetimeMs);
    }
    ring.addRefreshDuration(slot, r.durationMs);
  }

  /** Counts the request's answer: ok, rejected (429, 529, 5xx, broken), refused, aborted. */
  private classify(slot: number, r: RequestRecord, total: number): void {
    const ring = this.ring;
    if (r.outcome === 'upstream_failed') {
      ring.addReq(slot, RQ.n5xx);
      ring.addReq(slot, RQ.ms5xx, total);
    } else if (r.outcome === 'client_aborted') {
      ring.addReq(slot, RQ.clientAborted);
    } else if (r.source === 'upstream') {
      const s = r.status;
      if (s === 429) {
        ring.addReq(slot, RQ.n429);
        ring.addReq(slot, RQ.ms429, total);
      } else if (s === 529) {
        ring.addReq(slot, RQ.n529);
        ring.addReq(slot, RQ.ms529, total);
      } else if (s >= 500) {
        ring.addReq(slot, RQ.n5xx);
        ring.addReq(slot, RQ.ms5xx, total);
      } else if (s >= 200 && s < 300) {
        ring.addReq(slot, RQ.ok);
        ring.addReq(slot, RQ.okMs, total);
      }
    } else if (r.agentId !== null && r.credentialKind === null) {
      if (r.errorType === 'overloaded_error') ring.addReq(slot, RQ.memoryRefused);
      else if (r.errorType === 'authentication_error' || r.errorType === 'api_error') {
        ring.addReq(slot, RQ.credentialFailed);
      }
    }
  }
}
