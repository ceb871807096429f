import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { RouteHandler } from '../gateway/context.js';

/**
 * The page may load only what the gateway itself serves: no inline script or style, no remote
 * anything, no framing. uPlot sets element styles through the CSSOM, which `style-src` allows.
 */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Where the page's files live: `static/` next to this module (the build copies it into dist). */
const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

/** One file the dashboard serves, read once at start. */
interface Asset {
  readonly type: string;
  readonly body: Buffer;
  /** The body gzipped, when that saves anything. */
  readonly gzip: Buffer | null;
  /** A strong ETag from the content; also the `?v=` the page uses to make the URL immutable. */
  readonly version: string;
}

/** Options of {@link createDashboardRoutes}; defaults are the built page and the installed uPlot. */
export interface DashboardRoutesOptions {
  /** Directory holding index.html and the page's modules, stylesheet and icon. */
  staticDir?: string;
  /** uPlot's `dist` directory. Default: resolved from node_modules. */
  uplotDir?: string;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

function assetOf(body: Buffer, ext: string): Asset {
  const zipped = gzipSync(body, { level: 9 });
  return {
    type: TYPES[ext] ?? 'application/octet-stream',
    body,
    gzip: zipped.length < body.length ? zipped : null,
    version: createHash('sha256').update(body).digest('base64url').slice(0, 16),
  };
}

function asset(file: string): Asset {
  return assetOf(readFileSync(file), file.slice(file.lastIndexOf('.') + 1));
}

function uplotDist(): string {
  return dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));
}

function acceptsGzip(req: IncomingMessage): boolean {
  return /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
}

/** Whether `If-None-Match` names this version (a list, weak or strong, or `*`). */
function notModified(req: IncomingMessage, etag: string): boolean {
  const inm = req.headers['if-none-match'];
  if (inm === undefined) return false;
  return inm
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === etag || t === '*');
}

/**
 * Serves one asset. With `?v=` equal to its content version the URL names these bytes forever,
 * so the browser may keep them a year; any other URL (the page itself) is revalidated each time
 * through its ETag. `private`: with an admin token these responses sit behind authentication.
 */
function serve(a: Asset, csp: boolean): RouteHandler {
  const etag = `"${a.version}"`;
  return (req: IncomingMessage, res: ServerResponse) => {
    const v = new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('v');
    const headers: Record<string, string | number> = {
      etag,
      'cache-control': v === a.version ? 'private, max-age=31536000, immutable' : 'private, no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-resource-policy': 'same-origin',
      vary: 'accept-encoding',
    };
    if (csp) {
      headers['content-security-policy'] = DASHBOARD_CSP;
      headers['x-frame-options'] = 'DENY';
    }
    if (notModified(req, etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const body = a.gzip !== null && acceptsGzip(req) ? a.gzip : a.body;
    headers['content-type'] = a.type;
    headers['content-length'] = body.length;
    if (body === a.gzip) headers['content-encoding'] = 'gzip';
    res.writeHead(200, headers);
    res.end(body);
  };
}

/**
 * The dashboard page's routes, path → GET handler: `/` (the page) and its assets under
 * `/dashboard/` (every .js, .css and .svg of the static directory, uPlot's script and stylesheet).
 * Every file is read and gzipped once, here. The page refers to its entry module, stylesheets and
 * icon by content-versioned URLs; the modules those import revalidate by ETag. The page talks to
 * `/api/events` only; nothing it shows is secret.
 * @throws Error when a file is missing (a build without `static/`, or uPlot not installed)
 */
export function createDashboardRoutes(options: DashboardRoutesOptions = {}): Map<string, RouteHandler> {
  const dir = options.staticDir ?? STATIC_DIR;
  const uplot = options.uplotDir ?? uplotDist();
  const assets = new Map<string, Asset>([
    ['/dashboard/uPlot.iife.min.js', asset(join(uplot, 'uPlot.iife.min.js'))],
    ['/dashboard/uPlot.min.css', asset(join(uplot, 'uPlot.min.css'))],
  ]);
  for (const name of readdirSync(dir).sort()) {
    const ext = name.slice(name.lastIndexOf('.') + 1);
    if (name !== 'index.html' && TYPES[ext] !== undefined)
      assets.set(`/dashboard/${name}`, asset(join(dir, name)));
  }
  let html = readFileSync(join(dir, 'index.html'), 'utf8');
  for (const [path, a] of assets) html = html.replaceAll(`"${path}"`, `"${path}?v=${a.version}"`);
  const routes = new Map<string, RouteHandler>([['/', serve(assetOf(Buffer.from(html), 'html'), true)]]);
  for (const [path, a] of assets) routes.set(path, serve(a, false));
  return routes;
}
