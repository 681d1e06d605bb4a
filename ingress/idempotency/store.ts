/**
 * `Idempotency-Key` bookkeeping: the first request with a key takes a short lock, its answer is
 * stored for a day, and later requests with the same key and vendor get that answer again.
 * Redis keeps it for every API process (REDIS_URL); an in-process LRU serves a single process.
 */
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

export interface StoredResponse {
  statusCode: number;
  contentType: string;
  body: string;
}

export type IdempotencyEntry =
  | { state: 'pending'; fingerprint: string; owner: string }
  | { state: 'done'; fingerprint: string; response: StoredResponse };

export type Decision =
  | { kind: 'proceed' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' };

/** What to do with a request, given what is stored under its key (pure). */
export function decide(existing: IdempotencyEntry | undefined, fingerprint: string): Decision {
  if (existing === undefined) return { kind: 'proceed' };
  if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' };
  return existing.state === 'done'
    ? { kind: 'replay', response: existing.response }
    : { kind: 'in_progress' };
}

export interface IdempotencyStore {
  /**
   * Atomically: if nothing is stored under `key`, stores a pending entry (the lock, which expires
   * after `lockMs` in case its owner dies) and returns undefined; otherwise returns what is stored.
   */
  begin(
    key: string,
    pending: IdempotencyEntry & { state: 'pending' },
    lockMs: number,
  ): Promise<IdempotencyEntry | undefined>;
  complete(key: string, fingerprint: string, response: StoredResponse, ttlMs: number): Promise<void>;
  /** Drops the lock so a retry can try again (the request failed); only the owner's lock. */
  abandon(key: string, owner: string): Promise<void>;
}

export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries: LRUCache<string, IdempotencyEntry>;

  constructor(maxEntries = 100_000) {
    this.entries = new LRUCache({ max: maxEntries, ttlAutopurge: false });
  }

  async begin(key: string, pending: IdempotencyEntry & { state: 'pending' }, lockMs: number) {
    const existing = this.entries.get(key);
    if (existing !== undefined) return existing;
    this.entries.set(key, pending, { ttl: lockMs });
    return undefined;
  }

  async complete(key: string, fingerprint: string, response: StoredResponse, ttlMs: number) {
    this.entries.set(key, { state: 'done', fingerprint, response }, { ttl: ttlMs });
  }

  async abandon(key: string, owner: string) {
    const existing = this.entries.get(key);
    if (existing?.state === 'pending' && existing.owner === owner) this.entries.delete(key);
  }
}

const BEGIN = `
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

const ABANDON = `
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current).owner == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`;

export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async begin(key: string, pending: IdempotencyEntry & { state: 'pending' }, lockMs: number) {
    const current = (await this.redis.eval(BEGIN, 1, this.prefix + key, JSON.stringify(pending), lockMs)) as
      string | null;
    return current ? (JSON.parse(current) as IdempotencyEntry) : undefined;
  }

  async complete(key: string, fingerprint: string, response: StoredResponse, ttlMs: number) {
    const entry: IdempotencyEntry = { state: 'done', fingerprint, response };
    await this.redis.set(this.prefix + key, JSON.stringify(entry), 'PX', ttlMs);
  }

  async abandon(key: string, owner: string) {
    await this.redis.eval(ABANDON, 1, this.prefix + key, owner);
  }
}
