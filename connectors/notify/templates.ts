/**
 * Message templates for offers to agents. Placeholders are {{name}}; values are HTML-escaped in
 * the HTML template. Offers carry no contact details of the lead: the agent gets those after
 * accepting.
 */
import type { Agent } from '../../schemas/routing-records';
import type { AssignmentEvent } from '../../schemas/assignment-records';

export const OFFER_TEMPLATES = {
  subject: 'New {{line}} lead in {{place}} (tier {{tier}}): answer by {{expires}}',
  text: [
    'Hello {{agent}},',
    '',
    'A {{line}} lead in {{place}} is offered to you.',
    'Quality tier {{tier}} (score {{score}}), urgency {{urgency}}.',
    'Accept or decline by {{expires}}; after that it goes to the next agent.',
    '',
    'Offer {{offerId}} (lead {{leadId}})',
  ].join('\n'),
  html: [
    '<p>Hello {{agent}},</p>',
    '<p>A <strong>{{line}}</strong> lead in {{place}} is offered to you.<br>',
    'Quality tier <strong>{{tier}}</strong> (score {{score}}), urgency {{urgency}}.</p>',
    '<p>Accept or decline by <strong>{{expires}}</strong>; after that it goes to the next agent.</p>',
    '<p style="color:#666">Offer {{offerId}} (lead {{leadId}})</p>',
  ].join('\n'),
  sms: 'leadflow: {{line}} lead in {{place}}, tier {{tier}}. Answer by {{expires}}. Offer {{offerId}}',
} as const;

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** Fills {{name}} placeholders; an unknown name is an error, so a template typo fails loudly. */
export function render(template: string, values: Record<string, string>, html = false): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`template placeholder {{${name}}} has no value`);
    return html ? escapeHtml(value) : value;
  });
}

function localTime(epochMs: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(epochMs);
}

export interface OfferMessage {
  subject: string;
  text: string;
  html: string;
  sms: string;
}

export function offerMessage(event: AssignmentEvent, agent: Agent): OfferMessage {
  const { lead } = event;
  const values = {
    agent: agent.name,
    line: lead.line,
    place: lead.city ? `${lead.city}, ${lead.state}` : lead.state,
    tier: lead.tier,
    score: String(lead.score),
    urgency: lead.urgency,
    expires: event.expiresAt === null ? 'soon' : localTime(event.expiresAt, agent.workingHours.timeZone),
    offerId: event.offerId ?? '',
    leadId: event.leadId,
  };
  return {
    subject: render(OFFER_TEMPLATES.subject, values),
    text: render(OFFER_TEMPLATES.text, values),
    html: render(OFFER_TEMPLATES.html, values, true),
    sms: render(OFFER_TEMPLATES.sms, values),
  };
}
