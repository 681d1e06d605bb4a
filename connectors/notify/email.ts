/**
 * Email over SMTP with nodemailer. The Message-ID is derived from the delivery key, so a message
 * sent twice (a crash between sending and committing) is recognisably the same message.
 */
import nodemailer from 'nodemailer';
import { DeliveryError, type DeliveryResult, type DeliveryPolicy, deliver } from './delivery';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  deliveryKey: string;
}

export interface EmailSender {
  send(message: EmailMessage, policy: DeliveryPolicy): Promise<DeliveryResult>;
  close(): void;
}

/** Whether an SMTP failure is worth retrying: connection trouble and 4xx replies are, 5xx are not. */
function smtpRetryable(error: { responseCode?: number; code?: string }): boolean {
  if (typeof error.responseCode === 'number') return error.responseCode < 500;
  return true;
}

/** SMTP replies can quote the recipient; the delivery log must not. */
const redactAddresses = (text: string) => text.replace(/[^\s<>"']+@[^\s<>"']+/g, '<address>');

/** A sender over the SMTP server at `url` (smtp:// or smtps://, credentials in the URL). */
export function smtpSender(url: string, from: string, timeoutMs: number): EmailSender {
  const server = new URL(url);
  const secure = server.protocol === 'smtps:';
  const transport = nodemailer.createTransport({
    host: server.hostname,
    port: Number(server.port) || (secure ? 465 : 587),
    secure,
    auth: server.username
      ? { user: decodeURIComponent(server.username), pass: decodeURIComponent(server.password) }
      : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'leadflow.local';
  return {
    send(message, policy) {
      return deliver(async () => {
        try {
          await transport.sendMail({
            from,
            to: message.to,
            subject: message.subject,
            text: message.text,
            html: message.html,
            messageId: `<${message.deliveryKey.replace(/[^A-Za-z0-9._-]/g, '.')}@${domain}>`,
            headers: { 'X-Leadflow-Delivery': message.deliveryKey },
          });
          return { statusCode: null };
        } catch (error) {
          const failure = error as Error & { responseCode?: number; code?: string };
          throw new DeliveryError(
            redactAddresses(`SMTP: ${failure.responseCode ?? failure.code ?? ''} ${failure.message}`)
              .replace(/\s+/g, ' ')
              .trim(),
            smtpRetryable(failure),
            failure.responseCode ?? null,
          );
        }
      }, policy);
    },
    close: () => transport.close(),
  };
}
