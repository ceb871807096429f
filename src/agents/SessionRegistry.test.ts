import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import { ClaudeAuthError } from '../errors.js';
import { EventBus } from '../monitor/EventBus.js';
import type { AuthEvent } from '../monitor/events.js';
import { SessionRegistry } from './SessionRegistry.js';

const clock = { now: () => Date.now() };
let bus: EventBus;
let events: AuthEvent[];
let registries: SessionRegistry[];

function registry(
  memory: Partial<ReturnType<typeof defaultConfig>['performance']['memory']> = {},
  enforce = true,
) {
  const r = new SessionRegistry({
    memory: { ...defaultConfig().performance.memory, ...memory },
    enforce,
    events: bus,
    clock,
    sweepIntervalMs: 60_000,
  });
  registries.push(r);
  return r;
}

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 11, 4) });
  bus = new EventBus();
  events = [];
  bus.subscribe((e) => events.push(e));
  registries = [];
});
afterEach(() => {
  for (const r of registries) r.close();
  vi.useRealTimers();
});

function thrown(fn: () => unknown): ClaudeAuthError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ClaudeAuthError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('SessionRegistry (memory governance)', () => {
  it('admits sessions against the budget, reserving the ask or default_agent_memory_mb', () => {
    const r = registry();
    r.touch('a', 40);
    r.touch('b');
    expect(r.stats()).toMatchObject({ sessions: 2, reservedMb: 65, maxMemoryMb: 500 });
    expect(r.stats().utilization).toBeCloseTo(0.13);
    r.touch('a', 49); // an existing session keeps its reservation
    expect(r.stats().reservedMb).toBe(65);
    expect(events.filter((e) => e.type === 'session.started')).toHaveLength(2);
  });

  it('refuses an ask above max_agent_memory_mb, naming the limit and the ask', () => {
    const e = thrown(() => registry().touch('greedy', 80));
    expect(e.code).toBe('agent_memory_limit');
    expect(e.message).toContain('80 MB');
    expect(e.message).toContain('50 MB');
    expect(e.describe()).toContain('max_agent_memory_mb');
  });

  it('above gc_threshold_mb evicts idle sessions, least recently active first, and reports memory pressure', () => {
    const r = registry({ max_memory_mb: 200, gc_threshold_mb: 100, max_agent_memory_mb: 50 });
    for (const id of ['oldest', 'middle', 'busy', 'newest']) {
      r.touch(id, 25);
      vi.advanceTimersByTime(1000);
    }
    r.touch('oldest'); // activity moves it to the back of the eviction order
    r.beginRequest('busy'); // in flight: never evicted
    vi.advanceTimersByTime(1000);
    r.touch('incoming', 50); // 150 MB > 100 MB threshold
    const pressure = events.find((e) => e.type === 'memory.pressure');
    expect(pressure).toMatchObject({ evicted: ['middle', 'newest'], gcThresholdMb: 100 });
    expect(r.get('busy')).toBeDefined();
    expect(r.get('oldest')).toBeDefined();
    expect(r.stats()).toMatchObject({ reservedMb: 100, evictedForMemory: 2 });
    expect(
      events.filter((e) => e.type === 'session.ended').map((e) => e.type === 'session.ended' && e.reason),
    ).toEqual(['memory_pressure', 'memory_pressure']);
  });

  it('at max_memory_mb refuses new sessions with the numbers while running agents keep working', () => {
    const r = registry({ max_memory_mb: 100, gc_threshold_mb: 100, max_agent_memory_mb: 50 });
    r.touch('a', 50);
    r.touch('b', 50);
    r.beginRequest('a');
    r.beginRequest('b');
    const e = thrown(() => r.touch('c', 10));
    expect(e.code).toBe('memory_budget_exceeded');
    expect(e.message).toBe(
      'no room for agent c: 100 MB of 100 MB are reserved by 2 running agents and it asks for 10 MB',
    );
    expect(e.kind.status).toBe(529);
    expect(r.touch('a').agentId).toBe('a'); // existing agents keep working
    expect(events.find((x) => x.type === 'memory.refused')).toMatchObject({ agentId: 'c', requestedMb: 10 });
  });

  it('at the maximum, an idle session is ended to admit a new one', () => {
    const r = registry({ max_memory_mb: 100, gc_threshold_mb: 100, max_agent_memory_mb: 50 });
    r.touch('idle', 50);
    r.touch('running', 50);
    r.beginRequest('running');
    r.touch('new', 50);
    expect(r.get('idle')).toBeUndefined();
    expect(r.stats().reservedMb).toBe(100);
  });

  it('ends sessions idle for session_timeout_minutes, not those with requests in flight or a running process', () => {
    const r = registry({ session_timeout_minutes: 30 });
    r.touch('idle');
    r.touch('busy');
    r.beginRequest('busy');
    r.touch('launched');
    r.attachProcess('launched', 12345);
    vi.advanceTimersByTime(29 * 60_000);
    r.touch('busy');
    vi.advanceTimersByTime(60_000); // the minute-interval sweep runs at 30 min
    expect(r.get('idle')).toBeUndefined();
    expect(r.get('busy')).toBeDefined();
    expect(r.get('launched')).toBeDefined();
    expect(r.stats()).toMatchObject({ endedIdle: 1, sessions: 2 });
    r.endRequest('busy');
    vi.advanceTimersByTime(31 * 60_000);
    expect(r.get('busy')).toBeUndefined();
    // a key whose session ended can start a new one
    r.touch('idle');
    expect(r.get('idle')).toBeDefined();
  });

  it('with enable_memory_optimization off, sessions are tracked but never refused or evicted for memory', () => {
    const r = registry({ max_memory_mb: 100, gc_threshold_mb: 50, max_agent_memory_mb: 50 }, false);
    for (let i = 0; i < 10; i++) r.touch(`a${i}`, 50);
    expect(r.stats()).toMatchObject({ sessions: 10, reservedMb: 500, evictedForMemory: 0, refused: 0 });
    expect(events.some((e) => e.type === 'memory.pressure')).toBe(false);
  });

  it('reports a launched agent over the per-agent limit', () => {
    const r = registry();
    r.touch('big');
    r.attachProcess('big', 1);
    expect(r.observeRss('big', 49, false)).toBe(false);
    expect(r.observeRss('big', 61.5, false)).toBe(true);
    expect(events.find((e) => e.type === 'memory.over_limit')).toMatchObject({
      agentId: 'big',
      observedMb: 61.5,
      limitMb: 50,
    });
  });
});
