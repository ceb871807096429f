// @ts-check
/**
 * The dashboard page: one EventSource on /api/events. Each `dashboard` event (once a second) is
 * the whole /api/dashboard JSON with five minutes of per-second series; `alert.*` events update the
 * alerts list at once and keep resolved alerts on screen after the server forgets them. Every
 * string from the server goes in through textContent, never as HTML. Type-checked with
 * `tsc -p src/dashboard/client.tsconfig.json` against the monitor's own types.
 */

/** @typedef {import('../../monitor/dashboardShape.js').Dashboard} Dashboard */
/** @typedef {import('../../monitor/dashboardShape.js').AgentRow} AgentRow */
/** @typedef {import('../../monitor/AlertEngine.js').AlertView} AlertView */
/** @typedef {import('../../monitor/events.js').AlertEventFields} AlertEventFields */
/** @typedef {import('../../monitor/health.js').Component} Component */
/** @typedef {Dashboard['details']['series']} Series */

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
 * @typedef {object} ChartSpec
 * @property {string} id
 * @property {string} title
 * @property {string} unit of the left axis
 * @property {Line[]} lines
 * @property {boolean} [percentOnly] the left axis is 0–100 %
 */

/** Seconds a resolved alert stays listed after the server dropped it (its cooldown ended). */
const KEEP_RESOLVED_MS = 15 * 60_000;
/** Without a snapshot for this long the page says the data is stale. */
const STALE_MS = 5000;
/** The narrowest time span a chart shows, in seconds. */
const MIN_SPAN_S = 60;
/** After the stream gave up (e.g. a 401 or the gateway restarting), try again this often. */
const RECONNECT_MS = 3000;

/** How each component's key figure reads. @type {Record<Component, (v: number) => string>} */
const COMPONENT_FIGURES = {
  authentication: (v) => `p99 ${num(v)} ms`,
  token_refresh: (v) => `${pct(v)} succeed`,
  memory: (v) => `${pct(v)} used`,
  concurrency: (v) => `${pct(v)} throttled`,
  cache: (v) => `${pct(v)} hits`,
  connections: (v) => `${pct(v)} reused`,
};

/** @param {number[]} col @param {number} i */
const at = (col, i) => col[i] ?? 0;

