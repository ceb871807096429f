// @ts-check
/** How the dashboard writes numbers, ratios, durations and statuses for people. */

/**
 * A number in at most four significant characters: 1234 → 1234, 12345 → 12.3k, 0.1234 → 0.12.
 * @param {number} v
 */
export function num(v) {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

/**
 * A ratio 0–1 as a percentage: 0.973 → "97.3 %", 1 → "100 %".
 * @param {number} ratio
 */
export function pct(ratio) {
  return `${(ratio * 100).toFixed(ratio >= 0.995 || ratio === 0 ? 0 : 1)} %`;
}

/**
 * Seconds in the two largest units: 75 → "1 min 15 s", 3600 → "1 h".
 * @param {number} seconds
 */
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  /** @param {number} big @param {string} bigUnit @param {number} small @param {string} smallUnit */
  const two = (big, bigUnit, small, smallUnit) =>
    small === 0 ? `${big} ${bigUnit}` : `${big} ${bigUnit} ${small} ${smallUnit}`;
  if (s < 3600) return two(Math.floor(s / 60), 'min', s % 60, 's');
  if (s < 86400) return two(Math.floor(s / 3600), 'h', Math.floor((s % 3600) / 60), 'min');
  return two(Math.floor(s / 86400), 'd', Math.floor((s % 86400) / 3600), 'h');
}

/**
 * The status word of a 0–100 score, with the monitor's cut-offs (docs/monitoring.md).
 * @param {number} score
 */
export function statusOf(score) {
  return score >= 80 ? 'meets_target' : score >= 50 ? 'degraded' : 'failing';
}

/** "meets_target" → "meets target". @param {string} status */
export function statusText(status) {
  return status.replaceAll('_', ' ');
}
