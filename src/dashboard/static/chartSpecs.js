// @ts-check
/** What each chart of the dashboard draws, from the snapshot's per-second series. */

/** @typedef {import('../../monitor/dashboardShape.js').Dashboard['details']['series']} Series */

/**
 * One line of a chart.
 * @typedef {object} Line
 * @property {string} label
 * @property {string} color a CSS custom property of dashboard.css
 * @property {(s: Series, i: number) => number | null} value the point at row i; null leaves a gap
 * @property {'y' | 'pct'} [scale] `pct`: the right-hand 0–100 % axis
 * @property {boolean} [fill]
 */

/**
 * One chart: its id (the element is `#chart-ID`), title, left-axis unit and lines.
 * @typedef {object} ChartSpec
 * @property {string} id
 * @property {string} title
 * @property {string} unit of the left axis
 * @property {Line[]} lines
 */

/** Row i of a column, 0 when missing. @param {number[]} col @param {number} i */
export const at = (col, i) => col[i] ?? 0;

/** The charts, in page order. @type {ChartSpec[]} */
export const CHARTS = [
  {
    id: 'requests',
    title: 'Requests per second',
    unit: 'req/s',
    lines: [
      { label: 'requests', color: '--c-blue', value: (s, i) => at(s.requests, i), fill: true },
      { label: 'errors', color: '--c-red', value: (s, i) => at(s.errors, i) },
      {
        label: '429 + 529',
        color: '--c-orange',
        value: (s, i) => at(s.upstream_429, i) + at(s.upstream_529, i),
      },
    ],
  },
  {
    id: 'latency',
    title: 'Latency',
    unit: 'ms',
    lines: [
      {
        label: 'p50',
        color: '--c-blue',
        value: (s, i) => (at(s.requests, i) > 0 ? at(s.latency_p50_ms, i) : null),
      },
      {
        label: 'p99',
        color: '--c-purple',
        value: (s, i) => (at(s.requests, i) > 0 ? at(s.latency_p99_ms, i) : null),
      },
      {
        label: 'auth p99',
        color: '--c-teal',
        value: (s, i) => (at(s.auth_lookups, i) > 0 ? at(s.auth_p99_ms, i) : null),
      },
    ],
  },
  {
    id: 'cache',
    title: 'Authentication cache',
    unit: 'lookups/s',
    lines: [
      {
        label: 'lookups',
        color: '--c-grey',
        value: (s, i) => at(s.cache_hits, i) + at(s.cache_misses, i),
        fill: true,
      },
      {
        label: 'hit rate',
        color: '--c-green',
        scale: 'pct',
        value: (s, i) =>
          at(s.cache_hits, i) + at(s.cache_misses, i) > 0 ? at(s.cache_hit_rate, i) * 100 : null,
      },
    ],
  },
  {
    id: 'refresh',
    title: 'Token refreshes',
    unit: 'per s',
    lines: [
      { label: 'succeeded', color: '--c-green', value: (s, i) => at(s.refreshes, i), fill: true },
      { label: 'failed', color: '--c-red', value: (s, i) => at(s.refresh_failures, i) },
    ],
  },
  {
    id: 'connections',
    title: 'Upstream connections',
    unit: 'connections',
    lines: [
      { label: 'open', color: '--c-blue', value: (s, i) => at(s.connections_open, i), fill: true },
      { label: 'opened', color: '--c-orange', value: (s, i) => at(s.connections_opened, i) },
      { label: 'waiting', color: '--c-red', value: (s, i) => at(s.pool_pending, i) },
      {
        label: 'reuse',
        color: '--c-green',
        scale: 'pct',
        value: (s, i) => (at(s.pool_requests, i) > 0 ? at(s.reuse_rate, i) * 100 : null),
      },
    ],
  },
  {
    id: 'memory',
    title: 'Agent memory',
    unit: 'MB',
    lines: [
      { label: 'reserved', color: '--c-blue', value: (s, i) => at(s.memory_reserved_mb, i), fill: true },
      {
        label: 'observed',
        color: '--c-purple',
        value: (s, i) => (at(s.memory_observed_mb, i) > 0 ? at(s.memory_observed_mb, i) : null),
      },
      { label: 'largest agent', color: '--c-orange', value: (s, i) => at(s.memory_largest_agent_mb, i) },
    ],
  },
];
