import type { DeliveryResult, DeliveryPolicy } from '../notify/delivery';
import { deliverWebhook } from '../notify/webhook';
import { RetryableError } from '../../runtime/errors';
import { defineProcessor } from '../../runtime/processor';
import { TOPIC } from '../../topics/platform';
import type { Vendor } from '../../schemas/vendor-records';
import { VENDOR_EVENT_TOPICS, type VendorStatusEvent, vendorStatusEvent } from './vendor-status';

const DAY_MS = 24 * 3_600_000;

/** Topic `vendors.notifications`, keyed by lead id (schemas/vendor-notification.avsc). */
export interface VendorNotification {
  deliveryKey: string;
  type: VendorStatusEvent['type'];
  leadId: string;
  vendorId: string;
  status: 'delivered' | 'failed' | 'skipped';
  attempts: number;
  statusCode: number | null;
  error: string | null;
  at: number;
}

export interface VendorWebhookSettings {
  /** Signs every webhook (LEADFLOW_WEBHOOK_SECRET); nothing is sent without it. */
  secret: string | null;
  retry: DeliveryPolicy;
  /** How long delivered keys are remembered, so a replay of the input does not notify again. */
  retentionDays: number;
}

/** What the vendor receives: snake_case like the rest of the API. */
export function webhookPayload(event: VendorStatusEvent) {
  return {
    id: event.eventId,
    type: event.type,
    lead_id: event.leadId,
    occurred_at: new Date(event.occurredAt).toISOString(),
    reasons: event.reasons.map((r) => ({ code: r.code, field: r.field, message: r.message })),
    agent_id: event.agentId,
  };
}

/**
 * vendor-webhooks: tells each vendor that set a webhook URL what became of its leads (accepted,
 * rejected with reasons, assigned, converted), signed and retried by the webhook connector, and
 * writes the delivery log. Delivered keys are kept in the `deliveries` store, committed with the
 * input offsets: a rebalance or replay sends nothing twice, and a crash between sending and
 * committing repeats one delivery with the same X-Leadflow-Delivery key, which receivers dedupe.
 * A receiver still failing after the in-place attempts gets the event again in later rounds,
 * through the retry topic (`retry.laterMs`); the last round's outcome is what is logged.
 */
export const vendorWebhooksProcessor = (settings: VendorWebhookSettings) =>
  defineProcessor<unknown>({
    name: 'vendor-webhooks',
    inputs: [...VENDOR_EVENT_TOPICS],
    outputs: [TOPIC.vendorNotifications],
    stores: ['deliveries'],
    globals: [TOPIC.vendors],
    retryLaterMs: settings.retry.laterMs,
    async process(record, ctx) {
      const event = vendorStatusEvent(record);
      if (!event) return;
      const url = ctx.global<Vendor>(TOPIC.vendors).get(event.vendorId)?.webhookUrl;
      if (!url) return;
      const deliveries = ctx.store<VendorNotification>('deliveries');
      if (deliveries.get(event.eventId)) return;
      const base = {
        deliveryKey: event.eventId,
        type: event.type,
        leadId: event.leadId,
        vendorId: event.vendorId,
      };
      let notification: VendorNotification;
      if (!settings.secret) {
        notification = {
          ...base,
          status: 'skipped',
          attempts: 0,
          statusCode: null,
          error: 'webhooks are not configured (LEADFLOW_WEBHOOK_SECRET)',
          at: ctx.now(),
        };
      } else {
        const result: DeliveryResult = await deliverWebhook(
          {
            url,
            payload: webhookPayload(event),
            secret: settings.secret,
            deliveryKey: event.eventId,
            event: event.type,
          },
          settings.retry,
        );
        const last = result.attempts[result.attempts.length - 1];
        if (result.status === 'failed' && result.retryable && !ctx.lastAttempt) {
          throw new RetryableError(`vendor status webhook failed: ${last?.error ?? 'no answer'}`);
        }
        notification = {
          ...base,
          status: result.status,
          attempts: result.attempts.length,
          statusCode: last?.statusCode ?? null,
          error: last?.error ?? null,
          at: last?.at ?? ctx.now(),
        };
      }
      deliveries.put(event.eventId, notification);
      ctx.schedule(ctx.now() + settings.retentionDays * DAY_MS, event.eventId);
      ctx.emit(TOPIC.vendorNotifications, event.leadId, notification);
      if (notification.status === 'failed') {
        ctx.log.warn(
          {
            deliveryKey: event.eventId,
            vendorId: event.vendorId,
            attempts: notification.attempts,
            error: notification.error,
          },
          'vendor status webhook failed',
        );
      }
    },
    onTimer(timer, ctx) {
      ctx.store<VendorNotification>('deliveries').delete(timer.key);
    },
  });
