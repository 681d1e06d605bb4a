/**
 * Each channel against a real receiver on loopback: signed webhooks with retries, SMS over a
 * Twilio-style API, email over SMTP (smtp-server).
 */
import { smtpSender } from './email';
import type { DeliveryPolicy } from './delivery';
import { sendSms } from './sms';
import { httpReceiver, smtpReceiver } from '../../test/support/receivers';
import {
  DELIVERY_HEADER,
  deliverWebhook,
  SIGNATURE_HEADER,
  signWebhook,
  verifyWebhookSignature,
} from './webhook';

const FAST: DeliveryPolicy = { attempts: 4, baseDelayMs: 20, maxDelayMs: 200, timeoutMs: 2000, laterMs: [] };
const SECRET = 'whsec-0123456789abcdef';

describe('webhook signatures', () => {
  test('verify accepts our signature and rejects a changed body, another secret or an old timestamp', () => {
    const now = Date.now();
    const body = JSON.stringify({ leadId: 'L1' });
    const header = signWebhook(SECRET, now, body);
    expect(verifyWebhookSignature(SECRET, header, body, now)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, body.replace('L1', 'L2'), now)).toBe(false);
    expect(verifyWebhookSignature('another-secret-xxxx', header, body, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, body, now + 10 * 60_000)).toBe(false);
    expect(verifyWebhookSignature(SECRET, undefined, body, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, 't=1,v1=zz', body, now)).toBe(false);
  });
});

describe('webhook delivery', () => {
  test('retries 5xx and 429 (after Retry-After), signs every attempt, keeps the delivery key', async () => {
    const statuses = [500, 429, 200];
    const receiver = await httpReceiver((n) =>
      statuses[n] === 429 ? { status: 429, headers: { 'retry-after': '0' } } : { status: statuses[n] ?? 200 },
    );
    try {
      const result = await deliverWebhook(
        {
          url: `${receiver.url}/hooks`,
          payload: { leadId: 'L1' },
          secret: SECRET,
          deliveryKey: 'L1:1/webhook',
          event: 'offered',
        },
        FAST,
      );
      expect(result.status).toBe('delivered');
      expect(result.attempts.map((a) => a.statusCode)).toEqual([500, 429, 200]);
      expect(receiver.requests).toHaveLength(3);
      for (const request of receiver.requests) {
        expect(request.path).toBe('/hooks');
        expect(request.headers[DELIVERY_HEADER]).toBe('L1:1/webhook');
        expect(request.headers['x-leadflow-event']).toBe('offered');
        expect(
          verifyWebhookSignature(SECRET, request.headers[SIGNATURE_HEADER] as string, request.body),
        ).toBe(true);
        expect(JSON.parse(request.body)).toEqual({ leadId: 'L1' });
      }
    } finally {
      await receiver.close();
    }
  });

  test('a 4xx is final; a receiver that is down fails after the configured attempts', async () => {
    const receiver = await httpReceiver(() => ({ status: 410 }));
    try {
      const gone = await deliverWebhook(
        { url: receiver.url, payload: {}, secret: SECRET, deliveryKey: 'k', event: 'offered' },
        FAST,
      );
      expect(gone).toMatchObject({
        status: 'failed',
        attempts: [{ statusCode: 410, error: 'receiver answered 410' }],
      });
    } finally {
      await receiver.close();
    }
    const down = await deliverWebhook(
      { url: receiver.url, payload: {}, secret: SECRET, deliveryKey: 'k', event: 'offered' },
      { ...FAST, attempts: 3 },
    );
    expect(down.status).toBe('failed');
    expect(down.attempts).toHaveLength(3);
    expect(down.attempts[0]!.error).toMatch(/request failed/);
  });
});

describe('SMS', () => {
  test('posts a Twilio-style form with basic auth and an idempotency key; retries a 503', async () => {
    const receiver = await httpReceiver((n) => ({ status: n === 0 ? 503 : 201 }));
    try {
      const result = await sendSms(
        { baseUrl: `${receiver.url}/`, accountSid: 'AC123', authToken: 'tok', from: '+15005550006' },
        { to: '+14155552671', body: 'leadflow: auto lead', deliveryKey: 'L1:1/sms' },
        FAST,
      );
      expect(result.status).toBe('delivered');
      expect(receiver.requests).toHaveLength(2);
      const request = receiver.requests[1]!;
      expect(request.path).toBe('/2010-04-01/Accounts/AC123/Messages.json');
      expect(request.headers.authorization).toBe(`Basic ${Buffer.from('AC123:tok').toString('base64')}`);
      expect(request.headers['idempotency-key']).toBe('L1:1/sms');
      expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
        To: '+14155552671',
        From: '+15005550006',
        Body: 'leadflow: auto lead',
      });
    } finally {
      await receiver.close();
    }
  });
});

describe('email', () => {
  test('is delivered over SMTP with a Message-ID derived from the delivery key', async () => {
    const receiver = await smtpReceiver();
    const sender = smtpSender(receiver.url, 'leadflow <offers@leadflow.test>', 5000);
    try {
      const result = await sender.send(
        {
          to: 'ana@agency.example',
          subject: 'New auto lead',
          text: 'hello',
          html: '<p>hello</p>',
          deliveryKey: 'L1:1/email',
        },
        FAST,
      );
      expect(result.status).toBe('delivered');
      expect(receiver.messages).toHaveLength(1);
      const [mail] = receiver.messages;
      expect(mail!.from).toBe('offers@leadflow.test');
      expect(mail!.to).toEqual(['ana@agency.example']);
      expect(mail!.data).toMatch(/^Subject: New auto lead$/m);
      expect(mail!.data).toMatch(/^Message-ID: <L1.1.email@leadflow\.test>$/m);
      expect(mail!.data).toMatch(/^X-Leadflow-Delivery: L1:1\/email$/m);
    } finally {
      sender.close();
      await receiver.close();
    }
  });

  test('a 4xx reply is retried, a 5xx reply is final, and the log never holds the address', async () => {
    const receiver = await smtpReceiver((n) =>
      n === 0
        ? { code: 451, message: 'try later' }
        : n === 1
          ? { code: 550, message: 'no such user ana@agency.example' }
          : null,
    );
    const sender = smtpSender(receiver.url, 'leadflow <offers@leadflow.test>', 5000);
    try {
      const result = await sender.send(
        { to: 'ana@agency.example', subject: 's', text: 't', html: 'h', deliveryKey: 'k' },
        FAST,
      );
      expect(result.status).toBe('failed');
      expect(result.attempts.map((a) => a.statusCode)).toEqual([451, 550]);
      expect(JSON.stringify(result)).not.toContain('ana@agency.example');
      expect(receiver.messages).toHaveLength(0);
    } finally {
      sender.close();
      await receiver.close();
    }
  });
});
