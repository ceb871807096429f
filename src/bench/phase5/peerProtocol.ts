import type { IssuedTokens, SimulatorStats } from '../../simulator/index.js';

/**
 * Messages between the benchmark (the gateway's process) and its peer process, which holds what is
 * outside the gateway in real life: the agents (their HTTP clients) and the upstream (the simulator).
 * So the gateway has an event loop, and on a 2-core machine a core, of its own.
 */

/** A job for the load generator. Every request is a Messages request (see client.ts). */
export type LoadJob =
  /** Each key on its own connection; all agents start together and send `requests` back to back. */
  | { kind: 'concurrent'; url: string; keys: string[]; requests: number }
  /** One agent, one request at a time, alternating through the gateway and straight upstream. */
  | {
      kind: 'latency';
      url: string;
      key: string;
      directUrl: string;
      directHeaders: Record<string, string>;
      samples: number;
      warmup: number;
    }
  /** One agent after the other, each on a new connection, one streamed request each. */
  | { kind: 'new_agents'; url: string; keys: string[] }
  /** Every key sends one request, `concurrency` at a time, on a shared pool (memory test). */
  | { kind: 'first_requests'; url: string; keys: string[]; concurrency: number }
  /** `requests` requests over the keys, `concurrency` in flight, one in four streamed. */
  | { kind: 'stress'; url: string; keys: string[]; requests: number; concurrency: number };

/** What a job measured. */
export interface LoadResult {
  /** Latency of each timed request, ms. */
  latenciesMs: number[];
  /** Requests that got a complete 200 answer. */
  succeeded: number;
  attempted: number;
  /** Per key: requests that succeeded (concurrent jobs). */
  perAgentOk?: number[];
  /** Latencies of the direct requests (latency jobs). */
  directMs?: number[];
  /** Most requests in flight at once. */
  peakInFlight?: number;
  /** Wall time of the job, ms. */
  wallMs: number;
}

/** Where the peer's simulator listens. */
export interface SimAddress {
  url: string;
  tokenUrl: string;
  authorizeUrl: string;
}

/** Parent → peer: one call, answered by a `result` with the same id. */
export type PeerCall =
  | { id: number; op: 'sim.start' }
  | { id: number; op: 'sim.issueTokens'; clientId: string }
  | { id: number; op: 'sim.stats' }
  | { id: number; op: 'load'; job: LoadJob };

/** What each call resolves to. */
export interface PeerReturns {
  'sim.start': SimAddress;
  'sim.issueTokens': IssuedTokens;
  'sim.stats': SimulatorStats;
  load: LoadResult;
}

/** Peer → parent. */
export type PeerMessage =
  | { type: 'ready' }
  | { type: 'progress'; id: number; fraction: number }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'failed'; id: number; message: string };
