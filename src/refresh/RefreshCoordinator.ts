import { handleWhen, retry } from 'cockatiel';
import { type Clock, systemClock } from '../clock.js';
import type { Credential } from '../credentials/types.js';
import { ClaudeAuthError } from '../errors.js';
import type { EventBus } from '../monitor/EventBus.js';
import type { RefreshPriority, RefreshReason } from '../monitor/events.js';
import { type BreakerOptions, EndpointBreakers, isTransient } from './EndpointBreakers.js';
import { type QueuedJob, RefreshQueue } from './RefreshQueue.js';
import { RetryAfterBackoff } from './RetryAfterBackoff.js';

/** A credential that can be fetched again (a provider, seen by the coordinator). */
export interface RefreshSource {
  /** Stable id without secrets, e.g. `oauth2:client@https://idp/token`. */
  readonly id: string;
  /** Sources behind one endpoint share a circuit breaker, e.g. the token endpoint URL. */
  readonly endpoint: string;
  /** `force`: the caller knows the current credential is due or rejected, fetch a new one. */
  fetch(options: { force: boolean }): Promise<Credential>;
}

export interface RefreshCoordinatorOptions {
  clock?: Clock;
  events: EventBus;
  /** `enable_token_batching`: background refreshes wait `batchWindowMs` and run `maxBatchSize` at a time. */
  batching: { enabled: boolean; windowMs: number; maxBatchSize: number };
  /** `retry_attempts`: retries after the first failure of one refresh. */
  retryAttempts: number;
  breaker?: BreakerOptions;
  /** Fraction of the refresh margin by which background refreshes are started early at random (0.1). */
  jitter?: number;
  /** Called after a new credential is in place (the cache drops what it built on the old one). */
  onRefreshed?: (sourceId: string, credential: Credential) => void;
  /** Random numbers in [0, 1): injectable for tests. */
  random?: () => number;
}

/** Token state per credential (STYLE.md: a union, so impossible states cannot be written). */
export type TokenState =
  | { value: 'empty' }
  | { value: 'valid'; credential: Credential }
  | { value: 'refreshing'; credential: Credential | null }
  | { value: 'expired'; credential: Credential }
  | { value: 'reauth_required'; error: ClaudeAuthError };

interface Job extends QueuedJob {
  force: boolean;
  reason: RefreshReason;
  promise: Promise<Credential>;
}

interface Slot {
  source: RefreshSource;
  credential: Credential | null;
  job: Job | null;
  timer: NodeJS.Timeout | undefined;
  reauth: ClaudeAuthError | null;
}

/** The margin before hard expiry inside which a credential is no longer handed out. */
export function safetyMs(c: Credential): number {
  if (c.expiresAt === null) return 0;
  const margin = c.refreshAt === null ? 2000 : c.expiresAt - c.refreshAt;
  return Math.min(1000, Math.max(0, margin / 2));
}

/** Epoch ms until which `c` may be handed out (Infinity when it does not expire). */
export function usableUntil(c: Credential): number {
  return c.expiresAt === null ? Number.POSITIVE_INFINITY : c.expiresAt - safetyMs(c);
}

/**
 * The specification's TokenOptimizer. Per credential: single flight (any number of concurrent
 * callers share one refresh — this is correctness, not an optimization), urgent refreshes (a caller
 * is blocked) before background ones, a batch window for background work, retries with exponential
 * backoff and decorrelated jitter honouring `retry-after`, a circuit breaker per endpoint, and a
 * background refresh scheduled before expiry so callers never see an expired credential.
 */
export class RefreshCoordinator {
  private readonly clock: Clock;
  private readonly slots = new Map<string, Slot>();
  private readonly queue: RefreshQueue;
  private readonly breakers: EndpointBreakers;
  private readonly random: () => number;
  private readonly jitter: number;
  private readonly batchWindowMs: number;
  private closed = false;
  /** Counters for the dashboard. */
  readonly counters = { started: 0, succeeded: 0, failed: 0, coalesced: 0 };

