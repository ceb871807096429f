import type { AuthEvent } from './events.js';

export type EventListener = (event: AuthEvent) => void;

export interface EventStreamOptions {
  /** Stop the iterator when this signal aborts. */
  signal?: AbortSignal;
  /** Events kept for a slow reader; beyond this the oldest are dropped (and counted). Default 1000. */
  bufferSize?: number;
}

/**
 * A typed, synchronous event bus. A listener that throws is isolated: monitoring must never fail
 * the authentication that emitted the event.
 */
export class EventBus {
  private readonly listeners = new Set<EventListener>();
  private readonly closers = new Set<() => void>();
  private closed = false;
  /** Events a slow `events()` reader lost to its buffer limit. */
  dropped = 0;
  /** Listener exceptions swallowed (kept for diagnostics). */
  listenerErrors = 0;

  /** True when someone listens: emitters skip building events nobody reads. */
  get active(): boolean {
    return this.listeners.size > 0;
  }

  emit(event: AuthEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        this.listenerErrors++;
      }
    }
  }

  /** Calls `listener` for every event until the returned function is called. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An async iterator over events from now on; ends on `close()` or when `signal` aborts. */
  events(options: EventStreamOptions = {}): AsyncIterableIterator<AuthEvent> {
    const limit = options.bufferSize ?? 1000;
    const queue: AuthEvent[] = [];
    let wake: ((r: IteratorResult<AuthEvent>) => void) | null = null;
    let done = this.closed;
    const finish = () => {
      if (done) return;
      done = true;
      unsubscribe();
      this.closers.delete(finish);
      options.signal?.removeEventListener('abort', finish);
      if (wake) {
        const w = wake;
        wake = null;
        w({ value: undefined, done: true });
      }
    };
    const unsubscribe = this.subscribe((event) => {
      if (wake) {
        const w = wake;
        wake = null;
        w({ value: event, done: false });
        return;
      }
      if (queue.length >= limit) {
        queue.shift();
        this.dropped++;
      }
      queue.push(event);
    });
    if (done) unsubscribe();
    else this.closers.add(finish);
    if (options.signal?.aborted) finish();
    else options.signal?.addEventListener('abort', finish, { once: true });

    const iterator: AsyncIterableIterator<AuthEvent> = {
      next: () => {
        const event = queue.shift();
        if (event) return Promise.resolve({ value: event, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          wake = resolve;
        });
      },
      return: () => {
        finish();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Ends every iterator and drops every listener. */
  close(): void {
    this.closed = true;
    for (const finish of [...this.closers]) finish();
    this.listeners.clear();
  }
}
