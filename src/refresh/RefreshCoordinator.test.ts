import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Credential } from '../credentials/types.js';
import { ClaudeAuthError } from '../errors.js';
import { EventBus } from '../monitor/EventBus.js';
import type { AuthEvent } from '../monitor/events.js';
import { RefreshCoordinator, type RefreshSource } from './RefreshCoordinator.js';

const clock = { now: () => Date.now() };
const T0 = Date.UTC(2026, 11, 4, 12);

/** A credential source driven by the test: each fetch runs the next scripted behaviour. */
class ScriptedSource implements RefreshSource {
  readonly calls: { at: number; force: boolean }[] = [];
  private n = 0;
  constructor(
    readonly id: string,
    readonly endpoint: string,
    private readonly script: ((n: number) => Promise<Credential>)[] = [],
    private readonly lifetimeMs = 3600_000,
    private readonly marginMs = 300_000,
  ) {}
  fetch({ force }: { force: boolean }): Promise<Credential> {
    this.calls.push({ at: Date.now(), force });
    const n = this.n++;
    const step = this.script[n] ?? this.script[this.script.length - 1];
    return step ? step(n) : Promise.resolve(this.fresh(n));
  }
  fresh(n: number): Credential {
    const now = Date.now();
    return {
      kind: 'oauth_access_token',
      secret: `${this.id}-token-${n}`,
      expiresAt: now + this.lifetimeMs,
      refreshAt: now + this.lifetimeMs - this.marginMs,
      source: 'test',
      injectAs: 'authorization',
    };
  }
}

const transient = (retryAt?: number) =>
  new ClaudeAuthError('token_endpoint_unreachable', 'down', retryAt === undefined ? {} : { retryAt });

let bus: EventBus;
let events: AuthEvent[];
let coordinators: RefreshCoordinator[];

function coordinator(
  over: Partial<ConstructorParameters<typeof RefreshCoordinator>[0]> = {},
): RefreshCoordinator {
  const c = new RefreshCoordinator({
    clock,
    events: bus,
    batching: { enabled: false, windowMs: 500, maxBatchSize: 10 },
    retryAttempts: 3,
    random: () => 0,
    ...over,
  });
  coordinators.push(c);
  return c;
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  bus = new EventBus();
  events = [];
  bus.subscribe((e) => events.push(e));
  coordinators = [];
});
afterEach(() => {
  for (const c of coordinators) c.close();
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('single flight and priority', () => {
  it('1,000 concurrent callers of an empty slot share one fetch', async () => {
    const src = new ScriptedSource('a', 'e');
    const c = coordinator();
    const all = await Promise.all(Array.from({ length: 1000 }, () => c.get(src)));
    expect(new Set(all.map((x) => x.secret))).toEqual(new Set(['a-token-0']));
    expect(src.calls).toHaveLength(1);
    expect(c.counters.coalesced).toBe(999);
  });

  it('serves a valid credential synchronously, without a fetch', async () => {
    const src = new ScriptedSource('a', 'e');
    const c = coordinator();
    await c.get(src);
    const again = c.get(src);
    expect(again).not.toBeInstanceOf(Promise);
    expect(src.calls).toHaveLength(1);
  });

  it('an urgent refresh runs before queued background work', async () => {
    const c = coordinator({ batching: { enabled: true, windowMs: 500, maxBatchSize: 1 } });
    const order: string[] = [];
    const mk = (id: string) =>
      new ScriptedSource(id, 'e', [
        async (n) => {
          order.push(id);
          return new ScriptedSource(id, 'e').fresh(n);
        },
      ]);
    const [a, b, u] = [mk('bg-a'), mk('bg-b'), mk('urgent')];
    void c.refresh(a, 'background', 'scheduled', true);
    void c.refresh(b, 'background', 'scheduled', true);
    await vi.advanceTimersByTimeAsync(100);
    expect(order).toEqual([]); // still inside the batch window
    await c.refresh(u, 'urgent', 'expired', false);
    await vi.advanceTimersByTimeAsync(0);
    expect(order[0]).toBe('urgent');
    await vi.advanceTimersByTimeAsync(10);
    expect(order).toEqual(['urgent', 'bg-a', 'bg-b']);
  });

  it('a caller blocked on a queued background refresh promotes it', async () => {
    const c = coordinator({ batching: { enabled: true, windowMs: 500, maxBatchSize: 10 } });
    const src = new ScriptedSource('a', 'e');
    void c.refresh(src, 'background', 'scheduled', true);
    const urgent = c.refresh(src, 'urgent', 'expired', false);
    await vi.advanceTimersByTimeAsync(0);
    expect(src.calls).toHaveLength(1);
    expect((await urgent).secret).toBe('a-token-0');
    expect(Date.now()).toBe(T0); // it did not wait for the window
  });
});

describe('batch window (enable_token_batching)', () => {
  it('coalesces background refreshes requested within batch_timeout_ms into one batch', async () => {
    const c = coordinator({ batching: { enabled: true, windowMs: 500, maxBatchSize: 10 } });
    const sources = ['a', 'b', 'c'].map((id) => new ScriptedSource(id, 'e'));
    for (const [i, s] of sources.entries()) {
      void c.refresh(s, 'background', 'scheduled', true);
      await vi.advanceTimersByTimeAsync(i === 2 ? 0 : 100);
    }
    expect(sources.every((s) => s.calls.length === 0)).toBe(true);
    await vi.advanceTimersByTimeAsync(300);
    expect(sources.map((s) => s.calls.length)).toEqual([1, 1, 1]);
    expect(events.find((e) => e.type === 'refresh.batch')).toMatchObject({ size: 3, waitedMs: 500 });
  });

  it('runs at most max_batch_size refreshes at a time', async () => {
    const c = coordinator({ batching: { enabled: true, windowMs: 50, maxBatchSize: 2 } });
    let running = 0;
    let peak = 0;
    const slow = (id: string) =>
      new ScriptedSource(id, 'e', [
        async (n) => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 100));
          running--;
          return new ScriptedSource(id, 'e').fresh(n);
        },
      ]);
    const all = Array.from({ length: 5 }, (_, i) =>
      c.refresh(slow(`s${i}`), 'background', 'scheduled', true),
    );
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all(all);
    expect(peak).toBe(2);
  });

  it('with batching off, a background refresh starts at once', async () => {
    const c = coordinator({ batching: { enabled: false, windowMs: 500, maxBatchSize: 1 } });
    const src = new ScriptedSource('a', 'e');
    void c.refresh(src, 'background', 'scheduled', true);
    await vi.advanceTimersByTimeAsync(0);
    expect(src.calls).toHaveLength(1);
  });
});

