import { Histogram, type Registry } from 'prom-client';
import { EDGES_MS, EXPORT_EDGES, type LatencyHistogram } from './buckets.js';

type Exported = Awaited<ReturnType<Histogram['get']>>;
type Value = Exported['values'][number] & { metricName: string };

/** One labelled series of a {@link CollectedHistogram}. */
export interface HistogramSeries {
  labels: Record<string, string>;
  histogram: LatencyHistogram;
}

const LE = EXPORT_EDGES.map((i) => ({
  index: i,
  le: Number((EDGES_MS[i]! / 1000).toPrecision(6)).toString(),
}));

/**
 * A prom-client histogram (seconds) whose data lives in our own {@link LatencyHistogram}s: the hot
 * path records with a few array increments, and this turns the buckets into Prometheus' cumulative
 * `_bucket{le}`, `_sum` and `_count` lines only when /metrics is scraped. `observe()` is not used.
 */
export class CollectedHistogram extends Histogram<string> {
  // prom-client keeps `name` and `help` on the instance without declaring them; ours are typed
  private readonly metricName: string;
  private readonly metricHelp: string;

  constructor(
    registry: Registry,
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly read: () => readonly HistogramSeries[],
  ) {
    super({ name, help, labelNames: [...labelNames], registers: [registry] });
    this.metricName = name;
    this.metricHelp = help;
  }

  override async get(): Promise<Exported> {
    return this.export();
  }

  /** What prom-client's registry calls when it formats the text exposition. */
  async getForPromString(): Promise<Exported> {
    return this.export();
  }

  private export(): Exported {
    const values: Value[] = [];
    const bucket = `${this.metricName}_bucket`;
    for (const { labels, histogram } of this.read()) {
      let cumulative = 0;
      let next = 0;
      for (const { index, le } of LE) {
        while (next <= index) cumulative += histogram.counts[next++]!;
        values.push({ metricName: bucket, labels: { ...labels, le }, value: cumulative });
      }
      values.push({ metricName: bucket, labels: { ...labels, le: '+Inf' }, value: histogram.count });
      values.push({ metricName: `${this.metricName}_sum`, labels, value: histogram.sum / 1000 });
      values.push({ metricName: `${this.metricName}_count`, labels, value: histogram.count });
    }
    return {
      name: this.metricName,
      help: this.metricHelp,
      type: 'histogram' as const,
      aggregator: 'sum',
      collect: () => undefined,
      values,
    } as unknown as Exported;
  }
}
