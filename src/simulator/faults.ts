import type { Faults, LatencyFaults } from './types.js';

/** No faults: zero latency, zero rates, a healthy token endpoint, streams run to the end. */
export function defaultFaults(): Faults {
  return {
    latencyMs: { messages: 0, count_tokens: 0, models: 0, token: 0, authorize: 0 },
    errorRate: 0,
    rateLimitRate: 0,
    retryAfterSeconds: 1,
    overloadRate: 0,
    tokenEndpoint: 'ok',
    streamDieAfterEvents: null,
  };
}

const LATENCY_KEYS: readonly (keyof LatencyFaults)[] = [
  'messages',
  'count_tokens',
  'models',
  'token',
  'authorize',
];
const RATE_KEYS = ['errorRate', 'rateLimitRate', 'overloadRate'] as const;
const TOKEN_MODES: readonly Faults['tokenEndpoint'][] = ['ok', 'fail', 'hang', 'unavailable'];
const KNOWN_KEYS = new Set<string>([
  ...RATE_KEYS,
  'latencyMs',
  'retryAfterSeconds',
  'tokenEndpoint',
  'streamDieAfterEvents',
]);

function nonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative number`);
  }
  return value;
}

/**
 * Returns `current` with `patch` merged in (`latencyMs` per key). Validates everything first, so a
 * bad patch changes nothing. Throws a TypeError naming the first bad knob. `patch` may come from
 * JSON, hence `unknown`.
 */
export function mergeFaults(current: Faults, patch: unknown): Faults {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new TypeError('faults must be a JSON object');
  }
  const p = patch as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    if (!KNOWN_KEYS.has(key)) throw new TypeError(`unknown fault knob "${key}"`);
  }
  const next: Faults = { ...current, latencyMs: { ...current.latencyMs } };
  if (p.latencyMs !== undefined) {
    const l = p.latencyMs;
    if (typeof l !== 'object' || l === null || Array.isArray(l)) {
      throw new TypeError('latencyMs must be an object');
    }
    for (const [key, value] of Object.entries(l)) {
      if (!(LATENCY_KEYS as readonly string[]).includes(key)) {
        throw new TypeError(`unknown latencyMs route "${key}"`);
      }
      next.latencyMs[key as keyof LatencyFaults] = nonNegative(value, `latencyMs.${key}`);
    }
  }
  for (const key of RATE_KEYS) {
    if (p[key] === undefined) continue;
    const rate = nonNegative(p[key], key);
    if (rate > 1) throw new TypeError(`${key} must be between 0 and 1`);
    next[key] = rate;
  }
  if (p.retryAfterSeconds !== undefined) {
    next.retryAfterSeconds = nonNegative(p.retryAfterSeconds, 'retryAfterSeconds');
  }
  if (p.tokenEndpoint !== undefined) {
    const mode = p.tokenEndpoint as Faults['tokenEndpoint'];
    if (!TOKEN_MODES.includes(mode)) {
      throw new TypeError(`tokenEndpoint must be one of ${TOKEN_MODES.join(', ')}`);
    }
    next.tokenEndpoint = mode;
  }
  if (p.streamDieAfterEvents !== undefined) {
    const n = p.streamDieAfterEvents;
    if (n !== null && (!Number.isInteger(n) || (n as number) < 0)) {
      throw new TypeError('streamDieAfterEvents must be a non-negative integer or null');
    }
    next.streamDieAfterEvents = n as number | null;
  }
  return next;
}

/** The fault a /v1/* request draws, if any. */
export type DrawnFault = 'api_error' | 'rate_limit' | 'overloaded' | null;

/**
 * Decides rate-based faults with a seeded PRNG (mulberry32): the same seed and the same sequence of
 * requests give the same faults. One draw per request, only while some rate is non-zero.
 */
export class FaultDice {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Picks at most one fault: error first, then rate limit, then overload, by cumulative rate. */
  draw(f: Faults): DrawnFault {
    const total = f.errorRate + f.rateLimitRate + f.overloadRate;
    if (total === 0) return null;
    const r = this.next();
    if (r < f.errorRate) return 'api_error';
    if (r < f.errorRate + f.rateLimitRate) return 'rate_limit';
    if (r < total) return 'overloaded';
    return null;
  }
}
