import { round1, round3, severityOf } from '../impact.js';
import { trendOf } from '../trend.js';
import type { Finding, FindingSeverity } from '../types.js';
import { RQ, SG } from '../window.js';
import type { DetectorContext } from './context.js';

/**
 * memory_pressure: agent sessions reserve more than `[performance.memory] gc_threshold_mb` (idle
 * sessions are being evicted), or sessions were refused for memory. It slows no request until
 * sessions are refused, so its impact is the share of the eviction band in use:
 * 100 × (peak reserved − gc_threshold_mb) / (max_memory_mb − gc_threshold_mb), clamped to 0–100.
 * Severity: at least medium above gc_threshold_mb, high from 95% of max_memory_mb, critical at it
 * or when sessions or requests were refused. The trend is of reserved MB against max_memory_mb.
 */
export function detectMemoryPressure(ctx: DetectorContext): Finding | null {
  const { view, thresholds: t, config } = ctx;
  const mem = view.memory();
  const refusedRequests = view.sum(RQ.memoryRefused);
  if (mem === null && refusedRequests === 0) return null;
  const peak = mem?.reservedPeakMb ?? 0;
  const refused = (mem?.refused ?? 0) + refusedRequests;
  if (peak <= t.memoryGcMb && refused === 0) return null;
  const band = Math.max(t.memoryMaxMb - t.memoryGcMb, 1);
  const impact = round1(Math.min(100, Math.max(0, (100 * (peak - t.memoryGcMb)) / band)));
  const floor: FindingSeverity =
    refused > 0 || peak >= t.memoryMaxMb ? 'critical' : peak >= 0.95 * t.memoryMaxMb ? 'high' : 'medium';
  const series = view.series(
    (slot) => view.sigAt(slot, SG.memReservedPeak),
    (slot) => view.sigAt(slot, SG.memSeen) === 1,
  );
  const trend = trendOf('reserved MB', series, t.memoryMaxMb, view.now, 'above', peak >= t.memoryMaxMb);
  const memory = config.performance.memory;
  // size the budget so the peak sits below the eviction threshold at today's gc/max ratio, +10%
  const ratio = t.memoryGcMb / t.memoryMaxMb;
  const suggestedMax = Math.ceil(((peak / ratio) * 1.1) / 10) * 10;
  const suggestedGc = Math.floor((suggestedMax * ratio) / 10) * 10;
  const timeout = memory.session_timeout_minutes;
  return {
    id: 'memory_pressure',
    kind: 'memory_pressure',
    title: `Memory pressure: agent sessions reserve ${Math.round(peak)} MB, above gc_threshold_mb ${t.memoryGcMb} (max ${t.memoryMaxMb})`,
    stage: 'memory',
    impact,
    severity: severityOf(impact, floor),
    evidence: {
      reservedPeakMb: round3(peak),
      reservedNowMb: round3(mem?.reservedLastMb ?? 0),
      observedPeakMb: round3(mem?.observedPeakMb ?? 0),
      sessions: mem?.sessions ?? 0,
      gcThresholdMb: t.memoryGcMb,
      maxMemoryMb: t.memoryMaxMb,
      sessionsEvicted: mem?.evicted ?? 0,
      sessionsRefused: mem?.refused ?? 0,
      requestsRefused: refusedRequests,
      slopeMbPerMinute: round3(trend.slopePerMinute),
    },
    trend,
    recommendation: {
      text:
        `Raise performance.memory.max_memory_mb from ${t.memoryMaxMb} to ${suggestedMax} (and gc_threshold_mb to ` +
        `${suggestedGc}) if the host has the memory; otherwise end idle sessions sooner: lower ` +
        `performance.memory.session_timeout_minutes from ${timeout} to ${Math.max(1, Math.floor(timeout / 2))}.`,
      configKey: 'performance.memory.max_memory_mb',
      setting: null,
      suggestedValue: suggestedMax,
      why:
        `Sessions reserved up to ${Math.round(peak)} MB against an eviction threshold of ${t.memoryGcMb} MB; ` +
        (trend.predictedBreachAt === null
          ? `at ${t.memoryMaxMb} MB new sessions are refused.`
          : `at the current trend (${trend.slopePerMinute.toFixed(1)} MB/min) they reach ${t.memoryMaxMb} MB, where new sessions are refused, at ${new Date(trend.predictedBreachAt).toISOString()}.`),
    },
  };
}
