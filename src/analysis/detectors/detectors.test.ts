import { describe, expect, it } from 'vitest';
import { type Config, defaultConfig } from '../../config/schema.js';
import { RequestRecord } from '../../gateway/record.js';
import { type AnalyzerOptions, BottleneckAnalyzer } from '../BottleneckAnalyzer.js';
import type { AnalyzerSignals, Finding, FindingKind } from '../types.js';

const T0 = Date.UTC(2026, 11, 4, 12);

type Req = Partial<
  Pick<
    RequestRecord,
    | 'keyCheckMs'
    | 'authMs'
    | 'poolMs'
    | 'ttfbMs'
    | 'streamMs'
    | 'totalMs'
    | 'status'
    | 'source'
    | 'streamed'
    | 'agentId'
    | 'outcome'
    | 'errorType'
    | 'credentialKind'
  >
>;

const HEALTHY: Req = {
  keyCheckMs: 0.005,
  authMs: 0.003,
  poolMs: 0.2,
  ttfbMs: 400,
  streamMs: 1500,
  status: 200,
  source: 'upstream',
  streamed: true,
  outcome: 'completed',
  credentialKind: 'api_key',
};

/** An analyzer on a hand-moved clock (1 s buckets, 1 minute window) and a way to feed it. */
class Feed {
  now = T0;
  readonly analyzer: BottleneckAnalyzer;

  constructor(options: AnalyzerOptions = {}) {
    this.analyzer = new BottleneckAnalyzer({
      clock: { now: () => this.now },
      bucketMs: 1000,
      windowMs: 60_000,
      ...options,
    });
  }

  /** `n` requests ending evenly over `overMs`; `f` changes request i from a healthy one. */
  requests(n: number, overMs: number, f: (i: number) => Req = () => ({})): void {
    for (let i = 0; i < n; i++) {
      this.now += overMs / n;
      const r: Req = { ...HEALTHY, agentId: `agent-${i % 10}`, ...f(i) };
      const stages = [r.keyCheckMs, r.authMs, r.poolMs, r.ttfbMs, r.streamMs].filter(
        (x) => (x as number) >= 0,
      );
      const total = r.totalMs ?? stages.reduce((a: number, b) => a + (b as number), 0.1);
      const rec = new RequestRecord(`r${i}`, this.now - total, 'POST', '/v1/messages');
      Object.assign(rec, r, { totalMs: total });
      this.analyzer.observe(rec);
    }
  }

  signals(s: AnalyzerSignals, advanceMs = 0): void {
    this.now += advanceMs;
    this.analyzer.observeSignals(s);
  }

  analyze(): Finding[] {
    return this.analyzer.analyze(this.now);
  }

  find(kind: FindingKind): Finding {
    const f = this.analyze().find((x) => x.kind === kind);
    if (f === undefined) throw new Error(`no ${kind} finding in ${this.analyze().map((x) => x.kind)}`);
    return f;
  }
}

function withConfig(change: (c: Config) => void): Config {
  const c = defaultConfig();
  change(c);
  return c;
}

describe('a healthy window', () => {
  it('yields no finding at all', () => {
    const feed = new Feed();
    feed.signals({ cache: { hits: 0, misses: 0, evictions: 0, size: 0, maxSize: 1000 } });
    feed.requests(600, 50_000);
    feed.signals({
      cache: { hits: 590, misses: 10, evictions: 0, size: 10, maxSize: 1000 },
      pool: { connected: 8, queued: 0, running: 5, avgConnectMs: 2 },
      memory: { reservedMb: 250, sessions: 10 },
    });
    expect(feed.analyze()).toEqual([]);
  });

  it('says nothing from fewer than minRequests requests', () => {
    const feed = new Feed();
    feed.requests(19, 10_000, () => ({ ttfbMs: 9000, poolMs: 3000 }));
    expect(feed.analyze()).toEqual([]);
  });
});

describe('slow_upstream', () => {
  it('measures the ttfb excess over its 2 s budget as a share of request time, and says it is not ours', () => {
    const feed = new Feed();
    feed.requests(100, 30_000, () => ({ ttfbMs: 2500, streamMs: 1500 }));
    const f = feed.find('slow_upstream');
    // lost 500 of 0.005 + 0.003 + 0.2 + 2500 + 1500 + 0.1 = 4000.308 ms per request
    expect(f.impact).toBe(12.5);
    expect(f.severity).toBe('medium');
    expect(f.stage).toBe('ttfb');
    expect(f.evidence).toMatchObject({ count: 100, budgetMs: 2000, lostMs: 50_000 });
    expect(f.evidence.p50Ms).toBeCloseTo(2500, 0);
    expect(f.trend.breached).toBe(true);
    expect(f.recommendation.configKey).toBeNull();
    expect(f.recommendation.text).toMatch(/^Not ours to fix/);
  });

  it('judges non-streamed answers against the 60 s budget', () => {
    const feed = new Feed();
    feed.requests(50, 30_000, () => ({ streamed: false, ttfbMs: 30_000, streamMs: 5 }));
    expect(feed.analyze()).toEqual([]);
    feed.requests(50, 30_000, () => ({ streamed: false, ttfbMs: 90_000, streamMs: 5 }));
    expect(feed.find('slow_upstream').stage).toBe('answer');
  });
});

