import type { StateStore } from '../state/types.js';

export interface LastSeenOptions {
  /** How often pending times are written to the store (ms). Default 5000. */
  flushIntervalMs?: number;
  /** Told about a failed flush (the times are kept and retried at the next flush). */
  onError?: (error: unknown) => void;
}

/**
 * Remembers when each key was last used, in memory (one Map.set per request), and writes the
 * latest times to the store at most every `flushIntervalMs`, so the hot path never waits on disk
 * or network. The timer is unref'd; `close` writes what is pending.
 */
export class LastSeenRecorder {
  private pending = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly store: StateStore,
    private readonly options: LastSeenOptions = {},
  ) {
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 5000);
    this.timer.unref();
  }

  /** Notes that `keyId` was used at `at` (epoch ms). */
  record(keyId: string, at: number): void {
    this.pending.set(keyId, at);
  }

  /** Writes pending times now. Never throws: failures go to `onError` and are retried later. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = null));
    return this.flushing;
  }

  /** Stops the timer and writes what is pending. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.store.touchKeys(batch);
    } catch (e) {
      for (const [id, at] of batch) if ((this.pending.get(id) ?? 0) < at) this.pending.set(id, at);
      this.options.onError?.(e);
    }
  }
}
