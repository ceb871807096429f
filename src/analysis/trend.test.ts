import { describe, expect, it } from 'vitest';
import { BREACH_HORIZON_MS, leastSquares, type TrendPoint, trendOf } from './trend.js';

const NOW = Date.UTC(2026, 11, 4, 12);
const MIN = 60_000;

/** Points one minute apart ending at NOW. */
function series(values: number[]): TrendPoint[] {
  return values.map((value, i) => ({ at: NOW - (values.length - 1 - i) * MIN, value }));
}

describe('leastSquares', () => {
  it('fits an exact line with r2 1', () => {
    const fit = leastSquares([0, 1, 2, 3], [1, 3, 5, 7]);
    expect(fit.slope).toBeCloseTo(2, 12);
    expect(fit.intercept).toBeCloseTo(1, 12);
    expect(fit.r2).toBeCloseTo(1, 12);
  });

  it('gives a known fit on noisy points', () => {
    // by hand: means 2.5 and 2.5, Sxy = 14.5, Sxx = Syy = 17.5
    const fit = leastSquares([0, 1, 2, 3, 4, 5], [1, 0, 3, 2, 5, 4]);
    expect(fit.slope).toBeCloseTo(14.5 / 17.5, 12);
    expect(fit.intercept).toBeCloseTo(2.5 - (14.5 / 17.5) * 2.5, 12);
    expect(fit.r2).toBeCloseTo((14.5 * 14.5) / (17.5 * 17.5), 12);
  });

  it('is flat with r2 0 on one point or constant x, and r2 1 on a flat series', () => {
    expect(leastSquares([5], [3])).toEqual({ slope: 0, intercept: 3, r2: 0 });
    expect(leastSquares([2, 2, 2], [1, 2, 3]).r2).toBe(0);
    expect(leastSquares([0, 1, 2], [4, 4, 4])).toEqual({ slope: 0, intercept: 4, r2: 1 });
    expect(leastSquares([], [])).toEqual({ slope: 0, intercept: 0, r2: 0 });
  });
});

describe('trendOf: predicted time to breach', () => {
  it('predicts when a rising metric crosses its threshold', () => {
    const t = trendOf('p99 ms', series([50, 60, 70]), 100, NOW, 'above', false);
    expect(t.slopePerMinute).toBeCloseTo(10, 9);
    expect(t.r2).toBeCloseTo(1, 9);
    expect(t.current).toBeCloseTo(70, 9);
    expect(t.predictedBreachAt).toBe(NOW + 3 * MIN);
  });

  it('predicts when a falling rate crosses a lower threshold', () => {
    const t = trendOf('hit rate', series([0.95, 0.9, 0.85, 0.8]), 0.6, NOW, 'below', false);
    expect(t.predictedBreachAt).toBe(NOW + 4 * MIN);
  });

  it('predicts nothing when improving, already breached, noisy, too short or too far', () => {
    expect(trendOf('x', series([70, 60, 50]), 100, NOW, 'above', false).predictedBreachAt).toBeNull();
    const breached = trendOf('x', series([90, 110, 130]), 100, NOW, 'above', true);
    expect(breached.breached).toBe(true);
    expect(breached.predictedBreachAt).toBeNull();
    expect(
      trendOf('x', series([50, 90, 40, 95, 45, 96]), 100, NOW, 'above', false).predictedBreachAt,
    ).toBeNull();
    expect(trendOf('x', series([50, 60]), 100, NOW, 'above', false).predictedBreachAt).toBeNull();
    const slow = trendOf('x', series([50, 50.001, 50.002]), 100, NOW, 'above', false);
    expect(((100 - 50.002) / 0.001) * MIN).toBeGreaterThan(BREACH_HORIZON_MS);
    expect(slow.predictedBreachAt).toBeNull();
  });

  it('says now when the fitted line is past the threshold but the window is not', () => {
    const t = trendOf('x', series([80, 95, 110]), 100, NOW, 'above', false);
    expect(t.predictedBreachAt).toBe(NOW);
  });

  it('handles an empty series', () => {
    const t = trendOf('x', [], 100, NOW, 'above', false);
    expect(t).toMatchObject({ points: 0, slopePerMinute: 0, r2: 0, current: 0, predictedBreachAt: null });
  });
});