describe('slow_token_endpoint', () => {
  const oauth = (margin: number) =>
    withConfig((c) => {
      c.auth.provider = 'oauth2';
      c.auth.oauth2.refresh_margin_seconds = margin;
    });

  function refreshes(feed: Feed, durationMs: number, lifetimeMs: number): void {
    for (let i = 0; i < 3; i++) {
      feed.analyzer.observeEvent({
        type: 'refresh.started',
        at: feed.now,
        credential: 'c',
        reason: 'expired',
        priority: 'urgent',
      });
      feed.analyzer.observeEvent({
        type: 'refresh.succeeded',
        at: feed.now + durationMs,
        credential: 'c',
        reason: 'expired',
        durationMs,
        attempts: 1,
        expiresAt: feed.now + durationMs + lifetimeMs,
      });
    }
  }

  it('counts waits above authentication_threshold_ms and suggests a refresh margin that covers a refresh', () => {
    const feed = new Feed({ config: oauth(1) });
    refreshes(feed, 1600, 3_600_000);
    feed.requests(100, 30_000, (i) => (i % 5 === 0 ? { authMs: 1600 } : {}));
    const f = feed.find('slow_token_endpoint');
    expect(f.evidence).toMatchObject({ count: 20, refreshes: 3, refreshFailures: 0, budgetMs: 100 });
    expect(f.impact).toBeGreaterThan(10);
    expect(f.recommendation).toMatchObject({
      configKey: 'auth.oauth2.refresh_margin_seconds',
      suggestedValue: 4,
    });
  });

  it('asks for longer-lived tokens when the margin is capped by a short token lifetime', () => {
    const feed = new Feed({ config: oauth(300) });
    refreshes(feed, 1500, 2000);
    feed.requests(100, 30_000, (i) => (i % 4 === 0 ? { authMs: 900 } : {}));
    const f = feed.find('slow_token_endpoint');
    expect(f.recommendation.configKey).toBeNull();
    expect(f.recommendation.setting).toMatch(/lifetime/);
    expect(f.recommendation.suggestedValue).toBe('16 s');
  });

  it('is high when requests were refused for want of a credential, even with no waiting', () => {
    const feed = new Feed();
    feed.requests(100, 30_000, (i) =>
      i % 10 === 0
        ? {
            outcome: 'refused',
            source: 'gateway',
            status: 503,
            errorType: 'api_error',
            credentialKind: null,
            authMs: -1,
            poolMs: -1,
            ttfbMs: -1,
            streamMs: -1,
          }
        : {},
    );
    const f = feed.find('slow_token_endpoint');
    expect(f.severity).toBe('high');
    expect(f.evidence.requestsRefused).toBe(10);
  });

  it('suggests a longer reuse for a slow key helper', () => {
    const feed = new Feed({ config: withConfig((c) => void (c.auth.provider = 'helper')) });
    feed.requests(100, 30_000, (i) => (i % 5 === 0 ? { authMs: 800 } : {}));
    const f = feed.find('slow_token_endpoint');
    expect(f.recommendation).toMatchObject({ configKey: 'auth.helper.ttl_ms', suggestedValue: 600_000 });
  });
});

describe('cache_too_small', () => {
  it('fires on a hit rate under the threshold with evictions, sizing the cache to the active agents', () => {
    const feed = new Feed();
    feed.signals({ cache: { hits: 0, misses: 0, evictions: 0, size: 8, maxSize: 8 } });
    feed.requests(480, 30_000, (i) => ({ agentId: `agent-${i % 48}` }));
    feed.signals({ cache: { hits: 48, misses: 432, evictions: 424, size: 8, maxSize: 8 } });
    const f = feed.find('cache_too_small');
    expect(f.severity).toBe('high');
    expect(f.evidence).toMatchObject({ hitRate: 0.1, evictions: 424, activeAgents: 48, maxSize: 8 });
    expect(f.recommendation).toMatchObject({ configKey: 'performance.cache.max_size', suggestedValue: 60 });
    expect(f.trend.metric).toBe('cache hit rate');
  });

  it('ignores cold misses (no evictions) and a hit rate above the threshold', () => {
    const cold = new Feed();
    cold.signals({ cache: { hits: 0, misses: 0, evictions: 0, size: 0, maxSize: 1000 } });
    cold.requests(100, 10_000);
    cold.signals({ cache: { hits: 50, misses: 50, evictions: 0, size: 50, maxSize: 1000 } });
    expect(cold.analyze()).toEqual([]);
    const warm = new Feed();
    warm.signals({ cache: { hits: 0, misses: 0, evictions: 0, size: 8, maxSize: 8 } });
    warm.requests(100, 10_000);
    warm.signals({ cache: { hits: 90, misses: 10, evictions: 2, size: 8, maxSize: 8 } });
    expect(warm.analyze()).toEqual([]);
  });
});

