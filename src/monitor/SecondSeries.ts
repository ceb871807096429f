/**
 * A fixed ring of one-second rows, each a row of numeric fields: the time series behind the
 * dashboard's charts and the alert rules' windows. Counters are added into the current row (two
 * array writes, no clock read: the monitor's tick calls `roll()` once a second); gauges are set into
 * it. Running totals over the last `windowSeconds` rows make a window sum O(1).
 */
export class SecondSeries<F extends string> {
  private readonly index: Record<F, number>;
  private readonly width: number;
  private readonly rows: Float64Array;
  private readonly times: Float64Array;
  private readonly window: Float64Array;
  private pos = 0;
  private filled = 1;

  /**
   * @param fields names of the columns
   * @param capacity rows kept (seconds of history)
   * @param windowSeconds rows summed by `windowSum` (at most `capacity`)
   * @param now epoch ms of the first row
   */
  constructor(
    readonly fields: readonly F[],
    readonly capacity: number,
    readonly windowSeconds: number,
    now: number,
  ) {
    if (windowSeconds > capacity) throw new RangeError('windowSeconds must not exceed capacity');
    this.index = Object.fromEntries(fields.map((f, i) => [f, i])) as Record<F, number>;
    this.width = fields.length;
    this.rows = new Float64Array(capacity * this.width);
    this.times = new Float64Array(capacity);
    this.window = new Float64Array(this.width);
    this.times[0] = now;
  }

  /** The column number of a field, for `add` on hot paths. */
  column(field: F): number {
    return this.index[field];
  }

  /** Adds `v` to a counter column of the current second. */
  add(column: number, v = 1): void {
    this.rows[this.pos * this.width + column]! += v;
    this.window[column]! += v;
  }

  /** Sets a gauge column of the current second (window sums of gauges are meaningless). */
  set(field: F, v: number): void {
    const c = this.index[field];
    const at = this.pos * this.width + c;
    this.window[c]! += v - this.rows[at]!;
    this.rows[at] = v;
  }

  /** The value of a field in the current second. */
  current(field: F): number {
    return this.rows[this.pos * this.width + this.index[field]]!;
  }

  /** Sum of a counter over the last `windowSeconds` seconds, the current one included. */
  windowSum(field: F): number {
    return this.window[this.index[field]]!;
  }

  /** Sum of a counter over the last `seconds` seconds (at most the history kept), O(seconds). */
  sum(field: F, seconds: number): number {
    const c = this.index[field];
    const n = Math.min(seconds, this.filled);
    let total = 0;
    for (let k = 0; k < n; k++)
      total += this.rows[((this.pos - k + this.capacity) % this.capacity) * this.width + c]!;
    return total;
  }

  /** Closes the current second and opens one stamped `now`. */
  roll(now: number): void {
    this.pos = (this.pos + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
    const leaving = ((this.pos - this.windowSeconds + this.capacity) % this.capacity) * this.width;
    // rows never written are zero, so this is right before the ring first wraps too
    for (let c = 0; c < this.width; c++) this.window[c]! -= this.rows[leaving + c]!;
    this.rows.fill(0, this.pos * this.width, (this.pos + 1) * this.width);
    this.times[this.pos] = now;
  }

  /**
   * The closed seconds, oldest first, as columns (uPlot's layout): `t` in epoch seconds and one
   * array per requested field. At most `seconds` rows; the open second is left out (it is partial).
   */
  columns<K extends F>(fields: readonly K[], seconds = this.capacity): { t: number[] } & Record<K, number[]> {
    const n = Math.min(seconds, this.filled - 1);
    const out = { t: new Array<number>(n) } as { t: number[] } & Record<K, number[]>;
    for (const f of fields) (out as Record<K, number[]>)[f] = new Array<number>(n);
    for (let k = 0; k < n; k++) {
      const row = (this.pos - n + k + this.capacity) % this.capacity;
      out.t[k] = Math.floor(this.times[row]! / 1000);
      for (const f of fields) {
        const v = this.rows[row * this.width + this.index[f]]!;
        (out as Record<K, number[]>)[f][k] = Math.round(v * 1000) / 1000;
      }
    }
    return out;
  }
}
