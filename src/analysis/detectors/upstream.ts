import { fmt } from '../format.js';
import { severityOf } from '../impact.js';
import type { Finding } from '../types.js';
import { type DetectorContext, enoughRequests, readStage } from './context.js';

/**
 * slow_upstream: upstream takes longer than its budget to answer — to the first byte of a streamed
 * response (`ttfbMs`, 2 s) or to a whole non-streamed answer (`answerMs`, 60 s). Lost time is the
 * excess over those budgets in both stages. Not ours to fix: the finding says so, with the numbers.
 * Severity: from impact, at least medium when the typical (p50) request breaches.
 */
export function detectSlowUpstream(ctx: DetectorContext): Finding | null {
  if (!enoughRequests(ctx)) return null;
  const { view, thresholds: t } = ctx;
  const ttfb = view.stage('ttfb');
  const answer = view.stage('answer');
  const mainIsTtfb = ttfb.lostMs >= answer.lostMs;
  const stage = mainIsTtfb ? 'ttfb' : 'answer';
  const budget = mainIsTtfb ? t.ttfbMs : t.answerMs;
  const other = mainIsTtfb ? answer.lostMs : ttfb.lostMs;
  const r = readStage(ctx, stage, budget, other);
  if (r.impact < t.minImpact) return null;
  const p50 = r.evidence.p50Ms as number;
  const p99 = r.evidence.p99Ms as number;
  const what = mainIsTtfb ? 'to the first byte of a streamed response' : 'to a non-streamed answer';
  return {
    id: 'slow_upstream',
    kind: 'slow_upstream',
    title: `Upstream is slow ${what}: p50 ${fmt(p50)}, p99 ${fmt(p99)} (budget ${fmt(budget)})`,
    stage,
    impact: r.impact,
    severity: severityOf(r.impact, r.typicalBreach ? 'medium' : 'low'),
    evidence: {
      ...r.evidence,
      streamedCount: ttfb.count,
      streamedP99Ms: Math.round(ttfb.p99Ms),
      nonStreamedCount: answer.count,
      nonStreamedP99Ms: Math.round(answer.p99Ms),
    },
    trend: r.trend,
    recommendation: {
      text:
        'Not ours to fix: the time is spent upstream, between the request going out on a pooled connection ' +
        'and the response headers coming back. Check the API status page or your LLM gateway; smaller ' +
        'prompts and max_tokens shorten it.',
      configKey: null,
      setting: null,
      suggestedValue: null,
      why:
        `${r.evidence.count} responses took p50 ${fmt(p50)} / p99 ${fmt(p99)} upstream, against a budget of ` +
        `${fmt(budget)}. The stage starts once the request is on a connection, so it holds none of the ` +
        "gateway's own time (key check, credential, pool queue).",
    },
  };
}
