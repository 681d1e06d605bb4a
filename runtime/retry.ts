/**
 * Retrying, once for the whole code base: exponential backoff with jitter, a predicate for what is
 * worth another try, a hook before each wait (to log, count or refresh), and an abort signal. The
 * task, the sinks, the notifiers, the registry client and the Kafka and embedded transports all
 * retry through here; what differs between them is the policy and the predicate.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryable } from './errors';

export interface BackoffPolicy {
  /** The wait after the first failure; each further failure doubles it. */
  baseDelayMs: number;
  /** The longest wait. */
  maxDelayMs: number;
  /**
   * How much of each wait is random, as a fraction (0.2: between 80% and 100% of it), so callers
   * failing together do not all come back at the same moment. Default 0.2, as kafkajs uses.
   */
  jitter?: number;
}

export interface RetryPolicy extends BackoffPolicy {
  /** Attempts in all, the first included; Infinity retries until success, refusal or abort. */
  attempts: number;
}

export interface RetryOptions extends RetryPolicy {
  /** Whether a failure is worth another attempt; by default the error's own flag (errors.ts). */
  isRetryable?: (error: unknown) => boolean;
  /** Runs before each wait: log, count, refresh metadata. */
  onRetry?: (failure: { error: unknown; attempt: number; delayMs: number }) => void | Promise<unknown>;
  /** Gives up, with the last error, when the next attempt would start later than this after the first. */
  deadlineMs?: number;
  /** Ends waiting and retrying (the abort reason is thrown). */
  signal?: AbortSignal;
}

/** The wait after `failures` consecutive failures (1 for the first). */
export function backoffDelay(policy: BackoffPolicy, failures: number, random: () => number = Math.random) {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exponential * (1 - (policy.jitter ?? 0.2) * random()));
}

/**
 * The backoff of a long-running loop that must not end on failure (a poll loop meeting a busy
 * log): `next()` after each failure, `reset()` after a success.
 */
export class Backoff {
  private failures = 0;

  constructor(private readonly policy: BackoffPolicy) {}

  next(): number {
    return backoffDelay(this.policy, ++this.failures);
  }

  reset(): void {
    this.failures = 0;
  }
}

/**
 * Runs `call` until it succeeds, fails with an error not worth retrying, or runs out of attempts
 * or time; then throws its last error. A failure asking for a longer wait (`retryAfterMs`) gets
 * it, up to `maxDelayMs`.
 */
export async function retry<T>(call: (attempt: number) => T | Promise<T>, options: RetryOptions): Promise<T> {
  const started = Date.now();
  const worthRetrying = options.isRetryable ?? isRetryable;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await call(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !worthRetrying(error)) throw error;
      const asked = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
      const delayMs = Math.min(
        options.maxDelayMs,
        Math.max(backoffDelay(options, attempt), typeof asked === 'number' ? asked : 0),
      );
      if (options.deadlineMs !== undefined && Date.now() + delayMs - started > options.deadlineMs)
        throw error;
      await options.onRetry?.({ error, attempt, delayMs });
      await sleep(delayMs, undefined, { signal: options.signal });
    }
  }
}
