import { randomUUID } from 'node:crypto';
import type { RawLead } from '../../schemas/lead';
import type { PrivacySubjectEvent } from '../../schemas/privacy-records';
import { emailIdentity } from '../validate/email';
import { type Blind, identityKey } from '../validate/identities';
import { phoneIdentity } from '../validate/phone';

/** A data subject as a request names them: by email, by phone, or both. */
export interface SubjectQuery {
  email?: string;
  phone?: string;
}

export class SubjectQueryError extends Error {
  override name = 'SubjectQueryError';
  constructor(
    /** The request field at fault (email or phone), or null when the request names nobody. */
    readonly field: 'email' | 'phone' | null,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The keys a lead is indexed under for erasure: its phone's and its email's blind indexes, read
 * from the lead as parsed or, for a body the input schema refused, from the body as sent (its
 * personal data is on the topics all the same). None when neither can be read.
 */
export function subjectKeysOfLead(raw: RawLead, blind: Blind): string[] {
  const contact = raw.lead?.contact ?? contactOfBody(raw.body);
  const phone = typeof contact?.phone === 'string' ? phoneIdentity(contact.phone) : null;
  const email = typeof contact?.email === 'string' ? emailIdentity(contact.email) : null;
  return [
    ...(phone ? [identityKey('phone', phone, blind)] : []),
    ...(email ? [identityKey('email', email, blind)] : []),
  ];
}

function contactOfBody(body: string): { phone?: unknown; email?: unknown } | undefined {
  try {
    const parsed = JSON.parse(body) as { contact?: { phone?: unknown; email?: unknown } } | null;
    return typeof parsed?.contact === 'object' && parsed.contact !== null ? parsed.contact : undefined;
  } catch {
    return undefined;
  }
}

/** The privacy.subjects record that indexes a lead under one of its keys. */
export const leadIndexed = (leadId: string, at: number): PrivacySubjectEvent => ({
  kind: 'lead',
  leadId,
  requestId: null,
  parts: null,
  requestedBy: null,
  at,
});

/**
 * An erasure request as privacy.subjects records, one per identity named (keyed by its blind
 * index, so it meets the leads indexed under it), under a new request id. Throws
 * SubjectQueryError naming the field that cannot be read.
 */
export function erasureRequest(
  query: SubjectQuery,
  blind: Blind,
  requestedBy: string,
  now: number,
): { requestId: string; records: { key: string; value: PrivacySubjectEvent }[] } {
  const keys: string[] = [];
  if (query.email !== undefined) {
    const email = emailIdentity(query.email);
    if (email === null) throw new SubjectQueryError('email', 'email: not an email address');
    keys.push(identityKey('email', email, blind));
  }
  if (query.phone !== undefined) {
    const phone = phoneIdentity(query.phone);
    if (phone === null) throw new SubjectQueryError('phone', 'phone: not a US phone number');
    keys.push(identityKey('phone', phone, blind));
  }
  if (keys.length === 0) throw new SubjectQueryError(null, 'name the subject by email, phone or both');
  const requestId = `erasure-${randomUUID()}`;
  return {
    requestId,
    records: keys.map((key) => ({
      key,
      value: { kind: 'erase', leadId: null, requestId, parts: keys.length, requestedBy, at: now },
    })),
  };
}
