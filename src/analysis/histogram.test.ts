import { describe, expect, it } from 'vitest';
import { binLowerMs, binOf, binUpperMs, HISTOGRAM_BINS, quantileMs } from './histogram.js';

function histogramOf(values: number[]): Uint32Array {
  const h = new Uint32Array(HISTOGRAM_BINS);
  for (const v of values) h[binOf(v)] = (h[binOf(v)] as number) + 1;
  return h;
}

function exactQuantile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
}

describe('histogram', () => {
  it('puts every value inside its bin, bins in order, none wider than 25%', () => {
    for (const ms of [0.001, 0.0037, 0.004, 0.05, 1, 2.5, 99.9, 100, 1234.5, 60_000, 1_800_000]) {
      const b = binOf(ms);
      expect(binLowerMs(b)).toBeLessThanOrEqual(ms + 1e-9);
      expect(binUpperMs(b)).toBeGreaterThan(ms);
    }
    for (let b = 1; b < HISTOGRAM_BINS; b++) {
      expect(binLowerMs(b)).toBeCloseTo(binUpperMs(b - 1), 9);
      if (b >= 4) expect((binUpperMs(b) - binLowerMs(b)) / binLowerMs(b)).toBeLessThanOrEqual(0.25);
    }
  });

  it('clamps odd values: negative and NaN to the first bin, huge ones to the last', () => {
    expect(binOf(-5)).toBe(0);
    expect(binOf(Number.NaN)).toBe(0);
    expect(binOf(1e12)).toBe(HISTOGRAM_BINS - 1);
  });

  it('reads percentiles back within a few percent of the exact ones', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    // log-normal-ish latencies from 1 ms to a few seconds
    const values = Array.from({ length: 20_000 }, () => Math.exp(rand() * 8));
    const h = histogramOf(values);
    const max = Math.max(...values);
    const min = Math.min(...values);
    for (const p of [0.5, 0.9, 0.99]) {
      const est = quantileMs(h, 0, values.length, p, max, min);
      expect(Math.abs(est - exactQuantile(values, p)) / exactQuantile(values, p)).toBeLessThan(0.05);
    }
  });

  it('narrows a bin to the observed min and max', () => {
    const values = Array.from({ length: 100 }, (_, i) => 2500 + i);
    const h = histogramOf(values);
    expect(quantileMs(h, 0, 100, 0.5, 2599, 2500)).toBeCloseTo(2549.5, 0);
    expect(quantileMs(h, 0, 100, 0.99, 2599, 2500)).toBeLessThanOrEqual(2599);
    expect(quantileMs(h, 0, 0, 0.5)).toBe(0);
  });
});
