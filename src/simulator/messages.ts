import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { parseJsonObject, sendAnthropicError, sendJson } from './http.js';
import { DEFAULT_DELTAS, MAX_DELTAS, streamBody, streamEvents } from './sse.js';
import type { AccessCheck } from './tokens.js';

/** The /v1/* routes, named as in `Faults.latencyMs`. */
export type V1Route = 'messages' | 'count_tokens' | 'models';

const MODELS = [
  ['claude-opus-4-1-20250805', 'Claude Opus 4.1', '2025-08-05T00:00:00Z'],
  ['claude-sonnet-4-5-20250929', 'Claude Sonnet 4.5', '2025-09-29T00:00:00Z'],
  ['claude-haiku-4-5-20251001', 'Claude Haiku 4.5', '2025-10-01T00:00:00Z'],
  ['claude-sonnet-4-20250514', 'Claude Sonnet 4', '2025-05-14T00:00:00Z'],
] as const;

/** The GET /v1/models body, built once. */
export const MODELS_BODY = JSON.stringify({
  data: MODELS.map(([id, display_name, created_at]) => ({ type: 'model', id, display_name, created_at })),
  has_more: false,
  first_id: MODELS[0][0],
  last_id: MODELS[MODELS.length - 1]?.[0],
});

const MAX_EVENT_INTERVAL_MS = 10_000;
const RANK: Record<AccessCheck, number> = { unknown: 0, revoked: 1, expired: 2, valid: 3 };

function classify(ctx: SimContext, credential: string): AccessCheck {
  if (ctx.apiKeys.has(credential) || ctx.oauthTokens.has(credential)) return 'valid';
  return ctx.tokens.checkAccess(credential);
}

/** The best standing among the presented credentials: either header may carry a valid one. */
function authenticate(ctx: SimContext, req: IncomingMessage): AccessCheck {
  const key = req.headers['x-api-key'];
  const authz = req.headers.authorization;
  let best: AccessCheck = 'unknown';
  if (typeof key === 'string' && key !== '') {
    ctx.stats.credentialSeen(key);
    best = classify(ctx, key);
  }
  if (authz !== undefined && authz.length > 7 && authz.slice(0, 7).toLowerCase() === 'bearer ') {
    const token = authz.slice(7).trim();
    if (token !== key && token !== '') {
      ctx.stats.credentialSeen(token);
      const check = classify(ctx, token);
      if (RANK[check] > RANK[best]) best = check;
    }
  }
  return best;
}

function textLength(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const block of content) {
    const text = (block as { text?: unknown } | null)?.text;
    if (typeof text === 'string') n += text.length;
  }
  return n;
}

/** Deterministic estimate: a quarter of the characters of the system prompt and every message. */
function estimateInputTokens(body: Record<string, unknown>, messages: unknown[]): number {
  let chars = textLength(body.system);
  for (const m of messages) chars += textLength((m as { content?: unknown } | null)?.content);
  return Math.max(1, Math.ceil(chars / 4));
}

function lastUserLength(messages: unknown[]): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown } | null;
    if (m?.role === 'user') return textLength(m.content);
  }
  return 0;
}

type Validated = { body: Record<string, unknown>; model: string; messages: unknown[] } | string;

/** The parsed body, or the message of a 400 naming the offending field. */
function validate(raw: string): Validated {
  const body = parseJsonObject(raw);
  if (body === undefined) return 'request body must be a JSON object';
  const { model, messages } = body;
  if (model === undefined) return 'model: Field required';
  if (typeof model !== 'string' || model === '') return 'model: Input should be a valid string';
  if (messages === undefined) return 'messages: Field required';
  if (!Array.isArray(messages)) return 'messages: Input should be a valid list';
  return { body, model, messages };
}

