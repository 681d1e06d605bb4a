import type { Config } from '../../config';
import { smtpSender } from './email';
import type { NotifyChannels } from './notifier';
import { DEFAULT_DELIVERY } from './delivery';

export type NotifySettings = Partial<
  Pick<
    Config,
    | 'LEADFLOW_WEBHOOK_SECRET'
    | 'SMTP_URL'
    | 'LEADFLOW_EMAIL_FROM'
    | 'SMS_API_BASE_URL'
    | 'SMS_ACCOUNT_SID'
    | 'SMS_AUTH_TOKEN'
    | 'SMS_FROM'
  >
>;

const SMS_VARIABLES = ['SMS_API_BASE_URL', 'SMS_ACCOUNT_SID', 'SMS_AUTH_TOKEN', 'SMS_FROM'] as const;

/**
 * The channels the configuration enables; a channel without its settings stays off (offers on it
 * are logged as skipped). Half an SMS configuration is an error naming what is missing.
 */
export function notifyChannels(settings: NotifySettings): NotifyChannels {
  const smsSet = SMS_VARIABLES.filter((name) => settings[name] !== undefined);
  if (smsSet.length > 0 && smsSet.length < SMS_VARIABLES.length) {
    const missing = SMS_VARIABLES.filter((name) => settings[name] === undefined);
    throw new Error(`SMS is half configured: set ${missing.join(', ')} too, or unset ${smsSet.join(', ')}`);
  }
  return {
    webhookSecret: settings.LEADFLOW_WEBHOOK_SECRET ?? null,
    email: settings.SMTP_URL
      ? smtpSender(
          settings.SMTP_URL,
          settings.LEADFLOW_EMAIL_FROM ?? 'leadflow <offers@leadflow.local>',
          DEFAULT_DELIVERY.timeoutMs,
        )
      : null,
    sms:
      smsSet.length === SMS_VARIABLES.length
        ? {
            baseUrl: settings.SMS_API_BASE_URL!,
            accountSid: settings.SMS_ACCOUNT_SID!,
            authToken: settings.SMS_AUTH_TOKEN!,
            from: settings.SMS_FROM!,
          }
        : null,
    retry: DEFAULT_DELIVERY,
  };
}
