import type { RefreshPriority } from '../monitor/events.js';

export interface QueueOptions {
  /** Gather background refreshes for this long before starting them; 0 starts each at once. */
  batchWindowMs: number;
  /** At most this many refreshes run at once (Infinity: no bound). */
  concurrency: number;
  /** Called when a batch window closes with the number of jobs it released and how long it waited. */
  onBatch?: (size: number, waitedMs: number) => void;
  now: () => number;
}

export interface QueuedJob {
  priority: RefreshPriority;
  /** Starts the job; resolves when it is finished (success or failure). */
  run(): Promise<void>;
}

/**
 * The TokenOptimizer's scheduler: a priority queue (urgent before background, FIFO within each),
 * a batch window for background work, and a concurrency bound. An urgent job never waits for a
 * window: a caller is blocked on it. When it arrives, waiting background jobs are released too.
 */
export class RefreshQueue {
  private readonly urgent: QueuedJob[] = [];
  private readonly background: QueuedJob[] = [];
  private running = 0;
  private windowTimer: NodeJS.Timeout | undefined;
  private windowOpenedAt = 0;
  private windowOpen = false;
  private closed = false;

  constructor(private readonly options: QueueOptions) {}

  push(job: QueuedJob): void {
    if (this.closed) return;
    if (job.priority === 'urgent') {
      this.urgent.push(job);
      this.closeWindow();
    } else {
      this.background.push(job);
      if (this.options.batchWindowMs > 0 && !this.windowOpen) this.openWindow();
    }
    this.pump();
  }

  /** Moves a queued background job to the urgent lane (a caller is now blocked on it). */
  promote(job: QueuedJob): void {
    const i = this.background.indexOf(job);
    if (i < 0) return;
    this.background.splice(i, 1);
    job.priority = 'urgent';
    this.push(job);
  }

  get pending(): number {
    return this.urgent.length + this.background.length;
  }

  get active(): number {
    return this.running;
  }

  /** Stops the window timer; jobs not started are dropped (their owners are told by the caller). */
  close(): QueuedJob[] {
    this.closed = true;
    if (this.windowTimer) clearTimeout(this.windowTimer);
    return [...this.urgent.splice(0), ...this.background.splice(0)];
  }

  private openWindow(): void {
    this.windowOpen = true;
    this.windowOpenedAt = this.options.now();
    this.windowTimer = setTimeout(() => this.closeWindow(), this.options.batchWindowMs);
    this.windowTimer.unref();
  }

  private closeWindow(): void {
    if (!this.windowOpen) return;
    this.windowOpen = false;
    if (this.windowTimer) clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    this.options.onBatch?.(this.background.length, this.options.now() - this.windowOpenedAt);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.options.concurrency) {
      const job = this.urgent.shift() ?? (this.windowOpen ? undefined : this.background.shift());
      if (!job) return;
      this.running++;
      job.run().finally(() => {
        this.running--;
        if (!this.closed) this.pump();
      });
    }
  }
}
