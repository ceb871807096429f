import { describe, expect, it } from 'vitest';
import { BucketRing, RQ, SC } from './window.js';

const T0 = Date.UTC(2026, 11, 4, 12);

describe('BucketRing: the sliding window', () => {
  it('sizes the ring from window and bucket, with fixed memory', () => {
    const ring = new BucketRing(15 * 60_000, 10_000);
    expect(ring.size).toBe(90);
    expect(ring.bytes).toBeLessThan(512 * 1024);
    expect(() => new BucketRing(1000, 0)).toThrow(TypeError);
    expect(() => new BucketRing(500, 1000)).toThrow(TypeError);
    expect(() => new BucketRing(3_600_000, 100)).toThrow(TypeError);
  });

  it('aggregates samples per bucket: count, sum, sum of squares, min, max, lost beyond budget', () => {
    const ring = new BucketRing(60_000, 1000);
    const slot = ring.slotFor(T0);
    for (const ms of [10, 30, 50]) ring.addStage(slot, 0, ms, 20);
    expect(ring.stageAt(slot, 0, SC.count)).toBe(3);
    expect(ring.stageAt(slot, 0, SC.sum)).toBe(90);
    expect(ring.stageAt(slot, 0, SC.sumSq)).toBe(100 + 900 + 2500);
    expect(ring.stageAt(slot, 0, SC.min)).toBe(10);
    expect(ring.stageAt(slot, 0, SC.max)).toBe(50);
    expect(ring.stageAt(slot, 0, SC.lost)).toBe(10 + 30);
  });

  it('evicts: buckets older than the window are not read, and a reused slot starts empty', () => {
    const ring = new BucketRing(10_000, 1000);
    const first = ring.slotFor(T0);
    ring.addReq(first, RQ.requests, 5);
    expect(ring.slotsUpTo(T0)).toEqual([first]);
    expect(ring.slotsUpTo(T0 + 9_999)).toEqual([first]);
    // one bucket past the window: the old one is out, though nothing overwrote it yet
    expect(ring.slotsUpTo(T0 + 10_000)).toEqual([]);
    const reused = ring.slotFor(T0 + 10_000);
    expect(reused).toBe(first);
    expect(ring.reqAt(reused, RQ.requests)).toBe(0);
  });

  it('lists the window oldest first, skipping empty buckets', () => {
    const ring = new BucketRing(10_000, 1000);
    const a = ring.slotFor(T0 + 3000);
    const b = ring.slotFor(T0 + 7000);
    expect(ring.slotsUpTo(T0 + 8000)).toEqual([a, b]);
    expect(ring.startOf(b) - ring.startOf(a)).toBe(4000);
  });

  it('writes into the current bucket when the clock steps back', () => {
    const ring = new BucketRing(10_000, 1000);
    const now = ring.slotFor(T0 + 5000);
    expect(ring.slotFor(T0 + 1000)).toBe(now);
  });
});