describe('retries and backoff', () => {
  it('retries transient failures retry_attempts times with growing, jittered delays', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const src = new ScriptedSource('a', 'e', [
      () => Promise.reject(transient()),
      () => Promise.reject(transient()),
      () => Promise.reject(transient()),
      (n) => Promise.resolve(new ScriptedSource('a', 'e').fresh(n)),
    ]);
    const c = coordinator({ retryAttempts: 3 });
    const p = c.get(src);
    await vi.advanceTimersByTimeAsync(60_000);
    expect((await p).secret).toBe('a-token-3');
    const gaps = src.calls.slice(1).map((call, i) => call.at - (src.calls[i]?.at ?? 0));
    expect(gaps).toHaveLength(3);
    for (const g of gaps) expect(g).toBeGreaterThan(0);
    expect(gaps[2]).toBeGreaterThan(gaps[0] as number);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(30_000);
    expect(events.find((e) => e.type === 'refresh.succeeded')).toMatchObject({ attempts: 4 });
  });

  it('gives up after retry_attempts and reports the last error', async () => {
    const src = new ScriptedSource('a', 'e', [() => Promise.reject(transient())]);
    const c = coordinator({ retryAttempts: 2 });
    const p = (c.get(src) as Promise<Credential>).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await p).toMatchObject({ code: 'token_endpoint_unreachable' });
    expect(src.calls).toHaveLength(3);
    expect(events.find((e) => e.type === 'refresh.failed')).toMatchObject({
      attempts: 3,
      code: 'token_endpoint_unreachable',
    });
  });

  it('honours retry-after: the next attempt waits until the server said', async () => {
    const src = new ScriptedSource('a', 'e', [
      () => Promise.reject(transient(Date.now() + 7_000)),
      (n) => Promise.resolve(new ScriptedSource('a', 'e').fresh(n)),
    ]);
    const c = coordinator();
    const p = c.get(src);
    await vi.advanceTimersByTimeAsync(6_999);
    expect(src.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await p;
    expect(src.calls).toHaveLength(2);
    expect((src.calls[1]?.at ?? 0) - T0).toBe(7_000);
  });

  it('does not retry a grant the server rejected (re-login required), and stops asking', async () => {
    const src = new ScriptedSource('a', 'e', [
      () => Promise.reject(new ClaudeAuthError('reauth_required', 're-login required: invalid_grant')),
    ]);
    const c = coordinator();
    await expect(c.get(src)).rejects.toMatchObject({ code: 'reauth_required' });
    await expect(c.get(src)).rejects.toMatchObject({ code: 'reauth_required' });
    expect(src.calls).toHaveLength(1);
    expect(c.state('a').value).toBe('reauth_required');
    expect(events.map((e) => e.type)).toContain('reauth.required');
  });
});

