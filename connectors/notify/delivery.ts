/**
 * Delivery with retries (runtime/retry.ts) and the log of every attempt. Channels report a failed
 * attempt by throwing DeliveryError, saying whether trying again could help.
 *
 * A delivery is tried a few times in place, briefly; a receiver that stays down is tried again in
 * later rounds (`laterMs`) through the processor's retry topic, so one slow receiver does not hold
 * up the offers and webhooks behind it.
 */
import { LeadflowError } from '../../runtime/errors';
import { retry, type RetryPolicy } from '../../runtime/retry';

export interface DeliveryPolicy extends RetryPolicy {
  /** Per attempt. */
  timeoutMs: number;
  /** Delays of the later rounds, each after the in-place attempts failed again. */
  laterMs: readonly number[];
}

const MINUTE = 60_000;

/** In place at most about 11 s; then after 30 s, 2, 10 and 30 minutes, and 1 hour. */
export const DEFAULT_DELIVERY: DeliveryPolicy = {
  attempts: 2,
  baseDelayMs: 500,
  maxDelayMs: 2000,
  timeoutMs: 5000,
  laterMs: [MINUTE / 2, 2 * MINUTE, 10 * MINUTE, 30 * MINUTE, 60 * MINUTE],
};

export class DeliveryError extends LeadflowError {
  constructor(
    message: string,
    retryable: boolean,
    readonly statusCode: number | null = null,
    /** A delay the receiver asked for (HTTP Retry-After). */
    retryAfterMs: number | null = null,
  ) {
    super(message, { retryable, retryAfterMs });
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
  /** For a failure: whether a later round could still succeed. */
  retryable: boolean;
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

/** Runs `attempt` until it succeeds, fails for good, or the policy's attempts are used up. */
export async function deliver(
  attempt: () => Promise<{ statusCode: number | null }>,
  policy: DeliveryPolicy,
): Promise<DeliveryResult> {
  const attempts: AttemptLog[] = [];
  try {
    await retry(async () => {
      const at = Date.now();
      try {
        const { statusCode } = await attempt();
        attempts.push({ at, statusCode, error: null });
      } catch (error) {
        // A failure the channel did not classify (a bug, a library error) is tried again.
        const failure =
          error instanceof DeliveryError
            ? error
            : new DeliveryError((error as Error).message ?? String(error), true);
        attempts.push({ at, statusCode: failure.statusCode, error: failure.message });
        throw failure;
      }
    }, policy);
    return { status: 'delivered', attempts, retryable: false };
  } catch (error) {
    return { status: 'failed', attempts, retryable: (error as DeliveryError).retryable };
  }
}
