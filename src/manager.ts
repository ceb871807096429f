import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { Agent, fetch as undiciFetch } from 'undici';
import { type AgentSession, SessionRegistry, type SessionStats } from './agents/SessionRegistry.js';
import { BottleneckAnalyzer } from './analysis/BottleneckAnalyzer.js';
import type { Finding } from './analysis/types.js';
import { AuthenticationCache, type CacheStats } from './cache/AuthenticationCache.js';
import { CredentialView, refuseInjection } from './cache/CredentialView.js';
import { type Clock, systemClock } from './clock.js';
import { type Config, defaultConfig } from './config/schema.js';
import { createProvider } from './credentials/index.js';
import type { CredentialKind, CredentialProvider, ProviderStatus } from './credentials/types.js';
import { ClaudeAuthError } from './errors.js';
import type { UpstreamAuth, UpstreamCredential } from './gateway/ports.js';
import type { RequestRecord } from './gateway/record.js';
import type { Dashboard } from './monitor/dashboard.js';
import { EventBus, type EventStreamOptions } from './monitor/EventBus.js';
import type { AuthEvent, SessionEndReason } from './monitor/events.js';
import { feedSignals } from './monitor/feedSignals.js';
import { LatencyRing } from './monitor/LatencyRing.js';
import type { PoolSource } from './monitor/MonitorData.js';
import { createMonitor, type PerformanceMonitor } from './monitor/PerformanceMonitor.js';
import { claudeAuthHome } from './paths.js';
import { refreshSourceFor } from './refresh/providerSource.js';
import { RefreshCoordinator, type RefreshSource, type TokenState } from './refresh/RefreshCoordinator.js';

export interface ManagerOptions {
  /** State directory (default: CLAUDE_AUTH_HOME). */
  home?: string;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** Use this provider instead of the one `[auth] provider` names (tests, embedding). */
  provider?: CredentialProvider;
  log?: Logger;
  /** Random numbers for refresh jitter (tests). */
  random?: () => number;
  /** Told when an agent session starts or ends (the gateway persists sessions in its state store). */
  onSessionStarted?: (session: AgentSession) => void;
  onSessionEnded?: (session: AgentSession, reason: SessionEndReason) => void;
  /** The gateway's connection pool, for the monitor and the analyzer (the gateway passes its own). */
  pool?: PoolSource & { readonly maxConnections?: number };
}

export interface AuthenticateOptions {
  /** Memory the agent expects to use, in MB (admission against `[performance.memory]`). */
  estimatedMemoryMb?: number;
}

/** What `authenticateAgent` resolves to. */
export interface AuthResult {
  /** Headers to send upstream; empty for a credential that may not be injected (a subscription token). */
  readonly headers: Readonly<Record<string, string>>;
  /** Environment for launching an official client directly with this credential. */
  readonly env: Readonly<Record<string, string>>;
  readonly expiresAt: number | null;
  readonly kind: CredentialKind;
  /** True when served from the authentication cache. */
  readonly cached: boolean;
  /** Time spent inside authenticateAgent, in ms. */
  readonly latencyMs: number;
}

/**
 * The specification's OptimizedAuthManager: composes the credential provider, the refresh
 * coordinator (TokenOptimizer) and the authentication cache. A warm `authenticateAgent` is one
 * cache lookup and never awaits disk or network. Every `[performance] enable_*` switch turns its
 * component off and the path still works; single-flight refresh is correctness and always on.
 */
export class OptimizedAuthManager implements UpstreamAuth {
  readonly config: Config;
  readonly bus = new EventBus();
  /** Agent sessions and the memory budget (the specification's MemoryOptimizer). */
  readonly sessions: SessionRegistry;
  /** Metrics, alerts and health (the specification's PerformanceMonitor); a no-op when monitoring is off. */
  readonly monitor: PerformanceMonitor;
  /** Per-stage timings and signals → findings (the specification's BottleneckAnalyzer); null when monitoring is off. */
  readonly analyzer: BottleneckAnalyzer | null;
  private readonly signalTimer: NodeJS.Timeout | undefined;
  private readonly pool: ManagerOptions['pool'];
  private readonly clock: Clock;
  private readonly provider: CredentialProvider;
  private readonly source: RefreshSource;
  private readonly coordinator: RefreshCoordinator;
  private readonly cache: AuthenticationCache<CredentialView> | null;
  private lastView: CredentialView | null = null;
  /** Latency of authenticateAgent calls, ms (cached and not). */
  private readonly lookups = new LatencyRing();
  /** Token requests go through this agent, so close() can release their sockets. */
  private readonly tokenAgent = new Agent({ keepAliveTimeout: 10_000, connections: 4 });
  private closed = false;

