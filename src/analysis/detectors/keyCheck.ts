import { fmt } from '../format.js';
import { severityOf } from '../impact.js';
import type { Finding } from '../types.js';
import { type DetectorContext, enoughRequests, readStage } from './context.js';

/**
 * slow_key_check: the virtual key check takes longer than `keyCheckMs` (1 ms). It should be a map
 * lookup and a constant-time compare; time beyond the budget is lost. Severity from impact.
 */
export function detectSlowKeyCheck(ctx: DetectorContext): Finding | null {
  if (!enoughRequests(ctx)) return null;
  const { thresholds: t } = ctx;
  const r = readStage(ctx, 'key_check', t.keyCheckMs);
  if (r.impact < t.minImpact) return null;
  return {
    id: 'slow_key_check',
    kind: 'slow_key_check',
    title: `Virtual key checks are slow: p99 ${fmt(r.evidence.p99Ms as number)} (budget ${fmt(t.keyCheckMs)})`,
    stage: 'key_check',
    impact: r.impact,
    severity: severityOf(r.impact, r.typicalBreach ? 'medium' : 'low'),
    evidence: r.evidence,
    trend: r.trend,
    recommendation: {
      text:
        'The key verifier should answer from memory: check that no store call or slow hash sits on the hot path, ' +
        'and that the event loop is not starved (a blocked loop delays every stage).',
      configKey: null,
      setting: 'the AgentKeyVerifier given to createGateway',
      suggestedValue: null,
      why: `${r.evidence.count} key checks took p50 ${fmt(r.evidence.p50Ms as number)} / p99 ${fmt(r.evidence.p99Ms as number)}.`,
    },
  };
}
