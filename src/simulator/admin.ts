import type { ServerResponse } from 'node:http';
import { issueTokens, type SimContext } from './context.js';
import { mergeFaults } from './faults.js';
import { parseJsonObject, sendAnthropicError, sendJson } from './http.js';

/** The unauthenticated `/__sim/*` routes (a loopback test double has nothing to protect). */
export type AdminRoute = 'stats' | 'faults' | 'get-faults' | 'reset' | 'tokens' | 'api-keys';

/** Answers one admin route. Bad input is a 400 invalid_request_error naming the problem. */
export function handleAdmin(ctx: SimContext, res: ServerResponse, route: AdminRoute, raw: string): void {
  let body: string;
  try {
    body = answer(ctx, route, raw);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    sendAnthropicError(res, 400, 'invalid_request_error', e.message);
    return;
  }
  sendJson(res, 200, body);
}

/** The JSON answer of a route; throws a TypeError on bad input. */
function answer(ctx: SimContext, route: AdminRoute, raw: string): string {
  switch (route) {
    case 'stats':
      return JSON.stringify(ctx.stats.snapshot());
    case 'get-faults':
      return JSON.stringify(ctx.faults);
    case 'faults':
      ctx.faults = mergeFaults(ctx.faults, parseBody(raw));
      return JSON.stringify(ctx.faults);
    case 'reset':
      ctx.stats.reset();
      return '{"ok":true}';
    case 'tokens':
      return JSON.stringify(issueTokens(ctx, parseBody(raw)));
    case 'api-keys': {
      const key = parseBody(raw).key;
      if (typeof key !== 'string' || key === '') throw new TypeError('key must be a non-empty string');
      ctx.apiKeys.add(key);
      return '{"ok":true}';
    }
  }
}

/** An empty body counts as `{}`. */
function parseBody(raw: string): Record<string, unknown> {
  if (raw.trim() === '') return {};
  const body = parseJsonObject(raw);
  if (body === undefined) throw new TypeError('body must be a JSON object');
  return body;
}