  private constructor(config: Config, options: ManagerOptions) {
    this.config = config;
    this.clock = options.clock ?? systemClock;
    const home = options.home ?? claudeAuthHome(options.env);
    this.provider =
      options.provider ??
      createProvider(config, {
        home,
        clock: this.clock,
        ...(options.env ? { env: options.env } : {}),
        ...(options.log ? { log: options.log } : {}),
        fetch: (url, init) =>
          undiciFetch(url, { ...init, dispatcher: this.tokenAgent }) as unknown as Promise<Response>,
      });
    this.source = refreshSourceFor(config, this.provider);
    const perf = config.performance;
    this.cache = perf.enable_caching
      ? new AuthenticationCache<CredentialView>({
          maxSize: perf.cache.max_size,
          ttlMs: perf.cache.ttl_minutes * 60_000,
          cleanupIntervalMs: perf.cache.cleanup_interval_minutes * 60_000,
          clock: this.clock,
        })
      : null;
    this.coordinator = new RefreshCoordinator({
      clock: this.clock,
      events: this.bus,
      batching: {
        enabled: perf.enable_token_batching,
        windowMs: perf.token_optimizer.batch_timeout_ms,
        maxBatchSize: perf.token_optimizer.max_batch_size,
      },
      retryAttempts: perf.token_optimizer.retry_attempts,
      ...(options.random ? { random: options.random } : {}),
      onRefreshed: (id) => this.invalidate('refreshed', id),
    });
    this.sessions = new SessionRegistry({
      memory: perf.memory,
      enforce: perf.enable_memory_optimization,
      events: this.bus,
      clock: this.clock,
      onEnded: (session, reason) => {
        this.cache?.delete(session.agentId);
        options.onSessionEnded?.(session, reason);
      },
      ...(options.onSessionStarted ? { onStarted: options.onSessionStarted } : {}),
    });
    this.pool = options.pool;
    this.monitor = createMonitor({
      config,
      bus: this.bus,
      clock: this.clock,
      manager: this,
      ...(options.pool ? { pool: options.pool } : {}),
    });
    this.analyzer = perf.enable_monitoring ? new BottleneckAnalyzer({ config, clock: this.clock }) : null;
    if (this.analyzer) {
      const analyzer = this.analyzer;
      this.bus.subscribe((e) => analyzer.observeEvent(e));
      this.signalTimer = setInterval(() => this.sampleSignals(), 1000);
      this.signalTimer.unref();
    }
    // a revoked grant must not keep being served from the cache until its access token expires
    this.bus.subscribe((e) => {
      if (e.type === 'reauth.required') this.invalidate('revoked', e.credential);
    });
  }

  /**
   * Builds a manager from a config (default: the specification's defaults). Fetches nothing yet.
   * @throws ClaudeAuthError config_invalid when the provider's settings are incomplete.
   */
  static async create(
    config: Config = defaultConfig(),
    options: ManagerOptions = {},
  ): Promise<OptimizedAuthManager> {
    return new OptimizedAuthManager(config, options);
  }

  /**
   * Authenticates one agent: the cached result when warm, else the current credential (refreshing
   * it first, once for all callers, when it is expired).
   * @throws ClaudeAuthError credential_missing, reauth_required, refresh_unavailable, refresh_failed, …
   */
  authenticateAgent(agentId: string, options?: AuthenticateOptions): Promise<AuthResult> {
    const start = performance.now();
    const now = this.clock.now();
    try {
      this.sessions.touch(agentId, options?.estimatedMemoryMb, now);
    } catch (e) {
      return Promise.reject(e);
    }
    const cache = this.cache;
    if (cache !== null) {
      const view = cache.get(agentId, now);
      if (view !== undefined) {
        if (view.refreshAt <= now) this.refreshAhead();
        return Promise.resolve(this.result(view, true, start));
      }
    }
    return this.authenticateSlow(agentId, start);
  }

  /** UpstreamAuth for the gateway: synchronous on a warm cache, no promise on the hot path. */
  authenticate(agentId: string): UpstreamCredential | Promise<UpstreamCredential> {
    const now = this.clock.now();
    this.sessions.touch(agentId, undefined, now);
    const cache = this.cache;
    if (cache !== null) {
      const view = cache.get(agentId, now);
      if (view !== undefined) {
        if (view.refreshAt <= now) this.refreshAhead();
        return view.kind === 'claude_code_oauth' ? refuseInjection(view) : view;
      }
    }
    return this.viewFor(agentId).then((view) =>
      view.kind === 'claude_code_oauth' ? refuseInjection(view) : view,
    );
  }

  /** UpstreamAuth: upstream rejected `rejected`; one forced refresh for every agent that saw it. */
  async onUnauthorized(_agentId: string, rejected: UpstreamCredential): Promise<void> {
    if (!(rejected instanceof CredentialView)) return;
    await this.coordinator.replaceRejected(this.source, rejected.credential);
  }

  /** Typed events (refreshes, circuit changes, re-login required, …) from now on. */
  events(options?: EventStreamOptions): AsyncIterableIterator<AuthEvent> {
    return this.bus.events(options);
  }

