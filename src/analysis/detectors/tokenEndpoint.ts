import { effectiveMarginMs } from '../../credentials/oauth2/provider.js';
import { fmt } from '../format.js';
import { round3, severityOf } from '../impact.js';
import type { Finding, FindingSeverity, Recommendation } from '../types.js';
import type { RefreshWindow } from '../view.js';
import { RQ, SG } from '../window.js';
import { type DetectorContext, readStage } from './context.js';

/** Headroom of the suggested refresh margin over the p99 refresh duration. */
const MARGIN_FACTOR = 2.5;

/**
 * slow_token_endpoint: requests wait for credential refreshes. Lost time is the `refresh_wait`
 * stage's excess over `authentication_threshold_ms`. Also reported, whatever the lost time, when
 * refreshes fail, a refresh circuit is open, or requests were refused for want of a credential.
 * Severity: from impact; at least high when requests were refused or a circuit opened, at least
 * medium when refreshes failed.
 */
export function detectSlowTokenEndpoint(ctx: DetectorContext): Finding | null {
  const { view, thresholds: t } = ctx;
  const r = readStage(ctx, 'refresh_wait', t.refreshWaitMs);
  const refresh = view.refreshes();
  const refused = view.sum(RQ.credentialFailed);
  const circuits = view.peak(SG.circuitsOpenPeak);
  const failures = refresh?.failures ?? 0;
  const slow = r.impact >= t.minImpact && view.requests >= t.minRequests;
  if (!slow && refused === 0 && circuits === 0 && failures === 0) return null;
  const floor: FindingSeverity = refused > 0 || circuits > 0 ? 'high' : failures > 0 ? 'medium' : 'low';
  const waited = r.evidence.count as number;
  return {
    id: 'slow_token_endpoint',
    kind: 'slow_token_endpoint',
    title:
      refused > 0 || failures > 0
        ? `Credential refreshes fail: ${failures} failed refreshes, ${refused} requests refused`
        : `Requests wait for credential refreshes: ${waited} waited p99 ${fmt(r.evidence.p99Ms as number)}`,
    stage: 'refresh_wait',
    impact: r.impact,
    severity: severityOf(r.impact, floor),
    evidence: {
      ...r.evidence,
      refreshes: refresh?.count ?? 0,
      refreshFailures: failures,
      refreshP50Ms: round3(refresh?.p50Ms ?? 0),
      refreshP99Ms: round3(refresh?.p99Ms ?? 0),
      tokenLifetimeMs: refresh?.minLifetimeMs ?? 0,
      requestsRefused: refused,
      circuitsOpen: circuits,
    },
    trend: r.trend,
    recommendation: recommend(ctx, refresh, r.evidence.p99Ms as number, failures + refused + circuits > 0),
  };
}

function recommend(
  ctx: DetectorContext,
  refresh: RefreshWindow | null,
  waitP99Ms: number,
  failing: boolean,
): Recommendation {
  const { config } = ctx;
  const durationMs = Math.max(refresh?.p99Ms ?? 0, waitP99Ms);
  const idp = failing
    ? 'Refreshes fail: check the identity provider (its status, the client, the grant); `claude-auth status` shows the credential state.'
    : `Check the identity provider: a refresh takes p99 ${fmt(durationMs)}.`;
  if (config.auth.provider === 'helper') {
    const ttl = config.auth.helper.ttl_ms;
    const suggested = Math.max(ttl * 2, Math.ceil((durationMs * 20) / 1000) * 1000);
    return {
      text: `Run the key helper less often: raise auth.helper.ttl_ms from ${ttl} to ${suggested}. ${idp}`,
      configKey: 'auth.helper.ttl_ms',
      setting: null,
      suggestedValue: suggested,
      why: `Each helper run takes p99 ${fmt(durationMs)} and requests wait for it; a longer reuse time means fewer runs.`,
    };
  }
  if (config.auth.provider !== 'oauth2') {
    return {
      text: `${config.auth.provider} credentials are not refreshed on a schedule; waits come from loading it. ${idp}`,
      configKey: null,
      setting: null,
      suggestedValue: null,
      why: `Requests waited p99 ${fmt(waitP99Ms)} for the credential.`,
    };
  }
  const current = config.auth.oauth2.refresh_margin_seconds;
  const needed = Math.max(1, Math.ceil((MARGIN_FACTOR * durationMs) / 1000));
  const lifetimeMs = refresh?.minLifetimeMs ?? null;
  if (lifetimeMs !== null && lifetimeMs / 4 < needed * 1000) {
    const effectiveMs = effectiveMarginMs({ obtained_at: 0, expires_at: lifetimeMs }, current);
    // the provider caps the margin at a quarter of the token's lifetime: raising it cannot help
    const lifetimeNeeded = needed * 4;
    return {
      text:
        `Access tokens live only ${fmt(lifetimeMs)} and the refresh margin is at most a quarter of that ` +
        `(${fmt(lifetimeMs / 4)}${effectiveMs < lifetimeMs / 4 ? `; ${fmt(effectiveMs)} configured` : ''}), ` +
        `less than the ${needed} s a refresh needs, so ` +
        'raising refresh_margin_seconds cannot help: ask the identity provider for access tokens that live ' +
        `at least ${lifetimeNeeded} s, or for a faster token endpoint. ${idp}`,
      configKey: null,
      setting: 'access token lifetime at the identity provider',
      suggestedValue: `${lifetimeNeeded} s`,
      why:
        `A background refresh must finish inside the margin before the token stops being handed out; ` +
        `it takes p99 ${fmt(durationMs)}, the effective margin is ${fmt(effectiveMs)}.`,
    };
  }
  if (current < needed) {
    return {
      text: `Start refreshes earlier: raise auth.oauth2.refresh_margin_seconds from ${current} to ${needed}. ${idp}`,
      configKey: 'auth.oauth2.refresh_margin_seconds',
      setting: null,
      suggestedValue: needed,
      why:
        `A refresh takes p99 ${fmt(durationMs)}; with a margin of ${MARGIN_FACTOR}× that the background refresh ` +
        'finishes before the token stops being handed out, so no request waits for it.',
    };
  }
  return {
    text: `The refresh margin (${current} s) already covers a refresh. ${idp}`,
    configKey: null,
    setting: null,
    suggestedValue: null,
    why: `Requests waited p99 ${fmt(waitP99Ms)} for a credential although refreshes start ${current} s early.`,
  };
}
