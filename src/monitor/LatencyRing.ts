/**
 * The last N latency samples in a fixed ring (no allocation per sample), with percentiles computed
 * on demand. Cheap enough for the hot path: one store and one increment.
 */
export class LatencyRing {
  private readonly samples: Float64Array;
  private next = 0;
  private filled = 0;
  private total = 0;
  private count = 0;

  constructor(size = 4096) {
    this.samples = new Float64Array(size);
  }

  record(value: number): void {
    this.samples[this.next] = value;
    this.next = (this.next + 1) % this.samples.length;
    if (this.filled < this.samples.length) this.filled++;
    this.total += value;
    this.count++;
  }

  /** avg over every sample ever recorded; p50/p99/max over the ring. */
  summary(): { count: number; avg: number; p50: number; p99: number; max: number } {
    if (this.filled === 0) return { count: 0, avg: 0, p50: 0, p99: 0, max: 0 };
    const sorted = this.samples.slice(0, this.filled).sort();
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    return {
      count: this.count,
      avg: this.total / this.count,
      p50: at(0.5),
      p99: at(0.99),
      max: sorted[sorted.length - 1] ?? 0,
    };
  }
}
