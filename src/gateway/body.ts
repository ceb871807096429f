import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';

/** A request body grew past the gateway's limit while it was being read or streamed. */
export class BodyTooLargeError extends Error {
  readonly limit: number;

  constructor(limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
    this.limit = limit;
  }
}

/**
 * Passes a body of unknown length (chunked) through unchanged, counting bytes, and fails with
 * {@link BodyTooLargeError} at the first byte over `limit`. A body with a `content-length` needs no
 * counting: Node's parser stops at the declared length, which the gateway checks up front.
 */
export class BodyLimit extends Transform {
  private bytes = 0;
  private readonly limit: number;

  constructor(limit: number) {
    super();
    this.limit = limit;
  }

  /** Bytes seen so far. */
  get count(): number {
    return this.bytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) callback(new BodyTooLargeError(this.limit));
    else callback(null, chunk);
  }
}

/** The limiter for a chunked body, fed from `req` (an error on `req` destroys it too). */
export function limitedBody(req: IncomingMessage, limit: number): BodyLimit {
  const limiter = new BodyLimit(limit);
  req.on('error', (err) => limiter.destroy(err));
  return req.pipe(limiter);
}

/**
 * Reads a body of known `length` into one Buffer (so it can be sent again). Calls `done` once, with
 * the body or with the stream's error (an agent that went away).
 */
export function bufferBody(
  req: IncomingMessage,
  length: number,
  done: (err: Error | null, body: Buffer | null) => void,
): void {
  const body = Buffer.allocUnsafe(length);
  let offset = 0;
  let called = false;
  const finish = (err: Error | null): void => {
    if (called) return;
    called = true;
    if (err === null && offset !== length)
      err = new Error(`request body ended after ${offset} of ${length} bytes`);
    done(err, err === null ? body : null);
  };
  req.on('data', (chunk: Buffer) => {
    // Node's parser never delivers more than content-length; the guard keeps a bug from overflowing.
    const n = Math.min(chunk.length, length - offset);
    chunk.copy(body, offset, 0, n);
    offset += n;
  });
  req.on('end', () => finish(null));
  req.on('error', finish);
  req.on('close', () => finish(offset === length ? null : new Error('request aborted')));
}
