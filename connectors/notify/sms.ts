/**
 * SMS through a Twilio-style HTTP API: POST {base}/2010-04-01/Accounts/{sid}/Messages.json with
 * To, From and Body as a form, HTTP basic auth with the account id and token. The base URL is
 * configurable, so any provider (or a test receiver) speaking this API works.
 */
import {
  DeliveryError,
  type DeliveryResult,
  retryableStatus,
  retryAfterMs,
  type DeliveryPolicy,
  deliver,
} from './delivery';

export interface SmsSettings {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  from: string;
}

export interface SmsMessage {
  to: string;
  body: string;
  deliveryKey: string;
}

export function sendSms(
  settings: SmsSettings,
  message: SmsMessage,
  policy: DeliveryPolicy,
): Promise<DeliveryResult> {
  const url = `${settings.baseUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}/Messages.json`;
  const auth = Buffer.from(`${settings.accountSid}:${settings.authToken}`).toString('base64');
  const form = new URLSearchParams({ To: message.to, From: settings.from, Body: message.body });
  return deliver(async () => {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Basic ${auth}`,
          'content-type': 'application/x-www-form-urlencoded',
          'idempotency-key': message.deliveryKey,
        },
        body: form.toString(),
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
    } catch (error) {
      throw new DeliveryError(`request failed: ${(error as Error).message}`, true);
    }
    // The provider's error body may echo the number; only the status is kept.
    await response.body?.cancel();
    if (response.ok) return { statusCode: response.status };
    throw new DeliveryError(
      `SMS provider answered ${response.status}`,
      retryableStatus(response.status),
      response.status,
      retryAfterMs(response.headers.get('retry-after')),
    );
  }, policy);
}
