import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Pool } from 'undici';

/**
 * The yardstick for the gateway's CPU cost: the smallest correct credential-injecting proxy, undici
 * `pool.stream()` writing straight into the response. No key check, no limits, no records.
 */
export function startBaselineProxy(upstream: string, apiKey: string): { server: Server; pool: Pool } {
  const pool = new Pool(upstream, { connections: 20, keepAliveTimeout: 30_000 });
  const server = createServer((req, res) => {
    const headers: IncomingHttpHeaders = { ...req.headers, 'x-api-key': apiKey };
    delete headers.host;
    delete headers.connection;
    delete headers.authorization;
    const body = req.method === 'GET' || req.method === 'HEAD' ? null : req;
    pool.stream(
      { path: req.url as string, method: req.method as 'POST', headers, body, opaque: res },
      ({ statusCode, headers: h, opaque }) => {
        delete h.connection;
        delete h['keep-alive'];
        delete h['transfer-encoding'];
        opaque.writeHead(statusCode, h);
        return opaque;
      },
      (err) => {
        if (err === null) return;
        if (res.headersSent) res.destroy();
        else res.writeHead(502).end();
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  return { server, pool };
}
