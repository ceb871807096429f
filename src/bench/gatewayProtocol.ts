/** What the processes of `npm run bench:gateway` tell each other over IPC. */

/** The real key the simulator accepts; the virtual key the gateway knows. */
export const BENCH_REAL_KEY = 'sk-ant-api03-bench-real-key-0000000000000000000000';
export const BENCH_VIRTUAL_KEY = 'cak_bench_virtual_key_000000000000';

/** A load or probe job sent to the `load` process. */
export interface LoadJob {
  type: 'cannon' | 'probe';
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Requests to send (all complete, so no connection is cut at the end); 0 = run for durationS. */
  amount: number;
  durationS: number;
  connections: number;
  probeN: number;
  /** For a probe: the direct target, requested alternately with `url` so both see the same noise. */
  direct?: { url: string; headers: Record<string, string> };
}

/** What the `load` process answers. */
export interface LoadResult {
  rps: number;
  total: number;
  non2xx: number;
  errors: number;
  p50us: number;
  p99us: number;
  /** For a probe: the direct target's figures from the same loop. */
  directP50us?: number;
  directP99us?: number;
}

/** What a proxy process answers to `stop-cpu`. */
export interface CpuResult {
  cpuUs: number;
  served: number;
  poolRequests: number;
  poolOpened: number;
}
