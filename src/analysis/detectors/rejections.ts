import { pct } from '../format.js';
import { impactOf, round3, severityOf } from '../impact.js';
import { trendOf } from '../trend.js';
import type { Finding, FindingKind, FindingSeverity, Recommendation } from '../types.js';
import { RQ } from '../window.js';
import { type DetectorContext, enoughRequests, offeredConcurrency } from './context.js';

/** Share of rejected answers from which the severity is at least high. */
const HIGH_SHARE = 0.25;
/** The offered load is cut to this fraction of what upstream accepted, to leave headroom. */
const SAFETY = 0.9;

interface RejectionKind {
  kind: Extract<FindingKind, 'rate_limited' | 'upstream_overloaded' | 'upstream_errors'>;
  count: number;
  ms: number;
  what: string;
}

/**
 * Rejected answers: 429 (rate_limited), 529 (upstream_overloaded), other 5xx and broken upstream
 * connections (upstream_errors). Lost time is each rejected answer's own time plus its redo time
 * (see impact.ts). Reported when the share of such answers reaches `rejectedShare` (2%): a stray
 * one is normal. Severity: from impact; at least medium, high from 25% of answers.
 */
export function detectRejections(ctx: DetectorContext): Finding[] {
  if (!enoughRequests(ctx)) return [];
  const { view } = ctx;
  const kinds: RejectionKind[] = [
    { kind: 'rate_limited', count: view.sum(RQ.n429), ms: view.sum(RQ.ms429), what: '429 rate_limit_error' },
    {
      kind: 'upstream_overloaded',
      count: view.sum(RQ.n529),
      ms: view.sum(RQ.ms529),
      what: '529 overloaded_error',
    },
    { kind: 'upstream_errors', count: view.sum(RQ.n5xx), ms: view.sum(RQ.ms5xx), what: '5xx or broken' },
  ];
  const out: Finding[] = [];
  for (const k of kinds) {
    const f = rejectionFinding(ctx, k);
    if (f !== null) out.push(f);
  }
  return out;
}

function rejectionFinding(ctx: DetectorContext, k: RejectionKind): Finding | null {
  const { view, thresholds: t } = ctx;
  if (k.count === 0) return null;
  const requests = view.requests;
  const share = k.count / requests;
  const lost = k.ms + view.redoMs(k.count);
  const impact = impactOf(lost, view.requestTimeMs);
  const breached = share >= t.rejectedShare;
  if (!breached) return null;
  const floor: FindingSeverity = share >= HIGH_SHARE ? 'high' : 'medium';
  const field = k.kind === 'rate_limited' ? RQ.n429 : k.kind === 'upstream_overloaded' ? RQ.n529 : RQ.n5xx;
  const series = view.series(
    (slot) => view.reqAt(slot, field) / view.reqAt(slot, RQ.requests),
    (slot) => view.reqAt(slot, RQ.requests) > 0,
  );
  const offered = offeredConcurrency(view);
  return {
    id: k.kind,
    kind: k.kind,
    title: `${pct(share)} of answers are ${k.what} (${k.count} of ${requests})`,
    stage: 'rejections',
    impact,
    severity: severityOf(impact, floor),
    evidence: {
      requests,
      rejected: k.count,
      share: round3(share),
      shareThreshold: t.rejectedShare,
      lostMs: round3(lost),
      requestTimeMs: round3(view.requestTimeMs),
      activeAgents: view.agents,
      inFlight: round3(offered),
    },
    trend: trendOf(`${k.kind} share`, series, t.rejectedShare, view.now, 'above', breached),
    recommendation: recommend(k.kind, share, offered, view.agents),
  };
}

function recommend(
  kind: RejectionKind['kind'],
  share: number,
  inFlight: number,
  agents: number,
): Recommendation {
  if (kind === 'rate_limited') {
    const accepted = inFlight * (1 - share);
    const target = Math.max(1, Math.floor(accepted * SAFETY));
    const perAgentNow = agents > 0 ? inFlight / agents : inFlight;
    // agents running one request at a time can only be made fewer; busier ones can be capped
    const cap = perAgentNow >= 2 ? Math.max(1, Math.floor(perAgentNow * (1 - share) * SAFETY)) : null;
    return {
      text:
        cap === null
          ? `Send less at once: run at most ${target} agents concurrently (now ${agents}, about one request ` +
            'in flight each). Retrying sooner or adding connections makes a rate limit worse; a higher usage tier raises it.'
          : `Send less at once: set [gateway] max_concurrent_per_agent to ${cap}, ` +
            `or run fewer agents, so the fleet keeps about ${target} requests in flight. ` +
            'Retrying sooner or adding connections makes a rate limit worse; a higher usage tier raises it.',
      configKey: cap === null ? null : 'gateway.max_concurrent_per_agent',
      setting:
        cap === null ? 'number of concurrent agents (no config key)' : '[gateway] max_concurrent_per_agent',
      suggestedValue: cap ?? target,
      why:
        `Upstream refused ${pct(share)} of answers with ${inFlight.toFixed(1)} requests in flight (Little's law), ` +
        `so it accepts about ${accepted.toFixed(1)} at this rate; ${Math.round(SAFETY * 100)}% of that leaves headroom.`,
    };
  }
  if (kind === 'upstream_overloaded') {
    return {
      text:
        'Not ours to fix: the API is overloaded. Agents retry 529 themselves; the gateway can retry small ' +
        'bodies for them (createGateway retryOverloaded, no config key yet).',
      configKey: null,
      setting: 'createGateway option retryOverloaded (no config key yet)',
      suggestedValue: 'attempts 2, maxDelayMs 30000',
      why: `${pct(share)} of answers were 529 overloaded_error.`,
    };
  }
  return {
    text: 'Not ours to fix: upstream answers 5xx or breaks connections. Check the API status page or your LLM gateway.',
    configKey: null,
    setting: null,
    suggestedValue: null,
    why: `${pct(share)} of answers were server errors or broken responses.`,
  };
}
