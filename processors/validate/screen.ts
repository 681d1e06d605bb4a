import { rejectLead } from '../common/decisions';
import { defineProcessor } from '../../runtime/processor';
import type { Reason, ValidLead } from '../../schemas/lead';
import { TOPIC } from '../../topics/platform';
import { type Blind, identityKey } from './identities';
import { reason } from './reasons';
import { rejectedValidLead } from './rules';

export interface ScreenSettings {
  duplicateWindowDays: number;
  /** Blind indexes for the email key of leads.by-email. */
  blind: Blind;
}

/** The lists `leadflow dnc import` fills from publishers' files; other kinds are entries added by hand. */
export const SUPPRESSION_LISTS = ['national-dnc', 'litigator', 'reassigned'] as const;
export type SuppressionList = (typeof SUPPRESSION_LISTS)[number];

/** An entry of the do-not-contact list (contacts.dnc). */
export interface DoNotContact {
  key: string;
  /** The list it comes from (SUPPRESSION_LISTS), or phone/email for an entry added by hand. */
  kind: string;
  reason: string | null;
  source: string;
  /**
   * Epoch ms it was added. On a `reassigned` entry, the day the number is known to have been
   * permanently disconnected on or after (the day asked of the FCC database, UTC midnight).
   */
  addedAt: number;
}

interface Seen {
  leadId: string;
  at: number;
}

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
/**
 * The FCC database answers for calendar days, while a consent is an instant: the day asked about
 * ends, in the last US time zone (UTC-11), 35 hours after its UTC midnight.
 */
const US_DAY_END = DAY + 11 * HOUR;

/**
 * Decides whether a lead may be contacted given earlier leads and the do-not-contact list, for
 * one contact identity. Pure: the processor below supplies the state. An entry of the reassigned
 * list blocks only a consent given before the number changed hands.
 */
export function screenContact(
  lead: ValidLead,
  key: string,
  state: { blocked: DoNotContact | undefined; seen: Seen | undefined },
  windowMs: number,
): Reason | null {
  const field = key.startsWith('email:') ? 'contact.email' : 'contact.phone';
  if (state.blocked?.kind === ('reassigned' satisfies SuppressionList)) {
    const reassigned = consentFromPreviousHolder(lead, state.blocked);
    if (reassigned) return reassigned;
  } else if (state.blocked) {
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

/**
 * A "yes" from the FCC database says the number was permanently disconnected on or after the day
 * asked about, so a consent given by the end of that day came from the number's previous holder.
 * A consent given later is not blocked: the number may have changed hands before it, which only
 * asking the database about the consent's own day can tell.
 */
function consentFromPreviousHolder(lead: ValidLead, entry: DoNotContact): Reason | null {
  const consentAt = lead.lead.consent.timestamp;
  if (consentAt >= entry.addedAt + US_DAY_END) return null;
  return reason(
    'phone_reassigned',
    'contact.phone',
    `phone was permanently disconnected on or after ${isoDay(entry.addedAt)} (${entry.source}); the consent of ${isoDay(consentAt)} came from its previous holder`,
  );
}

const isoDay = (at: number) => new Date(at).toISOString().slice(0, 10);

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
    outputs: [definition.next.topic, TOPIC.leadsRejected, TOPIC.leadDecisions],
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
        rejectLead(ctx, rejectedValidLead(lead, [reason], { now: ctx.now(), stage: definition.name }));
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
      key: (lead) =>
        lead.identities.email
          ? identityKey('email', lead.identities.email, settings.blind)
          : `lead:${lead.leadId}`,
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
