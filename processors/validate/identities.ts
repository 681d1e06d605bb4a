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
 * A blind index of an identity (PrivacyKey.blind): state keys, topic keys and the do-not-contact
 * list hold it instead of the phone or email, so none of them is readable where it is stored.
 */
export type Blind = (identity: string) => string;

/** The key a lead is stored and looked up under for one of its identities, e.g. `phone:<index>`. */
export function identityKey(kind: 'phone' | 'email', identity: string, blind: Blind): string {
  return `${kind}:${blind(identity)}`;
}

/**
 * The keys a lead is stored and looked up under in the duplicate and do-not-contact stores: its
 * phone's, then its email's. Partition leads by one of them (or by each, via a repartition topic)
 * so duplicates meet in one task.
 */
export function identityKeys(identities: ContactIdentities, blind: Blind): string[] {
  const keys = [identityKey('phone', identities.phone, blind)];
  if (identities.email) keys.push(identityKey('email', identities.email, blind));
  return keys;
}

/** The key of a do-not-contact entry given as a raw phone or email (e.g. from the CLI); null if unreadable. */
export function doNotContactKey(entry: string, blind: Blind): string | null {
  if (entry.includes('@')) {
    const email = emailIdentity(entry);
    return email ? identityKey('email', email, blind) : null;
  }
  const phone = phoneIdentity(entry);
  return phone ? identityKey('phone', phone, blind) : null;
}
