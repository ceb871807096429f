// @ts-check
/**
 * The dashboard page's entry: one EventSource on /api/events. Each `dashboard` event (once a
 * second) is the /api/dashboard JSON with five minutes of per-second series; `alert.*` events
 * update the alerts list at once. When the stream drops, the page says so (and dims the stale
 * figures) while EventSource reconnects; when EventSource gives up (an HTTP error), the page
 * retries on its own. Type-checked with `tsc -p src/dashboard/client.tsconfig.json` against the
 * monitor's own types.
 */
import { ALERT_EVENTS, AlertList } from './alerts.js';
import { Charts } from './charts.js';
import { byId } from './dom.js';
import { duration } from './format.js';
import { renderAgents, renderFigures, renderFindings, renderScores } from './panels.js';

/** @typedef {import('../../monitor/dashboardShape.js').Dashboard} Dashboard */
/** @typedef {'connecting' | 'live' | 'reconnecting' | 'stale' | 'disconnected'} ConnState */

/** Without a snapshot for this long the page says the data is stale. */
const STALE_MS = 5000;
/** After EventSource gave up (e.g. a 401 or a proxy's 502), try again this often. */
const RECONNECT_MS = 3000;

const charts = new Charts();
const alerts = new AlertList();
/** When the last snapshot arrived (local clock); 0 before the first. */
let receivedAt = 0;

/** @param {ConnState} state @param {string} text */
function setConn(state, text) {
  byId('conn').dataset.state = state;
  byId('conn-text').textContent = text;
  document.body.classList.toggle('offline', state !== 'live' && state !== 'connecting');
}

/** @param {Dashboard} d */
function onSnapshot(d) {
  receivedAt = Date.now();
  document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots ?? 0) + 1);
  const off = !d.details.monitoring;
  byId('monitoring-off').hidden = !off;
  document.body.classList.toggle('monitoring-off', off);
  renderScores(d);
  renderFigures(d);
  if (!off) charts.update(d.details.series);
  alerts.onSnapshot(d);
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
  if (receivedAt === 0) setConn('connecting', 'connecting…');
  es.addEventListener('open', () => setConn('live', 'live'));
  es.addEventListener('dashboard', (ev) =>
    onSnapshot(JSON.parse(/** @type {MessageEvent<string>} */ (ev).data)),
  );
  for (const type of ALERT_EVENTS)
    es.addEventListener(type, (ev) =>
      alerts.onEvent(type, JSON.parse(/** @type {MessageEvent<string>} */ (ev).data)),
    );
  es.addEventListener('error', () => {
    if (es.readyState === EventSource.CLOSED) {
      setConn('disconnected', 'disconnected — retrying');
      setTimeout(() => source === es && connect(), RECONNECT_MS);
    } else {
      setConn('reconnecting', 'disconnected — reconnecting…');
    }
  });
}

setInterval(() => {
  const state = byId('conn').dataset.state;
  if (receivedAt === 0 || state !== 'live') return;
  const quiet = Date.now() - receivedAt;
  if (quiet > STALE_MS) setConn('stale', `no data for ${duration(quiet / 1000)}`);
}, 1000);

connect();