  constructor(private readonly options: RefreshCoordinatorOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.jitter = options.jitter ?? 0.1;
    const { enabled, windowMs, maxBatchSize } = options.batching;
    this.batchWindowMs = enabled ? windowMs : 0;
    this.queue = new RefreshQueue({
      batchWindowMs: enabled ? windowMs : 0,
      concurrency: enabled ? maxBatchSize : Number.POSITIVE_INFINITY,
      now: () => this.clock.now(),
      onBatch: (size, waitedMs) => {
        if (size > 0) options.events.emit({ type: 'refresh.batch', at: this.clock.now(), size, waitedMs });
      },
    });
    this.breakers = new EndpointBreakers(
      options.breaker ?? { threshold: 5, halfOpenAfterMs: 30_000 },
      this.clock,
      options.events,
    );
  }

  /**
   * A usable credential: the current one synchronously when it is valid (starting a background
   * refresh when it is inside its refresh window), else a promise of an urgent refresh.
   */
  get(source: RefreshSource): Credential | Promise<Credential> {
    const slot = this.slot(source);
    const c = slot.credential;
    const now = this.clock.now();
    if (c !== null && usableUntil(c) > now) {
      if (c.refreshAt !== null && c.refreshAt <= now && slot.job === null)
        this.refresh(source, 'background', 'refresh_ahead', true);
      return c;
    }
    if (slot.reauth) return Promise.reject(slot.reauth);
    return this.refresh(source, 'urgent', c === null ? 'initial' : 'expired', c !== null);
  }

  /** Asks the source every time (caching off), still single-flight. */
  fetchThrough(source: RefreshSource): Promise<Credential> {
    return this.refresh(source, 'urgent', 'initial', false);
  }

  /**
   * Upstream rejected `rejected`: refresh once for everyone who saw it. When the current credential
   * is already a different one, nothing is fetched.
   */
  async replaceRejected(source: RefreshSource, rejected: Credential): Promise<Credential> {
    const slot = this.slot(source);
    if (
      slot.credential !== null &&
      slot.credential.secret !== rejected.secret &&
      usableUntil(slot.credential) > this.clock.now()
    ) {
      return slot.credential;
    }
    if (slot.job?.force) return this.refresh(source, 'urgent', 'unauthorized', true);
    if (slot.job) await slot.job.promise.catch(() => undefined);
    if (slot.credential !== null && slot.credential.secret !== rejected.secret) return slot.credential;
    return this.refresh(source, 'urgent', 'unauthorized', true);
  }

  /** Starts (or joins) the one refresh of `source`. */
  refresh(
    source: RefreshSource,
    priority: RefreshPriority,
    reason: RefreshReason,
    force: boolean,
  ): Promise<Credential> {
    if (this.closed)
      return Promise.reject(new ClaudeAuthError('refresh_unavailable', 'the auth manager is closed'));
    const slot = this.slot(source);
    if (slot.job) {
      this.counters.coalesced++;
      if (priority === 'urgent' && slot.job.priority === 'background') this.queue.promote(slot.job);
      return slot.job.promise;
    }
    let settle!: { resolve: (c: Credential) => void; reject: (e: unknown) => void };
    const promise = new Promise<Credential>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // background work has no awaiting caller: its failure is reported as an event, not thrown
    if (priority === 'background') promise.catch(() => undefined);
    const job: Job = {
      priority,
      force,
      reason,
      promise,
      run: () => this.run(slot, job).then(settle.resolve, settle.reject),
    };
    slot.job = job;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    this.queue.push(job);
    return promise;
  }

  /** The state of `sourceId`'s credential, for status and the dashboard. */
  state(sourceId: string): TokenState {
    const slot = this.slots.get(sourceId);
    if (!slot) return { value: 'empty' };
    if (slot.reauth) return { value: 'reauth_required', error: slot.reauth };
    if (slot.job) return { value: 'refreshing', credential: slot.credential };
    if (!slot.credential) return { value: 'empty' };
    return usableUntil(slot.credential) > this.clock.now()
      ? { value: 'valid', credential: slot.credential }
      : { value: 'expired', credential: slot.credential };
  }

  /** The current credential of `sourceId`, usable or not. */
  current(sourceId: string): Credential | null {
    return this.slots.get(sourceId)?.credential ?? null;
  }

  circuits(): Record<string, 'closed' | 'open' | 'half_open'> {
    return this.breakers.snapshot();
  }

  get queueLength(): number {
    return this.queue.pending;
  }

