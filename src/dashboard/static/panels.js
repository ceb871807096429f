// @ts-check
/** The parts of the page drawn from each snapshot: scores, key figures, agents, findings. */
import { at } from './chartSpecs.js';
import { byId, el, setText } from './dom.js';
import { duration, num, pct, statusOf, statusText } from './format.js';

/** @typedef {import('../../monitor/dashboardShape.js').Dashboard} Dashboard */
/** @typedef {import('../../monitor/health.js').Component} Component */

/** How each component's key figure reads. @type {Record<Component, (v: number) => string>} */
const COMPONENT_FIGURES = {
  authentication: (v) => `p99 ${num(v)} ms`,
  token_refresh: (v) => `${pct(v)} succeed`,
  memory: (v) => `${pct(v)} used`,
  concurrency: (v) => `${pct(v)} throttled`,
  cache: (v) => `${pct(v)} hits`,
  connections: (v) => `${pct(v)} reused`,
};

/**
 * The overall score (and why it is capped) and each component's score, status and key figure.
 * @param {Dashboard} d
 */
export function renderScores(d) {
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

/** @param {string} id @param {string} text @param {'warn' | 'bad'} [tone] */
function kpi(id, text, tone) {
  const box = byId(id);
  setText(box, '.kpi-value', text);
  if (tone) box.dataset.tone = tone;
  else delete box.dataset.tone;
}

/**
 * The key figures row, and uptime, window and time of the snapshot in the header.
 * @param {Dashboard} d
 */
export function renderFigures(d) {
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

/**
 * The agents table, busiest first (the server sorts and caps it).
 * @param {Dashboard} d
 * @param {number} now server time, for "last seen"
 */
export function renderAgents(d, now) {
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

/**
 * The analyzer's findings as "Title. What to change.", or the all-clear.
 * @param {Dashboard} d
 */
export function renderFindings(d) {
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
