import { emailIdentity } from '../../processors/validate/email';
import { phoneIdentity } from '../../processors/validate/phone';
import { type SubjectQuery, SubjectQueryError } from '../../processors/erase/subjects';

/**
 * The texts a subject's contact details take in stored data, lower-cased: the email as given and
 * as its identity (Gmail without dots and +tags), the phone as E.164, as ten digits and in the
 * punctuated forms vendors send. Data is searched for every one of them, so a form a vendor used
 * is found even where nothing normalised it (leads.raw keeps the body verbatim).
 */
export function subjectNeedles(query: SubjectQuery): string[] {
  const needles = new Set<string>();
  if (query.email !== undefined) {
    const identity = emailIdentity(query.email);
    if (identity === null) throw new SubjectQueryError('email', 'email: not an email address');
    needles.add(query.email.trim().toLowerCase());
    needles.add(identity);
  }
  if (query.phone !== undefined) {
    const e164 = phoneIdentity(query.phone);
    if (e164 === null) throw new SubjectQueryError('phone', 'phone: not a US phone number');
    const digits = e164.slice(2);
    const [area, exchange, line] = [digits.slice(0, 3), digits.slice(3, 6), digits.slice(6)];
    for (const form of [
      e164,
      digits,
      `${area}-${exchange}-${line}`,
      `${area}.${exchange}.${line}`,
      `${area} ${exchange} ${line}`,
      `(${area}) ${exchange}-${line}`,
      `(${area})${exchange}-${line}`,
    ])
      needles.add(form);
  }
  if (needles.size === 0) throw new SubjectQueryError(null, 'name the subject by email, phone or both');
  return [...needles];
}
