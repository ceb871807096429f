export { type AnalyzerOptions, BottleneckAnalyzer } from './BottleneckAnalyzer.js';
export { impactOf, severityFromImpact, severityOf } from './impact.js';
export { type AnalyzerThresholds, resolveThresholds } from './thresholds.js';
export {
  BREACH_HORIZON_MS,
  leastSquares,
  MIN_TREND_POINTS,
  MIN_TREND_R2,
  type Trend,
  trendOf,
} from './trend.js';
export type {
  AnalyzerSignals,
  CacheSignal,
  Finding,
  FindingKind,
  FindingStage,
  MemorySignal,
  PoolSignal,
  Recommendation,
  RefreshSample,
  Severity,
  Stage,
} from './types.js';
export { STAGES } from './types.js';