/** Parses `x-sim-*` integer headers: undefined when absent, NaN when out of range. */
function intHeader(req: IncomingMessage, name: string, min: number, max: number): number | undefined {
  const raw = req.headers[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n >= min && n <= max ? n : Number.NaN;
}

/**
 * Answers one /v1/* request: latency, then credentials, then the rate-based faults, then the
 * route itself. Every answer carries `request-id` and the rate-limit headers.
 */
export async function handleV1(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: V1Route,
  raw: string,
): Promise<void> {
  const latency = ctx.faults.latencyMs[route];
  if (latency > 0) await ctx.delay(latency);
  if (route === 'count_tokens') ctx.stats.inc('countTokens');
  else if (route === 'models') ctx.stats.inc('models');
  const counted = route === 'messages';
  const requestId = `req_sim_${ctx.nextId()}`;

  const fail = (status: number, type: Parameters<typeof sendAnthropicError>[2], message: string) => {
    const headers = ctx.ratelimit.headers(requestId, 0, status === 429);
    if (status === 429 || status === 529) headers['retry-after'] = ctx.faults.retryAfterSeconds;
    if (counted) ctx.stats.messageStatus(status);
    sendAnthropicError(res, status, type, message, headers);
  };

  const auth = authenticate(ctx, req);
  if (auth !== 'valid') {
    if (auth === 'expired') {
      ctx.stats.inc('expiredTokenRequests');
      return fail(401, 'authentication_error', 'OAuth token has expired');
    }
    ctx.stats.inc('unknownCredentialRequests');
    return fail(
      401,
      'authentication_error',
      auth === 'revoked' ? 'OAuth token has been revoked' : 'invalid x-api-key',
    );
  }

  switch (ctx.dice.draw(ctx.faults)) {
    case 'api_error':
      return fail(500, 'api_error', 'Internal server error (simulated)');
    case 'rate_limit':
      return fail(429, 'rate_limit_error', 'Number of requests has exceeded your rate limit (simulated)');
    case 'overloaded':
      return fail(529, 'overloaded_error', 'Overloaded (simulated)');
    case null:
      break;
  }

  if (route === 'models') {
    sendJson(res, 200, MODELS_BODY, ctx.ratelimit.headers(requestId, 0));
    return;
  }
  const v = validate(raw);
  if (typeof v === 'string') return fail(400, 'invalid_request_error', v);
  const inputTokens = estimateInputTokens(v.body, v.messages);
  if (route === 'count_tokens') {
    sendJson(res, 200, `{"input_tokens":${inputTokens}}`, ctx.ratelimit.headers(requestId, 0));
    return;
  }

  const messageId = `msg_sim_${ctx.nextId()}`;
  const modelJson = JSON.stringify(v.model);
  if (v.body.stream !== true) {
    const text = `Hello from the simulator. Your last message had ${lastUserLength(v.messages)} characters.`;
    const outputTokens = Math.ceil(text.length / 4);
    const headers = ctx.ratelimit.headers(requestId, inputTokens + outputTokens);
    ctx.stats.messageStatus(200);
    sendJson(
      res,
      200,
      `{"id":"${messageId}","type":"message","role":"assistant","model":${modelJson},"content":[{"type":"text","text":"${text}"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":${inputTokens},"output_tokens":${outputTokens}}}`,
      headers,
    );
    return;
  }

  const deltas = intHeader(req, 'x-sim-deltas', 1, MAX_DELTAS) ?? DEFAULT_DELTAS;
  if (Number.isNaN(deltas))
    return fail(400, 'invalid_request_error', `x-sim-deltas must be 1..${MAX_DELTAS}`);
  const interval = intHeader(req, 'x-sim-event-interval-ms', 0, MAX_EVENT_INTERVAL_MS) ?? 0;
  if (Number.isNaN(interval)) {
    return fail(400, 'invalid_request_error', `x-sim-event-interval-ms must be 0..${MAX_EVENT_INTERVAL_MS}`);
  }
  const headers = ctx.ratelimit.headers(requestId, inputTokens + deltas);
  headers['content-type'] = 'text/event-stream; charset=utf-8';
  headers['cache-control'] = 'no-cache';
  ctx.stats.messageStatus(200);
  res.writeHead(200, headers);
  const dieAfter = ctx.faults.streamDieAfterEvents;
  if (dieAfter === null && interval === 0) {
    res.end(streamBody(messageId, modelJson, inputTokens, deltas));
    return;
  }
  await writePaced(ctx, res, streamEvents(messageId, modelJson, inputTokens, deltas), dieAfter, interval);
}

/**
 * Writes events one by one, `interval` ms apart, and destroys the socket after `dieAfter` events
 * (once they are flushed, so the client really receives them before the connection drops).
 */
async function writePaced(
  ctx: SimContext,
  res: ServerResponse,
  events: string[],
  dieAfter: number | null,
  interval: number,
): Promise<void> {
  const stopAt = dieAfter === null ? events.length : Math.min(dieAfter, events.length);
  if (stopAt === 0) {
    res.flushHeaders();
    setImmediate(() => res.destroy());
    return;
  }
  for (let i = 0; i < stopAt; i++) {
    if (res.destroyed) return;
    if (i > 0 && interval > 0) await ctx.delay(interval);
    const e = events[i] ?? '';
    if (i < stopAt - 1) res.write(e);
    else if (stopAt === events.length) res.end(e);
    else res.write(e, () => res.destroy());
  }
}