describe('circuit breaker per token endpoint', () => {
  it('opens after consecutive failures, fails fast with refresh_unavailable and when to retry, then half-opens and closes', async () => {
    let down = true;
    const src = new ScriptedSource('a', 'idp', [
      (n) => (down ? Promise.reject(transient()) : Promise.resolve(new ScriptedSource('a', 'idp').fresh(n))),
    ]);
    const c = coordinator({ retryAttempts: 0, breaker: { threshold: 3, halfOpenAfterMs: 30_000 } });
    for (let i = 0; i < 3; i++)
      await expect(c.get(src)).rejects.toMatchObject({ code: 'token_endpoint_unreachable' });
    expect(events.find((e) => e.type === 'circuit.opened')).toMatchObject({
      endpoint: 'idp',
      retryAt: T0 + 30_000,
    });
    expect(c.circuits()).toEqual({ idp: 'open' });
    const calls = src.calls.length;
    const e = await (c.get(src) as Promise<Credential>).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'refresh_unavailable', retryAt: T0 + 30_000 });
    expect(src.calls).toHaveLength(calls);
    await vi.advanceTimersByTimeAsync(30_000);
    down = false;
    expect((await c.get(src)).secret).toMatch(/^a-token-/);
    expect(events.map((x) => x.type)).toEqual(
      expect.arrayContaining(['circuit.half_open', 'circuit.closed']),
    );
    expect(c.circuits()).toEqual({ idp: 'closed' });
  });

  it('while the circuit is open, a still-valid credential keeps being served', async () => {
    let down = false;
    const src = new ScriptedSource(
      'a',
      'idp',
      [
        (n) =>
          down
            ? Promise.reject(transient())
            : Promise.resolve(new ScriptedSource('a', 'idp', [], 60_000, 20_000).fresh(n)),
      ],
      60_000,
      20_000,
    );
    const c = coordinator({ retryAttempts: 0, breaker: { threshold: 1, halfOpenAfterMs: 30_000 } });
    const first = await c.get(src);
    down = true;
    await vi.advanceTimersByTimeAsync(41_000); // scheduled refresh at 40 s fails and opens the circuit
    expect(c.circuits()).toEqual({ idp: 'open' });
    const served = c.get(src);
    expect(served).not.toBeInstanceOf(Promise);
    expect((served as Credential).secret).toBe(first.secret);
  });
});

describe('scheduled background refresh', () => {
  it('refreshes before expiry (refresh margin minus jitter) so callers never see an expired credential', async () => {
    const src = new ScriptedSource('a', 'e', [], 60_000, 15_000);
    const c = coordinator({ random: () => 1, jitter: 0.1 }); // the earliest: 1.5 s before the 15 s margin
    await c.get(src);
    await vi.advanceTimersByTimeAsync(60_000 - 15_000 - 1_500 - 1);
    expect(src.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(src.calls).toHaveLength(2);
    expect(src.calls[1]?.force).toBe(true);
    for (let t = 0; t < 10 * 60_000; t += 1_000) {
      const got = c.get(src);
      expect(got).not.toBeInstanceOf(Promise);
      expect((got as Credential).expiresAt).toBeGreaterThan(Date.now());
      await vi.advanceTimersByTimeAsync(1_000);
    }
    const priorities = events.flatMap((e) => (e.type === 'refresh.started' ? [e.priority] : []));
    expect(priorities[0]).toBe('urgent'); // the first fetch, with nothing cached
    expect(priorities.length).toBeGreaterThan(10);
    expect(priorities.slice(1).every((p) => p === 'background')).toBe(true);
  });

  it('after a failed background refresh it tries again while the credential is still valid', async () => {
    let fail = false;
    const src = new ScriptedSource(
      'a',
      'e',
      [
        (n) =>
          fail
            ? Promise.reject(transient())
            : Promise.resolve(new ScriptedSource('a', 'e', [], 60_000, 20_000).fresh(n)),
      ],
      60_000,
      20_000,
    );
    const c = coordinator({ retryAttempts: 0 });
    await c.get(src);
    fail = true;
    await vi.advanceTimersByTimeAsync(40_000);
    const failed = events.find((e) => e.type === 'refresh.failed');
    expect(failed).toMatchObject({ reason: 'scheduled' });
    expect(failed?.type === 'refresh.failed' && failed.nextAttemptAt).toBeGreaterThan(Date.now());
    fail = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events.filter((e) => e.type === 'refresh.succeeded')).toHaveLength(2);
  });

  it('replaceRejected refreshes once for every caller that saw the same rejected credential', async () => {
    const src = new ScriptedSource('a', 'e');
    const c = coordinator();
    const rejected = await c.get(src);
    const all = await Promise.all(Array.from({ length: 50 }, () => c.replaceRejected(src, rejected)));
    expect(new Set(all.map((x) => x.secret))).toEqual(new Set(['a-token-1']));
    expect(src.calls).toHaveLength(2);
    expect(src.calls[1]?.force).toBe(true);
    // a late caller holding the old credential does not cause another refresh
    await c.replaceRejected(src, rejected);
    expect(src.calls).toHaveLength(2);
  });
});
