import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { Agent } from '../../schemas/routing-records';
import { RetryableError } from '../../runtime/errors';
import { defineProcessor } from '../../runtime/processor';
import { TOPIC } from '../../topics/platform';
import { deliveryKey, isOffer, type NotificationRecord, notifyOffer, type NotifyChannels } from './notifier';

const DAY_MS = 24 * 3_600_000;

/**
 * notify: tells agents about their offers (webhook, email, SMS) and writes the delivery log.
 *
 * The store `deliveries` remembers every delivery key already handled, committed with the input
 * offset, so reprocessing the assignments topic (a replay, a rebalance) does not notify again.
 * Sending happens before the commit: if the process dies between the two, that one delivery is
 * repeated with the same key (X-Leadflow-Delivery header, Message-ID, Idempotency-Key), which is
 * what receivers deduplicate on. A channel failing past its in-place attempts sends the offer to
 * the retry topic for a later round (`retry.laterMs`); the last round's outcome is what is logged.
 */
export const notifyProcessor = (channels: NotifyChannels, retentionDays: number) =>
  defineProcessor<AssignmentEvent>({
    name: 'notify',
    inputs: [TOPIC.assignments],
    outputs: [TOPIC.assignmentNotifications],
    stores: ['deliveries'],
    globals: [TOPIC.agents],
    retryLaterMs: channels.retry.laterMs,
    async process(record, ctx) {
      const event = record.value;
      if (!isOffer(event)) return;
      const agent = ctx.global<Agent>(TOPIC.agents).get(event.agentId!);
      if (!agent) {
        ctx.log.warn(
          { eventId: event.eventId, agentId: event.agentId },
          'offer for an unknown agent not notified',
        );
        return;
      }
      const log = ctx.store<NotificationRecord>('deliveries');
      for (const channel of agent.notify) {
        const key = deliveryKey(event, channel);
        if (log.get(key)) continue;
        const { delivery, retryable } = await notifyOffer(channel, event, agent, channels, ctx.now());
        if (retryable && !ctx.lastAttempt) {
          // The offer comes back in a later round. A channel already delivered in this step is
          // sent again then, with the same delivery key, which receivers deduplicate on.
          throw new RetryableError(`offer notification by ${channel} failed: ${delivery.error}`);
        }
        log.put(key, delivery);
        ctx.schedule(ctx.now() + retentionDays * DAY_MS, key);
        ctx.emit(TOPIC.assignmentNotifications, event.leadId, delivery);
        if (delivery.status === 'failed') {
          ctx.log.warn(
            {
              deliveryKey: key,
              attempts: delivery.attempts,
              statusCode: delivery.statusCode,
              error: delivery.error,
            },
            'offer notification failed',
          );
        }
      }
    },
    onTimer(timer, ctx) {
      ctx.store<NotificationRecord>('deliveries').delete(timer.key);
    },
  });
