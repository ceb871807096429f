import { describe, expect, it } from 'vitest';
import { BUCKETS, bucketOf, EDGES_MS, EXPORT_EDGES, LatencyHistogram, WindowedHistogram } from './buckets.js';
import { SecondSeries } from './SecondSeries.js';

describe('bucket scheme', () => {
  it('puts every sample in the bucket whose edges hold it', () => {
    for (let i = 0; i < EDGES_MS.length; i++) {
      const edge = EDGES_MS[i]!;
      expect(bucketOf(edge)).toBe(i);
      expect(bucketOf(edge * 1.0001)).toBe(i + 1);
    }
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(-5)).toBe(0);
    expect(bucketOf(Number.NaN)).toBe(0);
    expect(bucketOf(1e9)).toBe(BUCKETS - 1);
  });

  it('agrees with a linear search over the edges for random samples over ten decades', () => {
    const linear = (ms: number) => {
      let i = 0;
      while (i < EDGES_MS.length && ms > EDGES_MS[i]!) i++;
      return i;
    };
    let seed = 7;
    for (let k = 0; k < 200_000; k++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const ms = 10 ** ((seed / 0x7fffffff) * 10 - 4); // 0.1 µs … 1000 s
      expect(bucketOf(ms)).toBe(linear(ms));
    }
  });

  it('exports 1, 2.5 and 5 per decade from 10 µs to 100 s', () => {
    const le = EXPORT_EDGES.map((i) => EDGES_MS[i]!);
    expect(le[0]).toBe(0.01);
    expect(le).toContain(2.5);
    expect(le).toContain(50);
    expect(le[le.length - 1]).toBe(100_000);
  });

  it('estimates quantiles within a bucket of the exact value', () => {
    const h = new LatencyHistogram();
    const values: number[] = [];
    for (let i = 1; i <= 10_000; i++) {
      const v = (i % 1000) * 0.37 + 0.05;
      values.push(v);
      h.observe(v);
    }
    values.sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = values[Math.floor(q * values.length) - 1]!;
      expect(Math.abs(h.quantile(q) - exact) / exact).toBeLessThan(0.27);
    }
    expect(h.count).toBe(10_000);
  });

  it('forgets the seconds that leave a window', () => {
    const w = new WindowedHistogram(3);
    for (let i = 0; i < 10; i++) w.add(bucketOf(500));
    w.roll();
    w.add(bucketOf(1));
    expect(w.count).toBe(11);
    expect(w.quantile(0.99)).toBeGreaterThan(400);
    w.roll();
    w.roll(); // the second with the ten slow samples leaves
    expect(w.count).toBe(1);
    expect(w.quantile(0.99)).toBeLessThanOrEqual(1);
    expect(w.currentCount).toBe(0);
  });
});

describe('SecondSeries', () => {
  it('keeps running window sums and columns of closed seconds', () => {
    const s = new SecondSeries(['a', 'g'] as const, 5, 2, 1_000);
    const a = s.column('a');
    s.add(a, 3);
    s.set('g', 7);
    s.roll(2_000);
    s.add(a, 4);
    expect(s.windowSum('a')).toBe(7);
    s.roll(3_000);
    expect(s.windowSum('a')).toBe(4);
    s.roll(4_000);
    expect(s.windowSum('a')).toBe(0);
    const cols = s.columns(['a', 'g']);
    expect(cols.t).toEqual([1, 2, 3]);
    expect(cols.a).toEqual([3, 4, 0]);
    expect(cols.g).toEqual([7, 0, 0]);
    for (let t = 5; t < 20; t++) s.roll(t * 1000);
    expect(s.columns(['a']).t).toHaveLength(4);
    expect(s.sum('a', 100)).toBe(0);
  });
});
