import { type Clock, systemClock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { ClaudeAuthError } from '../errors.js';
import type { EventBus } from '../monitor/EventBus.js';
import type { SessionEndReason } from '../monitor/events.js';

/** One agent's session: live data, kept in memory. */
export interface AgentSession {
  readonly agentId: string;
  readonly createdAt: number;
  lastActivityAt: number;
  /** Requests in flight now; a session with requests in flight is never evicted. */
  inFlight: number;
  /** Memory reserved against `max_memory_mb`, in MB. */
  reservedMb: number;
  /** Process id of a launched agent (`claude-auth run`), else null. */
  pid: number | null;
  /** Resident memory of the launched agent's whole process tree, in MB, when sampled. */
  observedRssMb: number | null;
}

export interface SessionRegistryOptions {
  memory: Config['performance']['memory'];
  /** `enable_memory_optimization`: enforce the budget and evict under pressure. Off: only track. */
  enforce: boolean;
  events: EventBus;
  clock?: Clock;
  /** How often idle sessions are looked for (default 10 s; timer unref'd). 0: only on demand. */
  sweepIntervalMs?: number;
  /** Called after a session ends (the manager drops the agent's cache entry). */
  onEnded?: (session: AgentSession, reason: SessionEndReason) => void;
  /** Called after a session starts (persistence). */
  onStarted?: (session: AgentSession) => void;
}

export interface SessionStats {
  sessions: number;
  launched: number;
  reservedMb: number;
  maxMemoryMb: number;
  gcThresholdMb: number;
  /** reservedMb / maxMemoryMb. */
  utilization: number;
  evictedForMemory: number;
  endedIdle: number;
  refused: number;
}

/**
 * The specification's MemoryOptimizer, for agents that are sessions and processes. Every session
 * reserves memory against `max_memory_mb`; above `gc_threshold_mb` idle sessions are ended, least
 * recently active first; at `max_memory_mb` new sessions are refused while running agents keep
 * working; sessions idle for `session_timeout_minutes` end. The hot path (`touch`) is one Map lookup.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, AgentSession>();
  private readonly clock: Clock;
  private readonly timer: NodeJS.Timeout | undefined;
  private reserved = 0;
  /** Requests in flight per agent as counted elsewhere (the gateway), besides `inFlight`. */
  private busy: ((agentId: string) => number) | null = null;
  private evictedForMemory = 0;
  private endedIdle = 0;
  private refused = 0;

  constructor(private readonly options: SessionRegistryOptions) {
    this.clock = options.clock ?? systemClock;
    const every = options.sweepIntervalMs ?? 10_000;
    if (every > 0) {
      this.timer = setInterval(() => this.sweep(), every);
      this.timer.unref();
    }
  }

  /**
   * Marks activity of `agentId`, starting its session (admission) when it has none.
   * @throws ClaudeAuthError agent_memory_limit (the ask exceeds max_agent_memory_mb),
   *   memory_budget_exceeded (no room left under max_memory_mb)
   */
  touch(agentId: string, estimatedMemoryMb?: number, now = this.clock.now()): AgentSession {
    const session = this.sessions.get(agentId);
    if (session !== undefined) {
      session.lastActivityAt = now;
      return session;
    }
    return this.admit(agentId, estimatedMemoryMb, now);
  }

  get(agentId: string): AgentSession | undefined {
    return this.sessions.get(agentId);
  }

  /** Also counts requests in flight as seen by `source` (the gateway's per-agent counters). */
  setInFlightSource(source: (agentId: string) => number): void {
    this.busy = source;
  }

  /** Puts back a session persisted by an earlier run (idle; it ends at its idle timeout). */
  restore(agentId: string, createdAt: number, lastActivityAt: number, reservedMb: number): void {
    if (this.sessions.has(agentId)) return;
    this.sessions.set(agentId, {
      agentId,
      createdAt,
      lastActivityAt,
      inFlight: 0,
      reservedMb,
      pid: null,
      observedRssMb: null,
    });
    this.reserved += reservedMb;
  }

  /** A request of `agentId` started (it must have a session: call `touch` first). */
  beginRequest(agentId: string): void {
    const s = this.sessions.get(agentId);
    if (s) s.inFlight++;
  }

  endRequest(agentId: string): void {
    const s = this.sessions.get(agentId);
    if (s && s.inFlight > 0) {
      s.inFlight--;
      s.lastActivityAt = this.clock.now();
    }
  }

  /** Attaches a launched process to the session (its tree's memory is then sampled). */
  attachProcess(agentId: string, pid: number): void {
    const s = this.sessions.get(agentId);
    if (s) s.pid = pid;
  }

  /** Records the sampled resident memory of a launched agent; reports it when over the per-agent limit. */
  observeRss(agentId: string, rssMb: number, enforced: boolean): boolean {
    const s = this.sessions.get(agentId);
    if (!s) return false;
    s.observedRssMb = rssMb;
    const limit = this.options.memory.max_agent_memory_mb;
    if (rssMb <= limit) return false;
    this.options.events.emit({
      type: 'memory.over_limit',
      at: this.clock.now(),
      agentId,
      observedMb: rssMb,
      limitMb: limit,
      enforced,
    });
    return true;
  }

  /** Ends `agentId`'s session, releasing its reservation. */
  end(agentId: string, reason: SessionEndReason): boolean {
    const s = this.sessions.get(agentId);
    if (!s) return false;
    this.sessions.delete(agentId);
    this.reserved -= s.reservedMb;
    if (reason === 'idle_timeout') this.endedIdle++;
    if (reason === 'memory_pressure') this.evictedForMemory++;
    this.options.events.emit({
      type: 'session.ended',
      at: this.clock.now(),
      agentId,
      reason,
      reservedMb: s.reservedMb,
    });
    this.options.onEnded?.(s, reason);
    return true;
  }

  /** Ends sessions idle (nothing in flight, no launched process) for longer than session_timeout_minutes. */
  sweep(now = this.clock.now()): number {
    const cutoff = now - this.options.memory.session_timeout_minutes * 60_000;
    let ended = 0;
    for (const s of [...this.sessions.values()]) {
      if (this.idle(s) && s.lastActivityAt <= cutoff) {
        this.end(s.agentId, 'idle_timeout');
        ended++;
      }
    }
    return ended;
  }

  stats(): SessionStats {
    const m = this.options.memory;
    let launched = 0;
    for (const s of this.sessions.values()) if (s.pid !== null) launched++;
    return {
      sessions: this.sessions.size,
      launched,
      reservedMb: this.reserved,
      maxMemoryMb: m.max_memory_mb,
      gcThresholdMb: m.gc_threshold_mb,
      utilization: this.reserved / m.max_memory_mb,
      evictedForMemory: this.evictedForMemory,
      endedIdle: this.endedIdle,
      refused: this.refused,
    };
  }

  /** Every session, for the dashboard's agents table. */
  list(): AgentSession[] {
    return [...this.sessions.values()];
  }

  /** Stops the sweep timer (sessions stay readable). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private admit(agentId: string, estimatedMemoryMb: number | undefined, now: number): AgentSession {
    const m = this.options.memory;
    const ask = estimatedMemoryMb ?? m.default_agent_memory_mb;
    if (this.options.enforce) {
      if (!(ask > 0)) {
        throw new ClaudeAuthError(
          'agent_memory_limit',
          `agent ${agentId} asked for ${ask} MB; estimatedMemoryMb must be a positive number`,
        );
      }
      if (ask > m.max_agent_memory_mb) {
        this.refused++;
        throw new ClaudeAuthError(
          'agent_memory_limit',
          `agent ${agentId} asked for ${ask} MB, above the per-agent limit of ${m.max_agent_memory_mb} MB`,
          { hint: 'Ask for less, or raise [performance.memory] max_agent_memory_mb.' },
        );
      }
      if (this.reserved + ask > m.max_memory_mb) this.evictIdle(m.max_memory_mb - ask, now);
      if (this.reserved + ask > m.max_memory_mb) {
        this.refused++;
        this.options.events.emit({
          type: 'memory.refused',
          at: now,
          agentId,
          requestedMb: ask,
          reservedMb: this.reserved,
          maxMemoryMb: m.max_memory_mb,
        });
        throw new ClaudeAuthError(
          'memory_budget_exceeded',
          `no room for agent ${agentId}: ${this.reserved} MB of ${m.max_memory_mb} MB are reserved by ${this.sessions.size} running agents and it asks for ${ask} MB`,
          { hint: 'Wait for agents to finish, or raise [performance.memory] max_memory_mb.' },
        );
      }
    }
    const session: AgentSession = {
      agentId,
      createdAt: now,
      lastActivityAt: now,
      inFlight: 0,
      reservedMb: ask,
      pid: null,
      observedRssMb: null,
    };
    this.sessions.set(agentId, session);
    this.reserved += ask;
    this.options.events.emit({ type: 'session.started', at: now, agentId, reservedMb: ask });
    this.options.onStarted?.(session);
    if (this.options.enforce && this.reserved > m.gc_threshold_mb)
      this.evictIdle(m.gc_threshold_mb, now, agentId);
    return session;
  }

  private idle(s: AgentSession): boolean {
    return s.inFlight === 0 && s.pid === null && (this.busy === null || this.busy(s.agentId) === 0);
  }

  /** Ends idle sessions, least recently active first, until at most `targetMb` is reserved. */
  private evictIdle(targetMb: number, now: number, keep?: string): void {
    const idle = [...this.sessions.values()]
      .filter((s) => this.idle(s) && s.agentId !== keep)
      .sort((a, b) => a.lastActivityAt - b.lastActivityAt);
    const evicted: string[] = [];
    for (const s of idle) {
      if (this.reserved <= targetMb) break;
      this.end(s.agentId, 'memory_pressure');
      evicted.push(s.agentId);
    }
    const m = this.options.memory;
    this.options.events.emit({
      type: 'memory.pressure',
      at: now,
      reservedMb: this.reserved,
      gcThresholdMb: m.gc_threshold_mb,
      maxMemoryMb: m.max_memory_mb,
      evicted,
    });
  }
}