  /** Drops every cached authentication (after a refresh, a revocation or a provider change). */
  invalidate(reason: 'refreshed' | 'revoked' | 'provider_changed', credentialId = this.source.id): void {
    this.lastView = null;
    this.cache?.invalidateAll();
    if (this.bus.active)
      this.bus.emit({ type: 'cache.invalidated', at: this.clock.now(), credential: credentialId, reason });
  }

  /**
   * Whether a usable credential can be had now (for `/readyz`): the current one, or a refresh that
   * finishes within `timeoutMs`. Touches no agent session.
   */
  async ready(timeoutMs = 5000): Promise<{ ready: true } | { ready: false; reason: string; hint?: string }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const got = this.coordinator.get(this.source);
      if (!(got instanceof Promise)) return { ready: true };
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ClaudeAuthError('refresh_unavailable', `no credential within ${timeoutMs} ms`)),
          timeoutMs,
        );
        timer.unref();
      });
      await Promise.race([got, timeout]);
      return { ready: true };
    } catch (e) {
      if (e instanceof ClaudeAuthError)
        return { ready: false, reason: e.message, ...(e.hint ? { hint: e.hint } : {}) };
      return { ready: false, reason: (e as Error).message };
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** One gateway request is over (the gateway's `onRequestDone`): to the monitor and the analyzer. */
  observeRequest(record: RequestRecord): void {
    try {
      this.monitor.observeRequest(record);
      this.analyzer?.observe(record);
    } catch {
      this.bus.listenerErrors++; // monitoring must never fail a request
    }
  }

  /** Current bottleneck findings, most impact first (empty when monitoring is off). */
  findings(): Finding[] {
    return this.analyzer?.analyze() ?? [];
  }

  /**
   * The specification's dashboard JSON with real values: overall_performance, component_health,
   * active_alerts, recommendations (from the bottleneck analyzer), plus details.
   */
  async getPerformanceDashboard(): Promise<Dashboard> {
    const recommendations = this.findings()
      .filter((f) => f.severity !== 'low')
      .map((f) => `${f.title}. ${f.recommendation.text}`);
    return this.monitor.dashboard(recommendations);
  }

  /** Once a second: memory to the monitor, cache/pool/memory signals to the analyzer. */
  private sampleSignals(): void {
    try {
      feedSignals({
        sessions: this.sessions,
        cache: this.cache,
        pool: this.pool,
        monitor: this.monitor,
        analyzer: this.analyzer,
      });
    } catch {
      this.bus.listenerErrors++;
    }
  }

  /** The provider's view of its credential (never the secret). */
  status(): Promise<ProviderStatus> {
    return this.provider.status();
  }

  tokenState(): TokenState {
    return this.coordinator.state(this.source.id);
  }

  stats(): {
    cache: CacheStats | null;
    sessions: SessionStats;
    /** authenticateAgent latency in ms over the last 4096 calls (avg over all). */
    lookups: ReturnType<LatencyRing['summary']>;
    refresh: RefreshCoordinator['counters'] & { queued: number };
    circuits: Record<string, 'closed' | 'open' | 'half_open'>;
  } {
    return {
      cache: this.cache?.stats() ?? null,
      sessions: this.sessions.stats(),
      lookups: this.lookups.summary(),
      refresh: { ...this.coordinator.counters, queued: this.coordinator.queueLength },
      circuits: this.coordinator.circuits(),
    };
  }

  /** Releases every timer and listener; a process that calls it can exit at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.signalTimer) clearInterval(this.signalTimer);
    this.monitor.close();
    this.coordinator.close();
    this.sessions.close();
    this.cache?.close();
    this.bus.close();
    await this.tokenAgent.destroy();
  }

  private result(view: CredentialView, cached: boolean, start: number): AuthResult {
    const latencyMs = performance.now() - start;
    this.lookups.record(latencyMs);
    this.monitor.observeAuthentication(latencyMs, cached);
    return {
      headers: view.headers,
      env: view.env,
      expiresAt: view.expiresAt,
      kind: view.kind,
      cached,
      latencyMs,
    };
  }

  private async authenticateSlow(agentId: string, start: number): Promise<AuthResult> {
    return this.result(await this.viewFor(agentId), false, start);
  }

  private async viewFor(agentId: string): Promise<CredentialView> {
    if (this.closed) throw new ClaudeAuthError('refresh_unavailable', 'the auth manager is closed');
    const got = this.coordinator.get(this.source);
    const credential = got instanceof Promise ? await got : got;
    let view = this.lastView;
    if (view === null || view.credential !== credential)
      view = this.lastView = new CredentialView(credential);
    this.cache?.set(agentId, view);
    return view;
  }

  private refreshAhead(): void {
    const got = this.coordinator.get(this.source);
    if (got instanceof Promise) got.catch(() => undefined);
  }
}
