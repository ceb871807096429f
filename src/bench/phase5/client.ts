import type { Dispatcher } from 'undici';

/**
 * The requests the benchmark's agents send: a small Messages request as Claude Code and the SDK
 * send it, JSON or streamed (server-sent events), with the agent's virtual key as `x-api-key`.
 */

const JSON_BODY = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 64,
  messages: [{ role: 'user', content: 'Hello from a Phase 5 benchmark agent.' }],
});
const STREAM_BODY = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 64,
  stream: true,
  messages: [{ role: 'user', content: 'Hello from a Phase 5 benchmark agent.' }],
});

/** Headers of an agent request; `credential` is either a virtual key or the real upstream headers. */
export function messageHeaders(
  credential: string | Readonly<Record<string, string>>,
): Record<string, string> {
  const auth = typeof credential === 'string' ? { 'x-api-key': credential } : credential;
  return { ...auth, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
}

/**
 * Sends one POST /v1/messages on `dispatcher` and reads the whole answer. True when it was a 200
 * and complete: a JSON message, or an event stream that reached `message_stop`.
 */
export async function sendMessage(
  dispatcher: Dispatcher,
  origin: string,
  headers: Record<string, string>,
  stream: boolean,
): Promise<boolean> {
  try {
    const r = await dispatcher.request({
      origin,
      path: '/v1/messages',
      method: 'POST',
      headers,
      body: stream ? STREAM_BODY : JSON_BODY,
    });
    if (r.statusCode !== 200) {
      await r.body.dump();
      return false;
    }
    const text = await r.body.text();
    return stream ? text.includes('event: message_stop') : text.includes('"type":"message"');
  } catch {
    return false;
  }
}

/** A yield to the event loop, so progress callbacks and timers get a turn in long loops. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
