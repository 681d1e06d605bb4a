/**
 * The error base of leadflow, as kafkajs has KafkaJSError: every error says whether trying the
 * same thing again could succeed, so one retry loop (runtime/retry.ts) serves every caller.
 */
export class LeadflowError extends Error {
  /** Whether the same call may succeed later: a timeout or an outage, not refused data. */
  readonly retryable: boolean;
  /** A delay the other side asked for before the next attempt (HTTP Retry-After). */
  readonly retryAfterMs: number | null;

  constructor(
    message: string,
    options: { retryable?: boolean; retryAfterMs?: number | null; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

/**
 * Throw this from a processor for failures worth retrying (a timeout, a service briefly down). The
 * runtime retries the step with backoff; other errors send the record to the dead letter topic.
 */
export class RetryableError extends LeadflowError {
  constructor(message: string, options: { retryAfterMs?: number | null; cause?: unknown } = {}) {
    super(message, { ...options, retryable: true });
  }
}

/**
 * Throw this from `flush` when the store rejects the records themselves (a constraint they break,
 * a value it cannot hold), not when it is unreachable: retrying the same records cannot succeed.
 */
export class PermanentError extends LeadflowError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: false });
  }
}

/**
 * Whether an error says it is worth retrying: our `retryable` flag, or kafkajs' `retriable`.
 * Read by shape rather than `instanceof`, so errors from another copy of a module (Jest's
 * per-file registries, a library bundling its own) are judged the same way.
 */
export function isRetryable(error: unknown): boolean {
  const flags = error as { retryable?: unknown; retriable?: unknown } | null;
  return flags?.retryable === true || (flags?.retryable === undefined && flags?.retriable === true);
}

const OUTAGE_NAMES = new Set([
  // kafkajs, once its own retries are spent: the broker is away, or it kept answering "not now"
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSNumberOfRetriesExceeded',
  // fetch's deadline (AbortSignal.timeout)
  'TimeoutError',
]);
const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
  // PostgreSQL starting, shutting down, or the connection lost
  '57P01',
  '57P03',
  '08001',
  '08006',
  // Neo4j
  'ServiceUnavailable',
  'SessionExpired',
]);

/**
 * Whether an error, or one that caused it, says a service could not be reached or did not answer
 * in time: worth waiting for, unlike a refusal or a bad setting. Judged by shape, for the same
 * reason as `isRetryable`, across kafkajs, pg, the Neo4j driver and fetch.
 */
export function isOutage(error: unknown): boolean {
  for (let cause = error, depth = 0; cause && depth < 10; depth++) {
    const { name, code } = cause as { name?: unknown; code?: unknown };
    if (isRetryable(cause) || OUTAGE_NAMES.has(String(name)) || OUTAGE_CODES.has(String(code))) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}
