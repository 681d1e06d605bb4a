/**
 * Signed webhook delivery. The signature is an HMAC-SHA256 of "<timestamp>.<body>" with a shared
 * secret, sent as `X-Leadflow-Signature: t=<timestamp>,v1=<hex>`, so a receiver can check both
 * that we sent the body and that it is fresh (a captured request cannot be replayed later).
 * `X-Leadflow-Delivery` carries the delivery key: the same event always has the same key, so a
 * receiver can drop a redelivery.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  DeliveryError,
  type DeliveryResult,
  retryableStatus,
  retryAfterMs,
  type DeliveryPolicy,
  deliver,
} from './delivery';

export const SIGNATURE_HEADER = 'x-leadflow-signature';
export const DELIVERY_HEADER = 'x-leadflow-delivery';

function hmac(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

/** Receiver side: true when the header signs this body with this secret within the tolerance. */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: string,
  now = Date.now(),
  toleranceMs = 5 * 60_000,
): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const timestamp = Number(match[1]);
  if (Math.abs(now - timestamp) > toleranceMs) return false;
  const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}

export interface WebhookRequest {
  url: string;
  payload: unknown;
  secret: string;
  deliveryKey: string;
  /** Event type, sent as X-Leadflow-Event. */
  event: string;
}

/** POSTs the payload, signed, retrying timeouts, 408, 429 (after Retry-After) and 5xx. */
export function deliverWebhook(request: WebhookRequest, policy: DeliveryPolicy): Promise<DeliveryResult> {
  const body = JSON.stringify(request.payload);
  return deliver(async () => {
    // Signed per attempt, so a retry after a long backoff is still within the receiver's tolerance.
    const timestamp = Date.now();
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'leadflow-webhooks',
          [SIGNATURE_HEADER]: signWebhook(request.secret, timestamp, body),
          [DELIVERY_HEADER]: request.deliveryKey,
          'x-leadflow-event': request.event,
        },
        body,
        signal: AbortSignal.timeout(policy.timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      throw new DeliveryError(`request failed: ${(error as Error).message}`, true);
    }
    await response.body?.cancel();
    if (response.ok) return { statusCode: response.status };
    throw new DeliveryError(
      `receiver answered ${response.status}`,
      retryableStatus(response.status),
      response.status,
      retryAfterMs(response.headers.get('retry-after')),
    );
  }, policy);
}
