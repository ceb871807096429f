import type { Config } from '../../config/schema.js';
import { impactOf, round3 } from '../impact.js';
import type { AnalyzerThresholds } from '../thresholds.js';
import { type Trend, trendOf } from '../trend.js';
import type { AnalyzerStage, Finding } from '../types.js';
import type { WindowView } from '../view.js';

/** What every detector reads. */
export interface DetectorContext {
  readonly view: WindowView;
  readonly thresholds: AnalyzerThresholds;
  readonly config: Config;
  /** The gateway pool's connection limit per origin, when the composer told the analyzer. */
  readonly poolConnections: number | null;
}

/** Looks at the window and reports one finding, or null when its bottleneck is not there. */
export type Detector = (ctx: DetectorContext) => Finding | null;

/** The evidence and trend of one stage against its budget, and its impact. */
export interface StageReading {
  readonly impact: number;
  readonly evidence: Record<string, number>;
  readonly trend: Trend;
  /** The window's p99 exceeds the budget. */
  readonly breached: boolean;
  /** The window's p50 exceeds the budget: a typical request breaches. */
  readonly typicalBreach: boolean;
}

/**
 * Reads `stage` against `budgetMs`: its impact (lost time beyond the budget over the window's
 * request time, plus `extraLostMs`), p50/p99/max/mean, and the trend of its per-bucket p99.
 */
export function readStage(
  ctx: DetectorContext,
  stage: AnalyzerStage,
  budgetMs: number,
  extraLostMs = 0,
): StageReading {
  const { view } = ctx;
  const s = view.stage(stage);
  const lost = s.lostMs + extraLostMs;
  const breached = s.p99Ms > budgetMs;
  return {
    impact: impactOf(lost, view.requestTimeMs),
    evidence: {
      requests: view.requests,
      count: s.count,
      p50Ms: round3(s.p50Ms),
      p99Ms: round3(s.p99Ms),
      maxMs: round3(s.maxMs),
      meanMs: round3(s.meanMs),
      budgetMs,
      lostMs: round3(lost),
      requestTimeMs: round3(view.requestTimeMs),
    },
    trend: trendOf(`${stage} p99 ms`, view.stageSeries(stage), budgetMs, view.now, 'above', breached),
    breached,
    typicalBreach: s.p50Ms > budgetMs,
  };
}

/** Whether the window holds enough requests for request-based detectors to speak. */
export function enoughRequests(ctx: DetectorContext): boolean {
  return ctx.view.requests >= ctx.thresholds.minRequests;
}

/**
 * Concurrency the agents offer, by Little's law: arrival rate over the window × the mean time a
 * request spends in the gateway. 0 without requests.
 */
export function offeredConcurrency(view: WindowView): number {
  const total = view.stage('total');
  if (total.count === 0 || view.slots.length === 0) return 0;
  // a request is observed when it ends, so the first one started about its mean time earlier
  const spanMs = Math.max(view.now - view.firstRequestAt() + total.meanMs, 1);
  return (total.count / spanMs) * total.meanMs;
}
