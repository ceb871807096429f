// @ts-check
/**
 * The uPlot charts: one per {@link CHARTS} entry, fed the snapshot's series once a second, resized
 * with their grid cell and redrawn in the colours of the current scheme (they are canvas).
 */
import { CHARTS } from './chartSpecs.js';
import { byId, cssVar, el } from './dom.js';
import { num } from './format.js';

/** @typedef {import('./chartSpecs.js').ChartSpec} ChartSpec */
/** @typedef {import('./chartSpecs.js').Series} Series */
/** @typedef {{ spec: ChartSpec, figure: HTMLElement, plot: HTMLElement, chart: uPlot | null }} Slot */

/** The narrowest time span a chart shows, in seconds. */
const MIN_SPAN_S = 60;

const CLOCK = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** @param {number} width */
function chartHeight(width) {
  return Math.round(Math.min(220, Math.max(150, width * 0.36)));
}

/**
 * The last non-null value of a column.
 * @param {uPlot.AlignedData[number] | undefined} col
 * @returns {number | null}
 */
function latest(col) {
  if (col === undefined) return null;
  for (let i = col.length - 1; i >= 0; i--) {
    const v = col[i];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}

/**
 * uPlot options for one chart in the current colour scheme.
 * @param {ChartSpec} spec
 * @param {number} width
 * @returns {uPlot.Options}
 */
function chartOptions(spec, width) {
  const axis = cssVar('--muted');
  const grid = cssVar('--grid');
  /** @type {uPlot.Axis[]} */
  const axes = [
    {
      stroke: axis,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      space: 70,
      size: 30,
      // one row of wall-clock times (uPlot's default adds a date row that crowds a short span)
      values: (_u, splits) => splits.map((t) => CLOCK.format(t * 1000)),
    },
    {
      stroke: axis,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      size: 48,
      values: (_u, splits) => splits.map((v) => num(v)),
    },
  ];
  if (spec.lines.some((l) => l.scale === 'pct'))
    axes.push({
      scale: 'pct',
      side: 1,
      stroke: axis,
      grid: { show: false },
      ticks: { stroke: grid, width: 1 },
      size: 44,
      values: (_u, splits) => splits.map((v) => `${v}%`),
    });
  return {
    width,
    height: chartHeight(width),
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    scales: {
      // at least a minute wide, so the first seconds do not stretch over the whole chart
      x: { time: true, range: (_u, min, max) => [Math.min(min, max - MIN_SPAN_S), max] },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] },
      pct: { range: [0, 100] },
    },
    axes,
    series: [
      {},
      ...spec.lines.map((l) => {
        const color = cssVar(l.color);
        const unit = l.scale === 'pct' ? ' %' : ` ${spec.unit}`;
        return {
          label: l.label,
          scale: l.scale ?? 'y',
          stroke: color,
          width: 1.5,
          fill: l.fill ? `${color}22` : undefined,
          spanGaps: false,
          points: { show: false },
          /** @type {(u: uPlot, v: number | null, sidx: number, idx: number | null) => string} */
          value: (u, v, sidx, idx) => {
            // away from the cursor the legend shows the latest value
            const shown = idx === null ? latest(u.data[sidx]) : v;
            return shown === null || shown === undefined ? '—' : num(shown) + unit;
          },
        };
      }),
    ],
  };
}

/**
 * The chart's columns from the snapshot's series.
 * @param {ChartSpec} spec
 * @param {Series} s
 * @returns {uPlot.AlignedData}
 */
function chartData(spec, s) {
  const n = s.t.length;
  return [
    s.t,
    ...spec.lines.map((l) => {
      /** @type {(number | null)[]} */
      const col = new Array(n);
      for (let i = 0; i < n; i++) col[i] = l.value(s, i);
      return col;
    }),
  ];
}

/** The dashboard's charts, in the element `#charts`. */
export class Charts {
  /** @type {Slot[]} */
  #slots = [];
  /** @type {Series | null} */
  #series = null;

  constructor() {
    const host = byId('charts');
    for (const spec of CHARTS) {
      const figure = el('figure', 'card chart');
      figure.id = `chart-${spec.id}`;
      figure.dataset.points = '0';
      const caption = el('figcaption');
      caption.append(el('span', 'title', spec.title), el('span', 'unit muted', spec.unit));
      const plot = el('div', 'plot');
      figure.append(caption, plot);
      host.append(figure);
      this.#slots.push({ spec, figure, plot, chart: null });
    }
    new ResizeObserver(() => this.#resize()).observe(host);
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.render());
    this.render();
  }

  /** (Re)creates every chart with the current colours and the last data. */
  render() {
    if (typeof uPlot === 'undefined') return;
    for (const slot of this.#slots) {
      slot.chart?.destroy();
      const width = Math.max(200, slot.plot.clientWidth);
      const data = this.#series ? chartData(slot.spec, this.#series) : undefined;
      slot.chart = new uPlot(chartOptions(slot.spec, width), data, slot.plot);
    }
  }

  /**
   * New data for every chart. Each chart's element gets `data-points` (rows) and `data-total`
   * (what its first line adds up to over the span): for people and for the browser test.
   * @param {Series} s
   */
  update(s) {
    this.#series = s;
    if (this.#slots.some((x) => x.chart === null)) this.render();
    for (const slot of this.#slots) {
      const chart = slot.chart;
      if (chart === null) continue;
      chart.setData(chartData(slot.spec, s));
      if (chart.cursor.idx === null || chart.cursor.idx === undefined)
        chart.setLegend({ idxs: chart.series.map(() => null) });
      slot.figure.dataset.points = String(s.t.length);
      let total = 0;
      for (let i = 0; i < s.t.length; i++) total += slot.spec.lines[0]?.value(s, i) ?? 0;
      slot.figure.dataset.total = String(Math.round(total * 1000) / 1000);
    }
  }

  #resize() {
    for (const slot of this.#slots) {
      const w = Math.max(200, slot.plot.clientWidth);
      if (slot.chart !== null && w !== slot.chart.width)
        slot.chart.setSize({ width: w, height: chartHeight(w) });
    }
  }
}
