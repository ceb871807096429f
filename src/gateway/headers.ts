import { SUBSCRIPTION_TOKEN_PREFIX } from '../credentials/policy.js';

/**
 * Header rewriting in both directions, on flat `[name, value, name, value, …]` arrays (what Node's
 * `rawHeaders`, undici and `writeHead` all speak), so no header object is ever built.
 */

/**
 * Request headers never forwarded upstream: hop-by-hop (RFC 9110 §7.6.1), the agent's own
 * credentials and cookies, `host` (undici sets the upstream's), and `expect` (Node already answered
 * the 100-continue; undici refuses it).
 */
const DROP_REQUEST = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'host',
  'expect',
  'x-api-key',
  'authorization',
  'cookie',
]);

/** Response headers never passed back: hop-by-hop, and the ones Node writes for its own connection. */
const DROP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** What one pass over the agent's request headers found. */
export interface RequestHeaderScan {
  /** The headers to forward, credential-free, as a flat array (credential headers are appended later). */
  forward: string[];
  /** Value of `x-api-key`, or undefined. */
  apiKey: string | undefined;
  /** Token of `Authorization: Bearer …`, or undefined. */
  bearer: string | undefined;
  /** Declared body length, -1 when absent (chunked or no body), NaN when malformed. */
  contentLength: number;
  /** The request says `transfer-encoding` (a chunked body of unknown length). */
  chunked: boolean;
}

/**
 * The header names a `connection` header lists (hop-by-hop by declaration), minus the usual two;
 * undefined for the common bare `keep-alive` or `close`.
 */
function connectionTokens(value: string): string[] | undefined {
  const v = value.toLowerCase();
  if (v === 'keep-alive' || v === 'close') return undefined;
  const out: string[] = [];
  for (const part of v.split(',')) {
    const t = part.trim();
    if (t !== '' && t !== 'close' && t !== 'keep-alive') out.push(t);
  }
  return out.length === 0 ? undefined : out;
}

/** Removes from a flat array the headers named in `names`. */
function dropNamed(flat: string[], names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string;
    if (!names.includes(name.toLowerCase())) out.push(name, flat[i + 1] as string);
  }
  return out;
}

/**
 * One pass over Node's `rawHeaders`: picks out the presented credentials and the body framing,
 * and copies everything that may go upstream.
 */
export function scanRequestHeaders(raw: string[]): RequestHeaderScan {
  const forward: string[] = [];
  let apiKey: string | undefined;
  let bearer: string | undefined;
  let contentLength = -1;
  let chunked = false;
  let listed: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const rawName = raw[i] as string;
    const value = raw[i + 1] as string;
    const name = rawName.toLowerCase();
    if (!DROP_REQUEST.has(name)) {
      if (name === 'content-length') {
        const n = Number(value);
        contentLength = contentLength !== -1 || !Number.isSafeInteger(n) || n < 0 ? Number.NaN : n;
      }
      forward.push(name, value);
    } else if (name === 'x-api-key') {
      apiKey = value;
    } else if (name === 'authorization') {
      if (value.length > 7 && value.slice(0, 7).toLowerCase() === 'bearer ') bearer = value.slice(7).trim();
    } else if (name === 'transfer-encoding') {
      chunked = true;
    } else if (name === 'connection') {
      const tokens = connectionTokens(value);
      if (tokens !== undefined) listed = listed === undefined ? tokens : listed.concat(tokens);
    }
  }
  return {
    forward: listed === undefined ? forward : dropNamed(forward, listed),
    apiKey,
    bearer,
    contentLength,
    chunked,
  };
}

/** What {@link responseHeaders} found besides the headers themselves. */
export interface ResponseHeaderScan {
  /** The headers for `writeHead`, as a flat array. */
  headers: string[];
  /** The response is Server-Sent Events. */
  eventStream: boolean;
  /** Upstream's `request-id`, or null. */
  upstreamRequestId: string | null;
}

/**
 * The upstream response headers as the agent gets them: hop-by-hop ones (and any the upstream's
 * `connection` lists) dropped, everything else byte-for-byte, `content-length` dropped on an event
 * stream, and our `x-request-id` added. `raw` is undici's `[name, value, …]` Buffer array.
 */
export function responseHeaders(raw: Buffer[], requestId: string): ResponseHeaderScan {
  const headers: string[] = [];
  let eventStream = false;
  let upstreamRequestId: string | null = null;
  let contentLengthAt = -1;
  let listed: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1').toLowerCase();
    const value = (raw[i + 1] as Buffer).toString('latin1');
    if (DROP_RESPONSE.has(name)) {
      if (name === 'connection') {
        const tokens = connectionTokens(value);
        if (tokens !== undefined) listed = listed === undefined ? tokens : listed.concat(tokens);
      }
      continue;
    }
    if (name === 'content-type') {
      eventStream = value.startsWith('text/event-stream');
    } else if (name === 'content-length') {
      contentLengthAt = headers.length;
    } else if (name === 'request-id') {
      upstreamRequestId = value;
    } else if (name === 'x-request-id') {
      continue;
    }
    headers.push(name, value);
  }
  if (eventStream && contentLengthAt !== -1) headers.splice(contentLengthAt, 2);
  headers.push('x-request-id', requestId);
  return {
    headers: listed === undefined ? headers : dropNamed(headers, listed),
    eventStream,
    upstreamRequestId,
  };
}

/** The value of `name` (lower case) in undici's raw Buffer headers, or undefined. */
export function rawHeaderValue(raw: Buffer[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as Buffer).toString('latin1').toLowerCase() === name) {
      return (raw[i + 1] as Buffer).toString('latin1');
    }
  }
  return undefined;
}

/** Whether an injected header value carries a subscription token (defence in depth: never sent). */
export function carriesSubscriptionToken(headers: Readonly<Record<string, string>>): boolean {
  for (const name in headers) {
    if ((headers[name] as string).includes(SUBSCRIPTION_TOKEN_PREFIX)) return true;
  }
  return false;
}
