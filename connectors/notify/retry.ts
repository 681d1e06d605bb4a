/**
 * Delivery with retries and exponential backoff, and the log of every attempt. Channels report a
 * failed attempt by throwing DeliveryError, saying whether trying again could help.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per attempt. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 8000,
  timeoutMs: 10_000,
};

export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly statusCode: number | null = null,
    /** A delay the receiver asked for (HTTP Retry-After). */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

export interface AttemptLog {
  at: number;
  statusCode: number | null;
  error: string | null;
}

export interface DeliveryResult {
  status: 'delivered' | 'failed';
  attempts: AttemptLog[];
}

/** HTTP statuses worth another try: timeouts, throttling and server errors. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Retry-After as milliseconds (seconds or an HTTP date), or null. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `attempt` until it succeeds, fails for good, or the policy's attempts are used up. */
export async function withRetries(
  attempt: () => Promise<{ statusCode: number | null }>,
  policy: RetryPolicy,
): Promise<DeliveryResult> {
  const attempts: AttemptLog[] = [];
  for (let n = 1; ; n++) {
    const at = Date.now();
    try {
      const { statusCode } = await attempt();
      attempts.push({ at, statusCode, error: null });
      return { status: 'delivered', attempts };
    } catch (error) {
      const failure =
        error instanceof DeliveryError
          ? error
          : new DeliveryError((error as Error).message ?? String(error), true);
      attempts.push({ at, statusCode: failure.statusCode, error: failure.message });
      if (!failure.retryable || n >= policy.attempts) return { status: 'failed', attempts };
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
      await sleep(Math.min(policy.maxDelayMs, Math.max(backoff, failure.retryAfterMs ?? 0)));
    }
  }
}
