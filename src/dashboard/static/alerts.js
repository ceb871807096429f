// @ts-check
/**
 * The alerts list. The snapshot (once a second) is the truth; `alert.*` events show a change at
 * once, and keep a resolved alert listed for a while after the server forgets it (it drops
 * resolved alerts when their cooldown ends, at once with `alert_cooldown_minutes = 0`).
 */
import { byId, el } from './dom.js';
import { duration } from './format.js';

/** @typedef {import('../../monitor/dashboardShape.js').Dashboard} Dashboard */
/** @typedef {import('../../monitor/AlertEngine.js').AlertView} AlertView */
/** @typedef {import('../../monitor/events.js').AlertEventFields} AlertEventFields */
/** @typedef {'alert.pending' | 'alert.firing' | 'alert.resolved'} AlertEventType */

/** The bus events this list follows. @type {readonly AlertEventType[]} */
export const ALERT_EVENTS = ['alert.pending', 'alert.firing', 'alert.resolved'];

/** How long a resolved alert stays listed after the server dropped it. */
const KEEP_RESOLVED_MS = 15 * 60_000;

const STATE_ORDER = { firing: 0, pending: 1, resolved: 2 };

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

/** The list in `#alerts`, with its count and empty note. */
export class AlertList {
  /** What events said, by rule, with the server time of the event. @type {Map<string, { view: AlertView, at: number }>} */
  #events = new Map();
  /** @type {Dashboard | null} */
  #snapshot = null;
  /** Local time the snapshot arrived, to age alerts between snapshots. */
  #receivedAt = 0;

  /** The server's clock now, estimated from the last snapshot. */
  #now() {
    return this.#snapshot
      ? this.#snapshot.details.generated_at + (Date.now() - this.#receivedAt)
      : Date.now();
  }

  /** @param {Dashboard} d */
  onSnapshot(d) {
    this.#snapshot = d;
    this.#receivedAt = Date.now();
    this.render();
  }

  /**
   * @param {AlertEventType} type
   * @param {AlertEventFields} e
   */
  onEvent(type, e) {
    const state = /** @type {AlertView['state']} */ (type.slice('alert.'.length));
    const known = this.#snapshot?.details.alerts.find((a) => a.rule === e.rule);
    const since = state === 'pending' ? e.at : (known?.since ?? e.at);
    this.#events.set(e.rule, {
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
    this.render();
  }

  /**
   * The snapshot's alerts, overridden by newer events, plus recently resolved alerts the server
   * no longer lists; firing first, then pending, then resolved; critical first; newest first.
   * @returns {AlertView[]}
   */
  current() {
    const now = this.#now();
    const generated = this.#snapshot?.details.generated_at ?? 0;
    /** @type {Map<string, AlertView>} */
    const out = new Map((this.#snapshot?.details.alerts ?? []).map((a) => [a.rule, a]));
    for (const [rule, e] of this.#events) {
      if (e.at > generated) out.set(rule, e.view);
      else if (now - e.at >= KEEP_RESOLVED_MS) this.#events.delete(rule);
      else if (!out.has(rule) && e.view.state === 'resolved') out.set(rule, e.view);
    }
    return [...out.values()].sort(
      (a, b) =>
        STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
        (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1) ||
        b.since - a.since,
    );
  }

  /** Redraws the list (each item carries `data-rule`, `data-state` and `data-severity`). */
  render() {
    const now = this.#now();
    const alerts = this.current();
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
}