/** @type {ChartSpec[]} */
const CHARTS = [
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

// ---- small helpers --------------------------------------------------------------------------

/**
 * The element with this id; the page is static, so a missing one is a bug.
 * @param {string} id
 */
function byId(id) {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} missing`);
  return el;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [className]
 * @param {string} [text]
 */
function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** @param {Element} root @param {string} selector @param {string} text */
function setText(root, selector, text) {
  const e = root.querySelector(selector);
  if (e !== null && e.textContent !== text) e.textContent = text;
}

/** A number for people: 1234 → 1.23k, 0.1234 → 0.123. @param {number} v */
function num(v) {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v === 0 ? '0' : v.toPrecision(2);
}

/** @param {number} ratio 0–1 */
const pct = (ratio) => `${(ratio * 100).toFixed(ratio >= 0.995 || ratio === 0 ? 0 : 1)} %`;

/** 75 → "1 min 15 s". @param {number} seconds */
function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  /** @param {number} big @param {string} bigUnit @param {number} small @param {string} smallUnit */
  const two = (big, bigUnit, small, smallUnit) =>
    small === 0 ? `${big} ${bigUnit}` : `${big} ${bigUnit} ${small} ${smallUnit}`;
  if (s < 3600) return two(Math.floor(s / 60), 'min', s % 60, 's');
  if (s < 86400) return two(Math.floor(s / 3600), 'h', Math.floor((s % 3600) / 60), 'min');
  return two(Math.floor(s / 86400), 'd', Math.floor((s % 86400) / 3600), 'h');
}

/** @param {number} score */
const statusOf = (score) => (score >= 80 ? 'meets_target' : score >= 50 ? 'degraded' : 'failing');
/** @param {string} status */
const statusText = (status) => status.replace('_', ' ');

/** The value of a CSS custom property of the page. @param {string} name */
function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

// ---- charts ---------------------------------------------------------------------------------

/** @typedef {{ spec: ChartSpec, figure: HTMLElement, plot: HTMLElement, chart: uPlot | null }} ChartSlot */

/** @type {ChartSlot[]} */
const slots = [];
/** @type {Series | null} */
let lastSeries = null;

/** @param {number} width */
function chartHeight(width) {
  return Math.round(Math.min(220, Math.max(150, width * 0.36)));
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
  const hasPct = spec.lines.some((l) => l.scale === 'pct');
  /** @type {uPlot.Axis[]} */
  const axes = [
    { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
    {
      stroke: axis,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      size: 48,
      values: (_u, splits) => splits.map((v) => num(v)),
    },
  ];
  if (hasPct)
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

function buildCharts() {
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
    slots.push({ spec, figure, plot, chart: null });
  }
}

/** (Re)creates every chart, e.g. for a new colour scheme. */
function renderCharts() {
  if (typeof uPlot === 'undefined') return;
  for (const slot of slots) {
    slot.chart?.destroy();
    const width = Math.max(200, slot.plot.clientWidth);
    const data = lastSeries ? chartData(slot.spec, lastSeries) : undefined;
    slot.chart = new uPlot(chartOptions(slot.spec, width), data, slot.plot);
  }
}

/** @param {Series} s */
function updateCharts(s) {
  lastSeries = s;
  if (slots.some((x) => x.chart === null)) renderCharts();
  for (const slot of slots) {
    const chart = slot.chart;
    if (chart === null) continue;
    chart.setData(chartData(slot.spec, s));
    if (chart.cursor.idx === null || chart.cursor.idx === undefined)
      chart.setLegend({ idxs: chart.series.map(() => null) });
    slot.figure.dataset.points = String(s.t.length);
    // what the first line adds up to over the span (for tests, and a tooltip)
    let total = 0;
    for (let i = 0; i < s.t.length; i++) total += slot.spec.lines[0]?.value(s, i) ?? 0;
    slot.figure.dataset.total = String(Math.round(total * 1000) / 1000);
  }
}

function watchSize() {
  new ResizeObserver(() => {
    for (const slot of slots) {
      const w = Math.max(200, slot.plot.clientWidth);
      if (slot.chart !== null && w !== slot.chart.width)
        slot.chart.setSize({ width: w, height: chartHeight(w) });
    }
  }).observe(byId('charts'));
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', renderCharts);
}

// ---- scores, figures, tables ----------------------------------------------------------------

/** @param {Dashboard} d */
function renderScores(d) {
  const overall = byId('score-overall');
  const score = d.overall_performance.score;
  overall.dataset.status = statusOf(score);
  setText(overall, '.value', String(Math.round(score)));
  const capped = d.details.health.capped_by;
  byId('score-capped').textContent =
    capped === 'critical_alert'
      ? 'capped: a critical alert is firing'
      : capped === 'warning_alert'
        ? 'capped: a warning alert is firing'
        : statusText(statusOf(score));
  for (const node of document.querySelectorAll('.score[data-component]')) {
    const box = /** @type {HTMLElement} */ (node);
    const c = /** @type {Component} */ (box.dataset.component);
    const h = d.details.health.components[c];
    if (h === undefined) continue;
    box.dataset.status = h.status;
    setText(box, '.value', String(Math.round(h.score)));
    setText(box, '.sub', h.status === 'no_data' ? 'no data yet' : statusText(h.status));
    setText(box, '.fig', h.status === 'no_data' ? '' : COMPONENT_FIGURES[c](h.value));
    box.title = `${h.figure}: ${h.value}`;
  }
}

/** @param {string} id @param {string} text @param {string} [tone] */
function kpi(id, text, tone) {
  const box = byId(id);
  setText(box, '.kpi-value', text);
  if (tone) box.dataset.tone = tone;
  else delete box.dataset.tone;
}

/** @param {Dashboard} d */
function renderFigures(d) {
  const s = d.details.series;
  const c = d.details.counts;
  const last10 = s.requests.slice(-10);
  const rate = last10.length ? last10.reduce((a, b) => a + b, 0) / last10.length : 0;
  let p99 = null;
  for (let i = s.t.length - 1; i >= Math.max(0, s.t.length - 10) && p99 === null; i--)
    if (at(s.requests, i) > 0) p99 = at(s.latency_p99_ms, i);
  const noData = new Set(d.details.no_data);
  kpi('kpi-requests', num(c.requests));
  kpi('kpi-rate', `${num(rate)} /s`);
  kpi('kpi-p99', p99 === null ? '—' : `${num(p99)} ms`);
  const hit = d.component_health.cache.hit_rate;
  kpi(
    'kpi-hit',
    noData.has('component_health.cache.hit_rate') ? '—' : pct(hit),
    d.details.health.components.cache.status === 'failing' ? 'bad' : undefined,
  );
  kpi('kpi-agents', num(c.active_agents));
  kpi(
    'kpi-throttled',
    `${num(c.upstream_429)} / ${num(c.upstream_529)}`,
    c.upstream_429 + c.upstream_529 > 0 ? 'warn' : undefined,
  );
  const reuse = d.component_health.connections.reuse_rate;
  kpi('kpi-reuse', noData.has('component_health.connections.reuse_rate') ? '—' : pct(reuse));
  const m = d.details.memory;
  kpi('kpi-memory', m === null ? '—' : `${num(m.reserved_mb)} / ${num(m.max_mb)} MB`);
  byId('uptime').textContent = `up ${duration(d.details.uptime_seconds)}`;
  byId('window').textContent = duration(d.details.window_seconds);
  byId('updated').textContent = new Date(d.details.generated_at).toLocaleTimeString();
}

/** @param {Dashboard} d @param {number} now */
function renderAgents(d, now) {
  const rows = d.details.agents;
  const body = /** @type {HTMLTableSectionElement} */ (byId('agents').querySelector('tbody'));
  /** @param {number | null} v */
  const mb = (v) => (v === null ? '—' : num(v));
  body.replaceChildren(
    ...rows.map((r) => {
      const tr = el('tr');
      tr.dataset.agent = r.agent;
      const cells = [
        num(r.requests),
        num(r.errors),
        num(r.upstream_429),
        num(r.upstream_529),
        num(r.avg_ms),
        num(r.max_ms),
        mb(r.reserved_mb),
        mb(r.observed_mb),
        r.last_seen === null ? '—' : `${duration((now - r.last_seen) / 1000)} ago`,
      ];
      const name = el('th', 'agent', r.agent);
      name.scope = 'row';
      tr.append(name);
      for (const [i, text] of cells.entries()) {
        const td = el('td', 'num', text);
        if ((i === 1 && r.errors > 0) || ((i === 2 || i === 3) && text !== '0')) td.dataset.tone = 'warn';
        tr.append(td);
      }
      return tr;
    }),
  );
  byId('agents-empty').hidden = rows.length > 0;
  byId('agents-count').textContent = rows.length ? String(rows.length) : '';
}

/** @param {Dashboard} d */
function renderFindings(d) {
  const list = byId('findings');
  list.replaceChildren(
    ...d.recommendations.map((text) => {
      const li = el('li');
      const ok = text === 'System performance is optimal';
      li.dataset.tone = ok ? 'ok' : d.details.monitoring ? 'warn' : 'info';
      const dot = text.indexOf('. ');
      if (!ok && dot > 0) li.append(el('strong', '', text.slice(0, dot + 1)), ` ${text.slice(dot + 2)}`);
      else li.textContent = text;
      return li;
    }),
  );
  if (d.recommendations.length === 0) list.append(el('li', 'empty', 'No findings right now.'));
}

// ---- alerts ---------------------------------------------------------------------------------

/** Alerts learned from `alert.*` events, by rule, with the server time of the event. */
/** @type {Map<string, { view: AlertView, at: number }>} */
const alertEvents = new Map();
/** @type {Dashboard | null} */
let lastSnapshot = null;
/** Local time the last snapshot arrived, to age things between snapshots. */
let receivedAt = 0;

/** The server's clock now, estimated from the last snapshot. */
function serverNow() {
  return lastSnapshot ? lastSnapshot.details.generated_at + (Date.now() - receivedAt) : Date.now();
}

/**
 * @param {'alert.pending' | 'alert.firing' | 'alert.resolved'} type
 * @param {AlertEventFields} e
 */
function onAlertEvent(type, e) {
  const state = /** @type {AlertView['state']} */ (type.slice('alert.'.length));
  const known = lastSnapshot?.details.alerts.find((a) => a.rule === e.rule);
  const since = state === 'pending' ? e.at : (known?.since ?? e.at);
  alertEvents.set(e.rule, {
    at: e.at,
    view: {
      rule: e.rule,
      severity: e.severity,
      state,
      value: e.value,
      threshold: e.threshold,
      message: e.message,
      since,
      fired_at: state === 'firing' ? e.at : state === 'resolved' ? (known?.fired_at ?? null) : null,
      resolved_at: state === 'resolved' ? e.at : null,
      age_seconds: Math.round((e.at - since) / 1000),
    },
  });
  renderAlerts();
}

const STATE_ORDER = { firing: 0, pending: 1, resolved: 2 };

/**
 * The snapshot's alerts, plus what events said since, plus recently resolved alerts the server
 * no longer lists (it drops them once their cooldown is over).
 * @returns {AlertView[]}
 */
function currentAlerts() {
  const now = serverNow();
  const generated = lastSnapshot?.details.generated_at ?? 0;
  /** @type {Map<string, AlertView>} */
  const out = new Map((lastSnapshot?.details.alerts ?? []).map((a) => [a.rule, a]));
  for (const [rule, e] of alertEvents) {
    if (e.at > generated) out.set(rule, e.view);
    else if (!out.has(rule) && e.view.state === 'resolved' && now - e.at < KEEP_RESOLVED_MS)
      out.set(rule, e.view);
    else if (now - e.at >= KEEP_RESOLVED_MS) alertEvents.delete(rule);
  }
  return [...out.values()].sort(
    (a, b) =>
      STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
      (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1) ||
      b.since - a.since,
  );
}

/** @param {AlertView} a @param {number} now */
function alertAge(a, now) {
  if (a.state === 'firing') return `firing for ${duration((now - (a.fired_at ?? a.since)) / 1000)}`;
  if (a.state === 'pending') return `pending for ${duration((now - a.since) / 1000)}`;
  const fired =
    a.fired_at !== null && a.resolved_at !== null
      ? `, fired for ${duration((a.resolved_at - a.fired_at) / 1000)}`
      : '';
  return `resolved ${duration((now - (a.resolved_at ?? now)) / 1000)} ago${fired}`;
}

function renderAlerts() {
  const now = serverNow();
  const alerts = currentAlerts();
  byId('alerts').replaceChildren(
    ...alerts.map((a) => {
      const li = el('li', 'alert');
      li.dataset.rule = a.rule;
      li.dataset.state = a.state;
      li.dataset.severity = a.severity;
      const head = el('div', 'alert-head');
      head.append(
        el('span', 'badge', a.state),
        el('span', 'rule', a.rule.replaceAll('_', ' ')),
        el('span', 'severity', a.severity),
        el('span', 'age muted', alertAge(a, now)),
      );
      li.append(head, el('div', 'message', a.message));
      return li;
    }),
  );
  const active = alerts.filter((a) => a.state !== 'resolved').length;
  byId('alerts-empty').hidden = alerts.length > 0;
  byId('alerts-count').textContent = active ? `${active} active` : '';
}

// ---- the stream -----------------------------------------------------------------------------

/** @param {'connecting' | 'live' | 'reconnecting' | 'stale' | 'disconnected'} state @param {string} text */
function setConn(state, text) {
  const box = byId('conn');
  box.dataset.state = state;
  byId('conn-text').textContent = text;
  document.body.classList.toggle('offline', state !== 'live' && state !== 'connecting');
}

/** @param {Dashboard} d */
function onSnapshot(d) {
  lastSnapshot = d;
  receivedAt = Date.now();
  document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots ?? 0) + 1);
  const off = !d.details.monitoring;
  byId('monitoring-off').hidden = !off;
  document.body.classList.toggle('monitoring-off', off);
  renderScores(d);
  renderFigures(d);
  if (!off) updateCharts(d.details.series);
  renderAlerts();
  renderFindings(d);
  renderAgents(d, d.details.generated_at);
  if (byId('conn').dataset.state !== 'live') setConn('live', 'live');
}

/** @type {EventSource | null} */
let source = null;

function connect() {
  source?.close();
  const es = new EventSource('/api/events');
  source = es;
  setConn(lastSnapshot ? 'reconnecting' : 'connecting', lastSnapshot ? 'reconnecting…' : 'connecting…');
  es.addEventListener('open', () => setConn('live', 'live'));
  es.addEventListener('dashboard', (ev) =>
    onSnapshot(JSON.parse(/** @type {MessageEvent<string>} */ (ev).data)),
  );
  for (const type of /** @type {const} */ (['alert.pending', 'alert.firing', 'alert.resolved']))
    es.addEventListener(type, (ev) =>
      onAlertEvent(type, JSON.parse(/** @type {MessageEvent<string>} */ (ev).data)),
    );
  es.addEventListener('error', () => {
    if (es.readyState === EventSource.CLOSED) {
      // EventSource gives up on an HTTP error (401, 502 from a proxy…): retry on our own
      setConn('disconnected', 'disconnected — retrying');
      setTimeout(() => source === es && connect(), RECONNECT_MS);
    } else {
      setConn('reconnecting', 'disconnected — reconnecting…');
    }
  });
}

function watchStaleness() {
  setInterval(() => {
    const state = byId('conn').dataset.state;
    if (lastSnapshot === null || state === 'disconnected' || state === 'reconnecting') return;
    const quiet = Date.now() - receivedAt;
    if (quiet > STALE_MS) setConn('stale', `no data for ${duration(quiet / 1000)}`);
  }, 1000);
}

buildCharts();
renderCharts();
watchSize();
watchStaleness();
connect();
