/**
 * Anthropic's streaming framing, `event: NAME\ndata: JSON\n\n`, for one text block:
 * message_start, content_block_start, ping, K × content_block_delta, content_block_stop,
 * message_delta, message_stop. Only message_start and message_delta depend on the request; the
 * fixed events are constants and the deltas are cached per K.
 */

/** Deltas per stream unless `x-sim-deltas` says otherwise. */
export const DEFAULT_DELTAS = 8;
/** Largest `x-sim-deltas` accepted. */
export const MAX_DELTAS = 1000;

function frame(name: string, data: string): string {
  return `event: ${name}\ndata: ${data}\n\n`;
}

export const CONTENT_BLOCK_START = frame(
  'content_block_start',
  '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
);
export const PING = frame('ping', '{"type":"ping"}');
export const CONTENT_BLOCK_STOP = frame('content_block_stop', '{"type":"content_block_stop","index":0}');
export const MESSAGE_STOP = frame('message_stop', '{"type":"message_stop"}');

const WORDS = [
  'Hello',
  'from',
  'the',
  'simulator.',
  'This',
  'is',
  'a',
  'deterministic',
  'stream',
  'of',
  'text.',
];

/** Text of delta `i`: the words above in a cycle, space-separated. */
export function deltaText(i: number): string {
  const word = WORDS[i % WORDS.length] ?? '';
  return i === 0 ? word : ` ${word}`;
}

const deltaEvents: string[] = [];

/** The content_block_delta event of delta `i` (cached). */
export function deltaEvent(i: number): string {
  let e = deltaEvents[i];
  if (e === undefined) {
    const data = { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: deltaText(i) } };
    e = frame('content_block_delta', JSON.stringify(data));
    deltaEvents[i] = e;
  }
  return e;
}

/** Few distinct K values are in use at once; bound the cache anyway. */
const BLOCK_CACHE_MAX = 64;
const deltaBlocks = new Map<number, string>();

/** All K delta events concatenated (cached). */
export function deltaBlock(k: number): string {
  let block = deltaBlocks.get(k);
  if (block === undefined) {
    block = '';
    for (let i = 0; i < k; i++) block += deltaEvent(i);
    if (deltaBlocks.size >= BLOCK_CACHE_MAX) deltaBlocks.clear();
    deltaBlocks.set(k, block);
  }
  return block;
}

/** The message_start event. `modelJson` is the model id already JSON-encoded. */
export function messageStart(id: string, modelJson: string, inputTokens: number): string {
  return frame(
    'message_start',
    `{"type":"message_start","message":{"id":"${id}","type":"message","role":"assistant","model":${modelJson},"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":${inputTokens},"output_tokens":1}}}`,
  );
}

/** The message_delta event closing the message with end_turn. */
export function messageDelta(outputTokens: number): string {
  return frame(
    'message_delta',
    `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":${outputTokens}}}`,
  );
}

/** Every event of a stream in order, one string each (for streams that die or pace their events). */
export function streamEvents(id: string, modelJson: string, inputTokens: number, k: number): string[] {
  const events = [messageStart(id, modelJson, inputTokens), CONTENT_BLOCK_START, PING];
  for (let i = 0; i < k; i++) events.push(deltaEvent(i));
  events.push(CONTENT_BLOCK_STOP, messageDelta(k), MESSAGE_STOP);
  return events;
}

/** The whole stream as one string, for the common case of a healthy stream written at once. */
export function streamBody(id: string, modelJson: string, inputTokens: number, k: number): string {
  return (
    messageStart(id, modelJson, inputTokens) +
    CONTENT_BLOCK_START +
    PING +
    deltaBlock(k) +
    CONTENT_BLOCK_STOP +
    messageDelta(k) +
    MESSAGE_STOP
  );
}
