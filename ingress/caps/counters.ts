/**
 * Cap counts shared by every API process: Redis when REDIS_URL is set (one script checks and
 * takes all of a lead's claims atomically), in-process otherwise, which suits one process.
 */
import type { Redis } from 'ioredis';
import type { CapClaim } from '../../processors/ledger/caps';

export interface CapCounters {
  /**
   * Takes a place in every claim's count if all are under their limits, atomically; otherwise
   * takes none and returns the first full claim.
   */
  take(claims: readonly CapClaim[]): Promise<CapClaim | null>;
  /** Gives places back (the lead could not be written after all). */
  give(claims: readonly CapClaim[]): Promise<void>;
  /** Which of the claims' counts are full now, without taking a place (a ping's look). */
  full(claims: readonly CapClaim[]): Promise<boolean[]>;
}

export class MemoryCapCounters implements CapCounters {
  private readonly counts = new Map<string, { used: number; expiresAt: number }>();

  constructor(private readonly clock: () => number = Date.now) {}

  async take(claims: readonly CapClaim[]): Promise<CapClaim | null> {
    const now = this.clock();
    for (const [key, count] of this.counts) if (count.expiresAt <= now) this.counts.delete(key);
    const full = claims.find((claim) => (this.counts.get(claim.key)?.used ?? 0) >= claim.limit);
    if (full) return full;
    for (const claim of claims) {
      const count = this.counts.get(claim.key) ?? { used: 0, expiresAt: claim.expiresAt };
      this.counts.set(claim.key, {
        used: count.used + 1,
        expiresAt: Math.max(count.expiresAt, claim.expiresAt),
      });
    }
    return null;
  }

  async give(claims: readonly CapClaim[]): Promise<void> {
    for (const claim of claims) {
      const count = this.counts.get(claim.key);
      if (count) count.used = Math.max(0, count.used - 1);
    }
  }

  async full(claims: readonly CapClaim[]): Promise<boolean[]> {
    const now = this.clock();
    return claims.map((claim) => {
      const count = this.counts.get(claim.key);
      return count !== undefined && count.expiresAt > now && count.used >= claim.limit;
    });
  }
}

// KEYS: the counts; ARGV: limit and expiry (epoch ms) per key. Returns the 1-based index of the
// first full count, or 0 when every count took a place.
const TAKE = `
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[i * 2 - 1]) then return i end
end
for i, key in ipairs(KEYS) do
  redis.call('INCR', key)
  redis.call('PEXPIREAT', key, ARGV[i * 2])
end
return 0`;

const GIVE = `
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
return 0`;

export class RedisCapCounters implements CapCounters {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  // One hash tag for all of a deployment's counts, so a script's keys share a cluster slot.
  private keys(claims: readonly CapClaim[]): string[] {
    return claims.map((claim) => `{${this.prefix}:caps}:${claim.key}`);
  }

  async take(claims: readonly CapClaim[]): Promise<CapClaim | null> {
    if (claims.length === 0) return null;
    const args = claims.flatMap((claim) => [String(claim.limit), String(Math.ceil(claim.expiresAt))]);
    const full = Number(await this.redis.eval(TAKE, claims.length, ...this.keys(claims), ...args));
    return full === 0 ? null : claims[full - 1]!;
  }

  async give(claims: readonly CapClaim[]): Promise<void> {
    if (claims.length > 0) await this.redis.eval(GIVE, claims.length, ...this.keys(claims));
  }

  async full(claims: readonly CapClaim[]): Promise<boolean[]> {
    if (claims.length === 0) return [];
    const used = await this.redis.mget(...this.keys(claims));
    return claims.map((claim, i) => Number(used[i] ?? 0) >= claim.limit);
  }
}

/**
 * The cap counts of a deployment: in Redis when there is one (every API and ingest process shares
 * them), in this process otherwise.
 */
export function openCapCounters(appId: string, redis: Redis | null): CapCounters {
  return redis ? new RedisCapCounters(redis, appId) : new MemoryCapCounters();
}
