/**
 * Where LLM answers are kept, keyed by a hash of everything that went into the request: Redis
 * when REDIS_URL is set (shared by every process, survives restarts), else an in-memory LRU.
 * A cache failure is a miss, never an error: the cache only saves money.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

export interface AnswerCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

export function contentKey(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\u0000');
  return hash.digest('hex');
}

export class MemoryCache implements AnswerCache {
  private readonly lru: LRUCache<string, string>;

  constructor(maxEntries = 10_000) {
    this.lru = new LRUCache({ max: maxEntries });
  }

  async get(key: string) {
    return this.lru.get(key);
  }

  async set(key: string, value: string) {
    this.lru.set(key, value);
  }

  async close() {
    this.lru.clear();
  }
}

export class RedisCache implements AnswerCache {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly options: { prefix?: string; ttlSeconds?: number; timeoutMs?: number } = {},
  ) {
    // Fail fast: a cache that is down must not hold up the lead.
    this.redis = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      commandTimeout: options.timeoutMs ?? 500,
    });
    this.redis.on('error', () => undefined);
  }

  private key(key: string) {
    return `${this.options.prefix ?? 'leadflow:llm:'}${key}`;
  }

  async get(key: string) {
    try {
      return (await this.redis.get(this.key(key))) ?? undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: string) {
    try {
      await this.redis.set(this.key(key), value, 'EX', this.options.ttlSeconds ?? 30 * 24 * 3600);
    } catch {
      // A lost cache write only costs a repeat call later.
    }
  }

  async close() {
    this.redis.disconnect();
  }
}

export const createAnswerCache = (redisUrl: string | undefined): AnswerCache =>
  redisUrl ? new RedisCache(redisUrl) : new MemoryCache();
