/** A metric's direction over the window and, if it keeps going, when it crosses its threshold. */
export interface Trend {
  /** What the series is, e.g. `ttfb p99 ms` or `cache hit rate`. */
  readonly metric: string;
  /** Least-squares slope, in the metric's unit per minute (0 with fewer than two points). */
  readonly slopePerMinute: number;
  /**
   * Coefficient of determination of the fit, 0–1: how much of the series the line explains.
   * 1 when every point lies on the line (a flat series included), 0 with fewer than two points.
   */
  readonly r2: number;
  /** Points (buckets with data) the fit used. */
  readonly points: number;
  /** The fitted value now (the last point's value when there is no fit). */
  readonly current: number;
  /** The value that counts as a breach. */
  readonly threshold: number;
  /** Whether the metric breaches its threshold over the window now. */
  readonly breached: boolean;
  /**
   * Epoch ms when the fitted line crosses `threshold`, if the metric is not in breach yet, the line
   * heads towards the threshold, the fit explains at least {@link MIN_TREND_R2} of the series over
   * at least {@link MIN_TREND_POINTS} points, and the crossing is within {@link BREACH_HORIZON_MS};
   * otherwise null. `now` when the line is already past the threshold but the window is not.
   */
  readonly predictedBreachAt: number | null;
}

/** One point of a series: its time (epoch ms) and value. */
export interface TrendPoint {
  readonly at: number;
  readonly value: number;
}

/** Fewest points a prediction is made from. */
export const MIN_TREND_POINTS = 3;
/** Weakest fit a prediction is made from. */
export const MIN_TREND_R2 = 0.5;
/** Predictions further out than this are not made (a gentle slope predicts nothing useful). */
export const BREACH_HORIZON_MS = 24 * 60 * 60_000;

/** Result of {@link leastSquares}: y = intercept + slope·x. */
export interface LineFit {
  readonly slope: number;
  readonly intercept: number;
  readonly r2: number;
}

/**
 * Ordinary least squares over paired `xs` and `ys`. With fewer than two points, or all x equal,
 * the line is flat through the mean with r2 0.
 */
export function leastSquares(xs: ArrayLike<number>, ys: ArrayLike<number>): LineFit {
  const n = Math.min(xs.length, ys.length);
  if (n === 0) return { slope: 0, intercept: 0, r2: 0 };
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i] as number;
    sy += ys[i] as number;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx;
    const dy = (ys[i] as number) - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (n < 2 || sxx === 0) return { slope: 0, intercept: my, r2: 0 };
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  // r² = explained / total variation; a flat series is explained perfectly by a flat line
  const r2 = syy === 0 ? 1 : Math.min(1, (sxy * sxy) / (sxx * syy));
  return { slope, intercept, r2 };
}

/**
 * Fits `points` by least squares (x in minutes) and predicts when the metric crosses `threshold`.
 * @param direction 'above' when larger values are worse (latency), 'below' when smaller are (hit rate)
 * @param breached whether the window as a whole breaches now (the detector's own judgement)
 */
export function trendOf(
  metric: string,
  points: readonly TrendPoint[],
  threshold: number,
  now: number,
  direction: 'above' | 'below',
  breached: boolean,
): Trend {
  const xs = points.map((p) => (p.at - now) / 60_000);
  const ys = points.map((p) => p.value);
  const fit = leastSquares(xs, ys);
  const last = points.length === 0 ? 0 : (points[points.length - 1] as TrendPoint).value;
  const current = points.length < 2 ? last : fit.intercept;
  const base = { metric, slopePerMinute: fit.slope, r2: fit.r2, points: points.length, current, threshold };
  return {
    ...base,
    breached,
    predictedBreachAt: breached ? null : predictBreach(fit, points.length, threshold, now, direction),
  };
}

function predictBreach(
  fit: LineFit,
  points: number,
  threshold: number,
  now: number,
  direction: 'above' | 'below',
): number | null {
  if (points < MIN_TREND_POINTS || fit.r2 < MIN_TREND_R2) return null;
  const worsening = direction === 'above' ? fit.slope > 0 : fit.slope < 0;
  if (!worsening) return null;
  const minutes = (threshold - fit.intercept) / fit.slope;
  if (minutes <= 0) return now;
  const ms = minutes * 60_000;
  return ms > BREACH_HORIZON_MS ? null : Math.round(now + ms);
}
