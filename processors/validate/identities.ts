import type { ContactIdentities } from '../../schemas/lead';
import { emailIdentity } from './email';
import { phoneIdentity } from './phone';

export { emailIdentity, phoneIdentity };

/**
 * Normalised contact identities of a lead, for duplicate detection and the do-not-contact list:
 * the phone as E.164 without extension, the email as its dedupe identity (lower-cased; Gmail
 * without dots and +tags). Works on a normalised lead and on a raw input alike. Throws only if
 * the phone cannot be read at all, which a valid lead excludes.
 */
export function contactIdentities(lead: {
  contact: { phone: string; email: string | null };
}): ContactIdentities {
  const phone = phoneIdentity(lead.contact.phone);
  if (phone === null) throw new Error('contact.phone cannot be read as a +1 number, so it has no identity');
  return { phone, email: lead.contact.email === null ? null : emailIdentity(lead.contact.email) };
}

/**
 * The keys a lead is stored and looked up under in the duplicate and do-not-contact stores, e.g.
 * ["phone:+14155552671", "email:janedoe@gmail.com"]. Partition leads by one of them (or by each,
 * via a repartition topic) so duplicates meet in one task.
 */
export function identityKeys(identities: ContactIdentities): string[] {
  const keys = [`phone:${identities.phone}`];
  if (identities.email) keys.push(`email:${identities.email}`);
  return keys;
}

/** The key of a do-not-contact entry given as a raw phone or email (e.g. from the CLI); null if unreadable. */
export function doNotContactKey(entry: string): string | null {
  if (entry.includes('@')) {
    const email = emailIdentity(entry);
    return email ? `email:${email}` : null;
  }
  const phone = phoneIdentity(entry);
  return phone ? `phone:${phone}` : null;
}
