import { createHash } from 'node:crypto';
import type { SimulatorStats } from './types.js';

/** sha256 hex of a secret, first 16 chars: lets stats and logs name a credential without holding it. */
export function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}

/** Hashing per request would dominate the hot path; a fleet presents few distinct credentials. */
const FINGERPRINT_MEMO_MAX = 10_000;

type Counter = Exclude<keyof SimulatorStats, 'messages' | 'credentialsSeen'>;

/** Mutable counters behind `Simulator.stats()`. */
export class StatsRecorder {
  private counters: Record<Counter, number> = StatsRecorder.zero();
  private readonly byStatus = new Map<number, number>();
  private readonly seen = new Map<string, number>();
  private readonly memo = new Map<string, string>();

  private static zero(): Record<Counter, number> {
    return {
      refreshGrants: 0,
      clientCredentialsGrants: 0,
      authorizationCodeGrants: 0,
      tokenRequests: 0,
      invalidGrant: 0,
      reuseDetections: 0,
      expiredTokenRequests: 0,
      unknownCredentialRequests: 0,
      countTokens: 0,
      models: 0,
    };
  }

  /** Adds one to a plain counter. */
  inc(counter: Counter): void {
    this.counters[counter]++;
  }

  /** Counts one answer of POST /v1/messages. */
  messageStatus(status: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  /** Counts one /v1/* request presenting this credential. */
  credentialSeen(secret: string): void {
    let fp = this.memo.get(secret);
    if (fp === undefined) {
      if (this.memo.size >= FINGERPRINT_MEMO_MAX) this.memo.clear();
      fp = fingerprint(secret);
      this.memo.set(secret, fp);
    }
    this.seen.set(fp, (this.seen.get(fp) ?? 0) + 1);
  }

  /** A copy that later requests do not change. */
  snapshot(): SimulatorStats {
    const messages: Record<string, number> = {};
    for (const [status, n] of this.byStatus) messages[String(status)] = n;
    const credentialsSeen: Record<string, number> = {};
    for (const [fp, n] of this.seen) credentialsSeen[fp] = n;
    return { ...this.counters, messages, credentialsSeen };
  }

  /** Everything back to zero (the fingerprint memo stays: it is not a statistic). */
  reset(): void {
    this.counters = StatsRecorder.zero();
    this.byStatus.clear();
    this.seen.clear();
  }
}
