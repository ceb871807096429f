// The bottleneck analyzer's public API; src/index.ts re-exports this file.
export { type AnalyzerOptions, BottleneckAnalyzer } from './BottleneckAnalyzer.js';
export { type AnalyzerThresholds, resolveThresholds } from './thresholds.js';
export type { Trend } from './trend.js';
export type {
  AnalyzerSignals,
  AnalyzerStage,
  CacheSignal,
  Finding,
  FindingKind,
  FindingSeverity,
  FindingStage,
  MemorySignal,
  PoolSignal,
  Recommendation,
  RefreshSample,
} from './types.js';
export { ANALYZER_STAGES } from './types.js';