  /** Cancels timers and queued work; waiting callers get `refresh_unavailable`. */
  close(): void {
    this.closed = true;
    for (const slot of this.slots.values()) if (slot.timer) clearTimeout(slot.timer);
    for (const job of this.queue.close()) void job.run(); // run() sees `closed` and rejects at once
  }

  private slot(source: RefreshSource): Slot {
    let slot = this.slots.get(source.id);
    if (!slot) {
      slot = { source, credential: null, job: null, timer: undefined, reauth: null };
      this.slots.set(source.id, slot);
    }
    return slot;
  }

  private async run(slot: Slot, job: Job): Promise<Credential> {
    const { source } = slot;
    const events = this.options.events;
    const started = this.clock.now();
    let attempts = 0;
    try {
      if (this.closed) throw new ClaudeAuthError('refresh_unavailable', 'the auth manager is closed');
      this.counters.started++;
      events.emit({
        type: 'refresh.started',
        at: started,
        credential: source.id,
        reason: job.reason,
        priority: job.priority,
      });
      const policy = retry(handleWhen(isTransient), {
        maxAttempts: this.options.retryAttempts,
        backoff: new RetryAfterBackoff(this.clock),
      });
      const credential = await policy.execute(() => {
        attempts++;
        return this.breakers.execute(source.endpoint, () => source.fetch({ force: job.force }));
      });
      const changed = slot.credential?.secret !== credential.secret;
      slot.credential = credential;
      slot.reauth = null;
      this.counters.succeeded++;
      events.emit({
        type: 'refresh.succeeded',
        at: this.clock.now(),
        credential: source.id,
        reason: job.reason,
        durationMs: this.clock.now() - started,
        attempts,
        expiresAt: credential.expiresAt,
      });
      if (changed) this.options.onRefreshed?.(source.id, credential);
      slot.job = null;
      this.schedule(slot);
      return credential;
    } catch (e) {
      slot.job = null;
      const error =
        e instanceof ClaudeAuthError
          ? e
          : new ClaudeAuthError('refresh_failed', `refreshing ${source.id} failed: ${(e as Error).message}`, {
              cause: e,
            });
      this.counters.failed++;
      if (error.code === 'reauth_required') {
        slot.reauth = error;
        events.emit({
          type: 'reauth.required',
          at: this.clock.now(),
          credential: source.id,
          message: error.message,
        });
      }
      const next = this.closed || error.code === 'reauth_required' ? null : this.scheduleRetry(slot, error);
      events.emit({
        type: 'refresh.failed',
        at: this.clock.now(),
        credential: source.id,
        reason: job.reason,
        code: error.code,
        message: error.message,
        attempts,
        nextAttemptAt: next,
      });
      throw error;
    }
  }

  /** Schedules the background refresh of a fresh credential: at its refresh time, minus jitter. */
  private schedule(slot: Slot): void {
    const c = slot.credential;
    if (this.closed || c === null || c.refreshAt === null) return;
    const now = this.clock.now();
    const margin = c.expiresAt === null ? 0 : c.expiresAt - c.refreshAt;
    // start early by the jitter, and by the batch window a background refresh waits in the queue
    const early = this.random() * this.jitter * margin + this.batchWindowMs;
    const floor = c.expiresAt === null ? 1000 : Math.min(1000, Math.max(0, (c.expiresAt - now) / 2));
    this.arm(slot, Math.max(floor, c.refreshAt - early - now), 'scheduled');
  }

  /** After a failure with a still-usable credential, tries again in the background before it expires. */
  private scheduleRetry(slot: Slot, error: ClaudeAuthError): number | null {
    const c = slot.credential;
    const now = this.clock.now();
    if (c === null || usableUntil(c) <= now) return null;
    const left = usableUntil(c) - now;
    let delay = Math.min(30_000, Math.max(1000, left / 4));
    if (error.retryAt !== undefined) delay = Math.max(delay, error.retryAt - now);
    if (delay >= left) return null;
    this.arm(slot, delay, 'scheduled');
    return now + delay;
  }

  private arm(slot: Slot, delayMs: number, reason: RefreshReason): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      this.refresh(slot.source, 'background', reason, true);
    }, delayMs);
    slot.timer.unref();
  }
}
