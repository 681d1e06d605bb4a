/**
 * Telling an agent about an offer on each channel it chose (webhook, email, SMS). One delivery
 * per event and channel, identified by its delivery key (eventId/channel); the result is a
 * delivery log record without any recipient address.
 */
import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { Agent, NotifyChannel } from '../../schemas/routing-records';
import type { EmailSender } from './email';
import type { DeliveryResult, DeliveryPolicy } from './delivery';
import { sendSms, type SmsSettings } from './sms';
import { offerMessage } from './templates';
import { deliverWebhook } from './webhook';

export interface NotifyChannels {
  /** Signs webhooks; webhooks are not sent without it. */
  webhookSecret: string | null;
  email: EmailSender | null;
  sms: SmsSettings | null;
  retry: DeliveryPolicy;
}

/** Topic `assignments.notifications`, keyed by lead id (schemas/assignment-notification.avsc). */
export interface NotificationRecord {
  deliveryKey: string;
  eventId: string;
  leadId: string;
  agentId: string;
  channel: NotifyChannel;
  status: 'delivered' | 'failed' | 'skipped';
  attempts: number;
  statusCode: number | null;
  error: string | null;
  at: number;
}

const OFFER_EVENTS: ReadonlySet<AssignmentEvent['type']> = new Set(['offered', 'reoffered']);

export function isOffer(event: AssignmentEvent): boolean {
  return OFFER_EVENTS.has(event.type) && event.agentId !== null;
}

export const deliveryKey = (event: AssignmentEvent, channel: NotifyChannel) => `${event.eventId}/${channel}`;

function send(
  channel: NotifyChannel,
  event: AssignmentEvent,
  agent: Agent,
  channels: NotifyChannels,
): Promise<DeliveryResult> | string {
  const key = deliveryKey(event, channel);
  const message = offerMessage(event, agent);
  switch (channel) {
    case 'webhook':
      if (!agent.webhookUrl) return 'the agent has no webhook URL';
      if (!channels.webhookSecret) return 'webhooks are not configured (LEADFLOW_WEBHOOK_SECRET)';
      return deliverWebhook(
        {
          url: agent.webhookUrl,
          payload: event,
          secret: channels.webhookSecret,
          deliveryKey: key,
          event: event.type,
        },
        channels.retry,
      );
    case 'email':
      if (!agent.email) return 'the agent has no email address';
      if (!channels.email) return 'email is not configured (SMTP_URL)';
      return channels.email.send({ to: agent.email, ...message, deliveryKey: key }, channels.retry);
    case 'sms':
      if (!agent.phone) return 'the agent has no phone number';
      if (!channels.sms)
        return 'SMS is not configured (SMS_API_BASE_URL, SMS_ACCOUNT_SID, SMS_AUTH_TOKEN, SMS_FROM)';
      return sendSms(channels.sms, { to: agent.phone, body: message.sms, deliveryKey: key }, channels.retry);
  }
}

/**
 * Delivers an offer on one channel; never throws (a failure is a log record). `retryable` says
 * whether a failure could still go through in a later round.
 */
export async function notifyOffer(
  channel: NotifyChannel,
  event: AssignmentEvent,
  agent: Agent,
  channels: NotifyChannels,
  now: number,
): Promise<{ delivery: NotificationRecord; retryable: boolean }> {
  const base = {
    deliveryKey: deliveryKey(event, channel),
    eventId: event.eventId,
    leadId: event.leadId,
    agentId: agent.agentId,
    channel,
  };
  const skipped = (error: string) => ({
    delivery: { ...base, status: 'skipped', attempts: 0, statusCode: null, error, at: now } as const,
    retryable: false,
  });
  // A lagging or replayed stage must not send offers that already lapsed.
  if (event.expiresAt !== null && event.expiresAt <= now) return skipped('the offer had already lapsed');
  let result: DeliveryResult;
  try {
    const sending = send(channel, event, agent, channels);
    if (typeof sending === 'string') return skipped(sending);
    result = await sending;
  } catch (error) {
    return {
      delivery: {
        ...base,
        status: 'failed',
        attempts: 1,
        statusCode: null,
        error: (error as Error).message,
        at: Date.now(),
      },
      retryable: false,
    };
  }
  const last = result.attempts[result.attempts.length - 1];
  return {
    delivery: {
      ...base,
      status: result.status,
      attempts: result.attempts.length,
      statusCode: last?.statusCode ?? null,
      error: last?.error ?? null,
      at: last?.at ?? now,
    },
    retryable: result.status === 'failed' && result.retryable,
  };
}
