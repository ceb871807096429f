import { describe, expect, it } from 'vitest';
import { carriesSubscriptionToken, rawHeaderValue, responseHeaders, scanRequestHeaders } from './headers.js';
import { overloadDelayMs, shouldBuffer } from './replay.js';

const buf = (flat: string[]): Buffer[] => flat.map((s) => Buffer.from(s, 'latin1'));

describe('scanRequestHeaders', () => {
  it('picks out both credentials, strips them and hop-by-hop headers, keeps the rest lower-cased', () => {
    const s = scanRequestHeaders([
      'Host',
      'gw',
      'X-Api-Key',
      'cak_1',
      'Authorization',
      'bearer cak_2',
      'Connection',
      'keep-alive, X-Hop',
      'X-Hop',
      '1',
      'Cookie',
      'a=b',
      'Expect',
      '100-continue',
      'Content-Length',
      '12',
      'Anthropic-Beta',
      'b1',
    ]);
    expect(s.apiKey).toBe('cak_1');
    expect(s.bearer).toBe('cak_2');
    expect(s.contentLength).toBe(12);
    expect(s.chunked).toBe(false);
    expect(s.forward).toEqual(['content-length', '12', 'anthropic-beta', 'b1']);
  });

  it('flags a chunked body and a malformed or repeated content-length', () => {
    expect(scanRequestHeaders(['transfer-encoding', 'chunked'])).toMatchObject({
      chunked: true,
      contentLength: -1,
    });
    expect(Number.isNaN(scanRequestHeaders(['content-length', 'x']).contentLength)).toBe(true);
    expect(
      Number.isNaN(scanRequestHeaders(['content-length', '1', 'content-length', '1']).contentLength),
    ).toBe(true);
  });

  it('ignores an Authorization that is not a bearer token', () => {
    expect(scanRequestHeaders(['authorization', 'Basic Zm9v']).bearer).toBeUndefined();
  });
});

describe('responseHeaders', () => {
  it('drops hop-by-hop and connection-listed headers, replaces x-request-id, keeps duplicates', () => {
    const out = responseHeaders(
      buf([
        'Connection',
        'close, x-hop',
        'x-hop',
        '1',
        'Set-Cookie',
        'a',
        'set-cookie',
        'b',
        'x-request-id',
        'up',
        'request-id',
        'req_1',
        'Transfer-Encoding',
        'chunked',
        'content-length',
        '5',
      ]),
      'gw_1',
    );
    expect(out.headers).toEqual([
      'set-cookie',
      'a',
      'set-cookie',
      'b',
      'request-id',
      'req_1',
      'content-length',
      '5',
      'x-request-id',
      'gw_1',
    ]);
    expect(out.eventStream).toBe(false);
    expect(out.upstreamRequestId).toBe('req_1');
  });

  it('drops content-length on an event stream', () => {
    const out = responseHeaders(
      buf(['content-length', '99', 'content-type', 'text/event-stream; charset=utf-8']),
      'g',
    );
    expect(out.eventStream).toBe(true);
    expect(out.headers).toEqual(['content-type', 'text/event-stream; charset=utf-8', 'x-request-id', 'g']);
  });

  it('reads one raw header value', () => {
    expect(rawHeaderValue(buf(['Retry-After', '7']), 'retry-after')).toBe('7');
    expect(rawHeaderValue(buf([]), 'retry-after')).toBeUndefined();
  });
});

describe('policy and replay helpers', () => {
  it('spots a subscription token in any injected header', () => {
    expect(carriesSubscriptionToken({ authorization: 'Bearer sk-ant-oat01-x' })).toBe(true);
    expect(carriesSubscriptionToken({ 'x-api-key': 'sk-ant-api03-x' })).toBe(false);
  });

  it('buffers only small bodies of known length', () => {
    expect(shouldBuffer(100, 1024)).toBe(true);
    expect(shouldBuffer(2048, 1024)).toBe(false);
    expect(shouldBuffer(-1, 1024)).toBe(false);
    expect(shouldBuffer(0, 1024)).toBe(false);
    expect(shouldBuffer(100, 0)).toBe(false);
  });

  it('waits retry-after up to the cap, else backs off with jitter', () => {
    expect(overloadDelayMs(1, '2', 10_000)).toBe(2000);
    expect(overloadDelayMs(1, '30', 500)).toBe(500);
    const d = overloadDelayMs(3, undefined, 10_000);
    expect(d).toBeGreaterThanOrEqual(0);
    expect(d).toBeLessThan(1000);
  });
});