describe('pool_saturated and slow_connect', () => {
  it('reports queueing for connections and sizes the pool by the offered concurrency', () => {
    const feed = new Feed();
    feed.requests(100, 30_000, () => ({ poolMs: 1500 }));
    feed.signals({ pool: { connected: 4, queued: 12, running: 4, avgConnectMs: 1, maxConnections: 4 } });
    const f = feed.find('pool_saturated');
    expect(f.severity).not.toBe('low');
    expect(f.evidence).toMatchObject({ connectionLimit: 4, queuedPeak: 12 });
    expect(f.recommendation.configKey).toBe('gateway.max_connections_per_host');
    expect(f.recommendation.setting).toMatch(/connections/);
    expect(f.recommendation.suggestedValue).toBeGreaterThanOrEqual(Math.ceil(16 * 1.25));
  });

  it('calls slow connects with nothing queued slow_connect', () => {
    const feed = new Feed();
    feed.requests(100, 30_000, () => ({ poolMs: 600 }));
    feed.signals({ pool: { connected: 10, queued: 0, running: 3, avgConnectMs: 580 } });
    expect(feed.analyze()[0]?.kind).toBe('slow_connect');
  });
});

describe('memory_pressure', () => {
  it('scores the eviction band in use and predicts when reservations reach max_memory_mb', () => {
    const feed = new Feed({ windowMs: 10 * 60_000, bucketMs: 10_000 });
    // 420 MB rising 10 MB a minute for 5 minutes
    for (let s = 0; s <= 300; s += 10)
      feed.signals({ memory: { reservedMb: 420 + s / 6, sessions: 9 } }, s === 0 ? 0 : 10_000);
    feed.requests(50, 1000);
    const f = feed.find('memory_pressure');
    expect(f.impact).toBe(70); // (470 − 400) / (500 − 400)
    expect(f.severity).toBe('critical');
    expect(f.trend.slopePerMinute).toBeCloseTo(10, 0);
    // 30 MB to go at 10 MB/min: about 3 minutes
    expect(Math.abs((f.trend.predictedBreachAt as number) - feed.now - 3 * 60_000)).toBeLessThan(15_000);
    expect(f.recommendation.configKey).toBe('performance.memory.max_memory_mb');
    expect(f.recommendation.suggestedValue).toBeGreaterThan(500);
    expect(f.recommendation.text).toMatch(/session_timeout_minutes/);
  });

  it('stays quiet below gc_threshold_mb and reads the thresholds from config', () => {
    const feed = new Feed();
    feed.signals({ memory: { reservedMb: 390 } });
    expect(feed.analyze()).toEqual([]);
    const small = new Feed({
      config: withConfig((c) => {
        c.performance.memory.max_memory_mb = 200;
        c.performance.memory.gc_threshold_mb = 100;
      }),
    });
    small.signals({ memory: { reservedMb: 150 } });
    expect(small.find('memory_pressure').impact).toBe(50);
  });
});

describe('rejections: rate_limited, upstream_overloaded, upstream_errors', () => {
  it('counts each rejected answer and its redo as lost time', () => {
    const feed = new Feed();
    feed.requests(100, 30_000, (i) => (i % 10 < 3 ? { status: 429, totalMs: 10 } : { totalMs: 1000 }));
    const f = feed.find('rate_limited');
    // lost = 30 × 10 + 30 × 1000 (redo at the mean successful time); T = 70 × 1000 + 300 + 30 000
    expect(f.impact).toBe(30.2);
    expect(f.severity).toBe('high');
    expect(f.evidence).toMatchObject({ rejected: 30, share: 0.3 });
    expect(f.recommendation.configKey).toBeNull();
    expect(f.recommendation.text).toMatch(/fewer|at most/);
  });

  it('separates 529 and 5xx and broken streams, and ignores a stray 429', () => {
    const feed = new Feed();
    feed.requests(200, 30_000, (i) =>
      i % 10 === 0
        ? { status: 529 }
        : i % 10 === 1
          ? { status: 500 }
          : i % 10 === 2
            ? { outcome: 'upstream_failed' }
            : {},
    );
    const kinds = feed.analyze().map((f) => f.kind);
    expect(kinds).toContain('upstream_overloaded');
    expect(kinds).toContain('upstream_errors');
    expect(feed.find('upstream_errors').evidence.rejected).toBe(40);
    const quiet = new Feed();
    quiet.requests(200, 30_000, (i) => (i === 0 ? { status: 429 } : {}));
    expect(quiet.analyze()).toEqual([]);
  });
});

describe('slow_key_check', () => {
  it('reports key checks beyond 1 ms', () => {
    const feed = new Feed();
    feed.requests(100, 30_000, () => ({ keyCheckMs: 60 }));
    const f = feed.find('slow_key_check');
    expect(f.stage).toBe('key_check');
    expect(f.impact).toBeGreaterThan(1);
  });
});
