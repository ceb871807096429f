import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type AnthropicErrorType, anthropicErrorBody } from '../errors.js';

/** Bodies above this are refused with 413 request_too_large (the real API's limit is 32 MB). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** Raised by {@link readBody} when the body exceeds {@link MAX_BODY_BYTES}. */
export class BodyTooLargeError extends Error {
  constructor() {
    super(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads the whole request body as UTF-8. Rejects with BodyTooLargeError (after draining) or the stream error. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let first: Buffer | undefined;
    let rest: Buffer[] | undefined;
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        first = undefined;
        rest = undefined;
      } else if (first === undefined) {
        first = chunk;
      } else {
        rest ??= [first];
        rest.push(chunk);
      }
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) reject(new BodyTooLargeError());
      else if (rest !== undefined) resolve(Buffer.concat(rest).toString('utf8'));
      else resolve(first === undefined ? '' : first.toString('utf8'));
    });
    req.on('error', reject);
  });
}

const JSON_TYPE = 'application/json';

/** Writes a complete JSON answer (Node adds content-length since the body goes in one end()). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  headers?: OutgoingHttpHeaders,
): void {
  if (headers === undefined) {
    res.writeHead(status, { 'content-type': JSON_TYPE });
  } else {
    headers['content-type'] = JSON_TYPE;
    res.writeHead(status, headers);
  }
  res.end(body);
}

/** Writes an error in Anthropic's shape `{"type":"error","error":{"type","message"}}`. */
export function sendAnthropicError(
  res: ServerResponse,
  status: number,
  type: AnthropicErrorType,
  message: string,
  headers?: OutgoingHttpHeaders,
): void {
  sendJson(res, status, anthropicErrorBody(type, message), headers);
}

/** Writes an RFC 6749 error `{"error","error_description"}`, uncacheable as §5.2 requires. */
export function sendOAuthError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
  extra?: OutgoingHttpHeaders,
): void {
  sendJson(res, status, JSON.stringify({ error, error_description: description }), {
    'cache-control': 'no-store',
    pragma: 'no-cache',
    ...extra,
  });
}

/** Parses a JSON object body; returns undefined when the body is not a JSON object. */
export function parseJsonObject(body: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
