import { randomBytes } from 'node:crypto';
import { defaultFaults, FaultDice, mergeFaults } from './faults.js';
import { RateLimitWindow } from './ratelimit.js';
import { StatsRecorder } from './stats.js';
import { DEFAULT_SCOPE, TokenStore } from './tokens.js';
import type { Faults, IssuedTokens, IssueTokensOptions, SimulatorOptions } from './types.js';

/** Everything the route handlers share: knobs, counters, accepted credentials and tokens. */
export interface SimContext {
  faults: Faults;
  readonly now: () => number;
  readonly stats: StatsRecorder;
  readonly tokens: TokenStore;
  readonly dice: FaultDice;
  readonly ratelimit: RateLimitWindow;
  readonly apiKeys: Set<string>;
  readonly oauthTokens: Set<string>;
  /** client_id → secret (undefined for a public client); null accepts any client_id as public. */
  readonly clients: Map<string, string | undefined> | null;
  /** A short unique suffix for `req_sim_…` and `msg_sim_…` ids. */
  nextId(): string;
  /** Resolves after `ms`; `cancelDelays` drops every pending one so close() is prompt. */
  delay(ms: number): Promise<void>;
  cancelDelays(): void;
}

function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive number of seconds`);
  }
  return value;
}

/** Builds the shared state from the options. Throws a TypeError on a bad option. */
export function createContext(opts: SimulatorOptions): SimContext {
  const now = opts.now ?? Date.now;
  const accessTtl = positive(opts.accessTokenTtlSeconds ?? 3600, 'accessTokenTtlSeconds');
  const refreshTtl =
    opts.refreshTokenTtlSeconds === undefined
      ? undefined
      : positive(opts.refreshTokenTtlSeconds, 'refreshTokenTtlSeconds');
  const clients =
    opts.clients === undefined ? null : new Map(opts.clients.map((c) => [c.clientId, c.clientSecret]));
  const idPrefix = randomBytes(4).toString('hex');
  let counter = 0;
  const timers = new Set<NodeJS.Timeout>();
  return {
    faults: mergeFaults(defaultFaults(), opts.faults ?? {}),
    now,
    stats: new StatsRecorder(),
    tokens: new TokenStore(now, accessTtl, refreshTtl),
    dice: new FaultDice(opts.seed ?? 1),
    ratelimit: new RateLimitWindow(now),
    apiKeys: new Set(opts.apiKeys ?? []),
    oauthTokens: new Set(opts.oauthTokens ?? []),
    clients,
    nextId: () => idPrefix + (++counter).toString(36).padStart(6, '0'),
    delay: (ms) =>
      new Promise((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, ms);
        timers.add(t);
      }),
    cancelDelays: () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

/** `Simulator.issueTokens` and `POST /__sim/tokens`. `opts` may come from JSON; throws a TypeError on bad fields. */
export function issueTokens(ctx: SimContext, opts: unknown = {}): IssuedTokens {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new TypeError('issueTokens options must be an object');
  }
  const o = opts as IssueTokensOptions;
  if (o.clientId !== undefined && typeof o.clientId !== 'string')
    throw new TypeError('clientId must be a string');
  if (o.scope !== undefined && typeof o.scope !== 'string') throw new TypeError('scope must be a string');
  const ttl =
    o.accessTokenTtlSeconds === undefined
      ? undefined
      : positive(o.accessTokenTtlSeconds, 'accessTokenTtlSeconds');
  const t = ctx.tokens.issueFamily(o.clientId, o.scope ?? DEFAULT_SCOPE, ttl);
  return { access_token: t.access_token, refresh_token: t.refresh_token ?? '', expires_in: t.expires_in };
}

/** `Simulator.setAccessTokenTtl`. */
export function setAccessTokenTtl(ctx: SimContext, seconds: number): void {
  ctx.tokens.accessTtlSeconds = positive(seconds, 'accessTokenTtlSeconds');
}
