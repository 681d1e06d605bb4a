/**
 * One HTTP exchange with a certificate provider, classified for the retry loop and the outage
 * policy: timeouts, network failures, 408, 429 and 5xx are worth another try (with the
 * Retry-After the provider asked for); 401/403 are a configuration error; 404 and 410 are handed
 * back for the provider's client to read, since only it knows whether they mean "no such
 * certificate" or "wrong address".
 *
 * Messages name the provider and the status, never the URL (Jornaya's carries the account code)
 * nor the response body (which may echo the consumer's contact details).
 */
import { LeadflowError } from '../../runtime/errors';
import { retryableStatus, retryAfterMs } from '../notify/delivery';
import type { ConsentProvider } from './verdict';

export class ConsentProviderError extends LeadflowError {
  constructor(
    readonly provider: ConsentProvider,
    message: string,
    options: { retryable: boolean; retryAfterMs?: number | null; cause?: unknown },
  ) {
    super(`${provider} ${message}`, options);
  }
}

/** Credentials refused: retrying cannot help, and every lead after this one would fail the same way. */
export class ConsentConfigurationError extends LeadflowError {
  constructor(
    readonly provider: ConsentProvider,
    readonly statusCode: number,
  ) {
    super(
      `${provider} refused the configured credentials (HTTP ${statusCode}): check the ${provider} settings of the consent connector`,
      { retryable: false },
    );
  }
}

export interface ProviderResponse {
  status: number;
  /** Parsed JSON for a 2xx answer; null for 404 and 410. */
  body: unknown;
}

export async function callProvider(
  provider: ConsentProvider,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<ProviderResponse> {
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { ...init, signal, redirect: 'error' });
    if (!response.ok) {
      await response.body?.cancel();
    }
    text = response.ok ? await response.text() : '';
  } catch (error) {
    const timedOut = signal.aborted;
    throw new ConsentProviderError(
      provider,
      timedOut
        ? `did not answer within ${timeoutMs} ms`
        : `could not be reached: ${(error as Error).message}`,
      { retryable: true, cause: error },
    );
  }
  const status = response.status;
  if (status === 401 || status === 403) throw new ConsentConfigurationError(provider, status);
  if (status === 404 || status === 410) return { status, body: null };
  if (!response.ok) {
    throw new ConsentProviderError(provider, `answered HTTP ${status}`, {
      retryable: retryableStatus(status),
      retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
    });
  }
  try {
    return { status, body: JSON.parse(text) as unknown };
  } catch (error) {
    throw new ConsentProviderError(provider, `answered HTTP ${status} with a body that is not JSON`, {
      retryable: false,
      cause: error,
    });
  }
}
