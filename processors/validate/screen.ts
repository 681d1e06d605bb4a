import { defineProcessor } from '../../runtime/processor';
import type { Reason, ValidLead } from '../../schemas/lead';
import { TOPIC } from '../../topics/platform';
import { rejectedLead } from './rules';

export interface ScreenSettings {
  duplicateWindowDays: number;
}

interface DoNotContact {
  key: string;
  kind: string;
  reason: string | null;
  source: string;
  addedAt: number;
}

interface Seen {
  leadId: string;
  at: number;
}

const DAY = 24 * 60 * 60 * 1000;

/**
 * Decides whether a lead may be contacted given earlier leads and the do-not-contact list, for
 * one contact identity. Pure: the processor below supplies the state.
 */
export function screenContact(
  lead: ValidLead,
  key: string,
  state: { blocked: DoNotContact | undefined; seen: Seen | undefined },
  windowMs: number,
): Reason | null {
  const field = key.startsWith('email:') ? 'contact.email' : 'contact.phone';
  if (state.blocked) {
    return {
      code: 'do_not_contact',
      field,
      message: `${field === 'contact.email' ? 'email' : 'phone'} is on the do-not-contact list${state.blocked.reason ? ` (${state.blocked.reason})` : ''}`,
    };
  }
  const { seen } = state;
  if (
    seen &&
    seen.leadId !== lead.leadId &&
    lead.receivedAt - seen.at < windowMs &&
    lead.receivedAt >= seen.at
  ) {
    const days = Math.round(windowMs / DAY);
    return {
      code: 'duplicate_contact',
      field,
      message: `same ${field === 'contact.email' ? 'email' : 'phone'} as lead ${seen.leadId} received within ${days} days`,
    };
  }
  return null;
}

interface ScreenDefinition {
  name: string;
  input: string;
  /** The next topic and the key to use there. */
  next: { topic: string; key: (lead: ValidLead) => string };
  settings: ScreenSettings;
}

/**
 * A contact screen: leads arrive keyed by one contact identity, co-partitioned with the
 * do-not-contact list, so the list entries and the earlier leads for that identity are in this
 * task's stores. `seen` entries expire with a timer once the duplicate window has passed, which
 * bounds the state to one window of leads.
 */
function contactScreen(definition: ScreenDefinition) {
  const windowMs = definition.settings.duplicateWindowDays * DAY;
  return defineProcessor<ValidLead | DoNotContact | null>({
    name: definition.name,
    inputs: [definition.input, TOPIC.doNotContact],
    outputs: [definition.next.topic, TOPIC.leadsRejected],
    stores: ['do-not-contact', 'seen'],
    // The runtime keeps the list from its topic, which is also its changelog.
    tables: { 'do-not-contact': TOPIC.doNotContact },
    process(record, ctx) {
      if (record.topic === TOPIC.doNotContact) return;
      const lead = record.value as ValidLead;
      const seen = ctx.store<Seen>('seen');
      const reason = screenContact(
        lead,
        record.key,
        { blocked: ctx.store<DoNotContact>('do-not-contact').get(record.key), seen: seen.get(record.key) },
        windowMs,
      );
      if (reason) {
        // The screen has the validated lead, not the raw record; leads.raw keeps the original
        // body under the same lead id.
        const raw = {
          leadId: lead.leadId,
          receivedAt: lead.receivedAt,
          vendorId: lead.vendorId,
          channel: lead.channel,
          body: JSON.stringify(lead.lead),
          lead: null,
        };
        ctx.emit(
          TOPIC.leadsRejected,
          lead.leadId,
          rejectedLead(raw, [reason], { now: ctx.now(), stage: definition.name, warnings: lead.warnings }),
        );
        return;
      }
      if (!isLeadOnlyKey(record.key)) {
        seen.put(record.key, { leadId: lead.leadId, at: lead.receivedAt });
        ctx.schedule(lead.receivedAt + windowMs, record.key);
      }
      ctx.emit(definition.next.topic, definition.next.key(lead), lead);
    },
    onTimer(timer, ctx) {
      const seen = ctx.store<Seen>('seen');
      const entry = seen.get(timer.key);
      if (entry && entry.at + windowMs <= timer.at) seen.delete(timer.key);
    },
  });
}

/** Leads without an email pass the email screen under their lead id: there is nothing to match. */
const isLeadOnlyKey = (key: string) => key.startsWith('lead:');

export const phoneScreenProcessor = (settings: ScreenSettings) =>
  contactScreen({
    name: 'screen-phone',
    input: TOPIC.leadsByPhone,
    next: {
      topic: TOPIC.leadsByEmail,
      key: (lead) => (lead.identities.email ? `email:${lead.identities.email}` : `lead:${lead.leadId}`),
    },
    settings,
  });

export const emailScreenProcessor = (settings: ScreenSettings) =>
  contactScreen({
    name: 'screen-email',
    input: TOPIC.leadsByEmail,
    next: { topic: TOPIC.leadsValid, key: (lead) => lead.leadId },
    settings,
  });
