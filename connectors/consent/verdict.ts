/**
 * The consent verdict, decided by a pure function from what the lead claims and what the
 * certificate provider answered: no network, no clock (the caller passes `checkedAt`).
 *
 * Reasons are `code: detail` strings with stable codes, so a consumer can branch on the part
 * before the colon and a person can read the rest. They never carry the phone, the email or a key.
 */
import type {
  CertificateType,
  ConsentVerdict as Verdict,
  Consent,
  ConsentVerification,
  ValidLead,
} from '../../schemas/lead';

export type { ConsentVerification, Verdict };

export type ConsentProvider = Exclude<CertificateType, 'other'>;

/** What the lead says about its consent, plus the contact the certificate should have recorded. */
export interface ClaimedConsent extends Pick<
  Consent,
  'certificateId' | 'certificateType' | 'text' | 'timestamp' | 'pageUrl'
> {
  /** E.164. */
  phone: string | null;
  email: string | null;
  /** Our id for the lead and the vendor who sold it, stored with our copy of the certificate. */
  reference: string | null;
  vendor: string | null;
}

export function claimFromLead(valid: ValidLead): ClaimedConsent {
  const { consent, contact, source } = valid.lead;
  return {
    certificateId: consent.certificateId,
    certificateType: consent.certificateType,
    text: consent.text,
    timestamp: consent.timestamp,
    pageUrl: consent.pageUrl,
    phone: contact.phone,
    email: contact.email,
    reference: valid.leadId,
    vendor: source.vendorId ?? valid.vendorId,
  };
}

/**
 * How texts are compared, after normalising case, whitespace, quotes and dashes:
 * - `contains`: the claimed text appears, whole and in order, within a text the provider recorded.
 *   The default: certificates record the text around the disclosure too (the button label, "By
 *   clicking Submit, ..."), while vendors send the disclosure sentence alone.
 * - `exact`: the claimed text is one of the recorded texts.
 * No similarity score is offered: a 95% similar disclosure can differ in exactly the words that
 * carry the consent (the seller's name, "autodialed", "not a condition of purchase").
 */
export type ConsentTextRule = 'contains' | 'exact';

/**
 * Whether the certificate belongs to this consumer when the provider reports per-identifier
 * results: `any` matching identifier suffices (the providers' own notion of a successful match:
 * a form may not have asked for both), or `all` reported identifiers must match.
 */
export type ContactMatchRule = 'any' | 'all';

export interface VerdictRules {
  /** Oldest certificate accepted, at the time of the check. */
  maxAgeSeconds: number;
  consentTextRule: ConsentTextRule;
  contactMatchRule: ContactMatchRule;
  /**
   * How far the claimed consent time may be from the certificate's creation: a certificate made on
   * another day than the consent it is sent with belongs to another form fill.
   */
  timestampToleranceSeconds: number;
}

export const DEFAULT_VERDICT_RULES: VerdictRules = {
  maxAgeSeconds: 90 * 24 * 3600,
  consentTextRule: 'contains',
  contactMatchRule: 'any',
  timestampToleranceSeconds: 24 * 3600,
};

/** What a provider recorded about a certificate it knows, in provider-neutral terms. */
export interface CertificateFacts {
  /** Epoch ms; null when the provider did not say. */
  createdAt: number | null;
  /** The provider's own age figure, used when it gives no creation time. */
  ageSeconds: number | null;
  /** Epoch ms after which the provider no longer serves the certificate. */
  expiresAt: number | null;
  pageUrl: string | null;
  /** Consent texts the provider saw on the page; empty when it reports none. */
  consentTexts: string[];
  /** Fingerprint results: null when the provider did not compare that identifier. */
  emailMatch: boolean | null;
  phoneMatch: boolean | null;
  /** Refusals the provider made itself (language not approved, token opted out), as reasons. */
  providerRefusals: string[];
}

export type ProviderAnswer =
  | { kind: 'found'; facts: CertificateFacts }
  | { kind: 'not_found'; detail: string }
  | { kind: 'expired'; detail: string }
  | { kind: 'unavailable'; reason: string };

export function decideVerdict(
  claim: ClaimedConsent,
  answer: ProviderAnswer,
  rules: VerdictRules,
  checkedAt: number,
): ConsentVerification {
  const base = {
    provider: claim.certificateType,
    certificateId: claim.certificateId,
    checkedAt,
    ageSeconds: null,
    pageUrl: null,
  };
  switch (answer.kind) {
    case 'not_found':
      return { ...base, verdict: 'not_found', reasons: [`certificate_not_found: ${answer.detail}`] };
    case 'expired':
      return { ...base, verdict: 'expired', reasons: [`certificate_expired: ${answer.detail}`] };
    case 'unavailable':
      return { ...base, verdict: 'unavailable', reasons: [answer.reason] };
  }
  const facts = answer.facts;
  const ageSeconds =
    facts.createdAt !== null
      ? Math.max(0, Math.round((checkedAt - facts.createdAt) / 1000))
      : facts.ageSeconds;

  const expiry: string[] = [];
  if (facts.expiresAt !== null && facts.expiresAt <= checkedAt) {
    expiry.push(`certificate_expired: the provider stopped serving it at ${iso(facts.expiresAt)}`);
  }
  if (ageSeconds !== null && ageSeconds > rules.maxAgeSeconds) {
    expiry.push(`certificate_too_old: ${ageSeconds} s old, at most ${rules.maxAgeSeconds} s`);
  }

  const mismatches = [
    ...facts.providerRefusals,
    ...timestampMismatch(claim.timestamp, facts.createdAt, rules.timestampToleranceSeconds),
    ...pageMismatch(claim.pageUrl, facts.pageUrl),
    ...textMismatch(claim.text, facts.consentTexts, rules.consentTextRule),
    ...contactMismatch(facts.emailMatch, facts.phoneMatch, rules.contactMatchRule),
  ];
  // A mismatch says the certificate is not this lead's; that outweighs its age.
  const verdict: Verdict = mismatches.length ? 'mismatch' : expiry.length ? 'expired' : 'verified';
  return { ...base, verdict, reasons: [...mismatches, ...expiry], ageSeconds, pageUrl: facts.pageUrl };
}

function timestampMismatch(claimed: number, createdAt: number | null, toleranceSeconds: number): string[] {
  if (createdAt === null) return [];
  const apartSeconds = Math.round(Math.abs(claimed - createdAt) / 1000);
  if (apartSeconds <= toleranceSeconds) return [];
  return [
    `consent_time_mismatch: consent claimed at ${iso(claimed)}, certificate created at ${iso(createdAt)}`,
  ];
}

function pageMismatch(claimed: string | null, recorded: string | null): string[] {
  if (claimed === null || recorded === null) return [];
  const lead = pageParts(claimed);
  const certificate = pageParts(recorded);
  if (!lead) return ['page_url_invalid: the lead page URL cannot be parsed'];
  if (!certificate) return ['page_url_invalid: the certificate page URL cannot be parsed'];
  if (lead.host !== certificate.host) {
    return [`page_host_mismatch: lead says ${lead.host}, certificate recorded ${certificate.host}`];
  }
  // A lead naming only the site claims only the site.
  if (lead.path !== '/' && lead.path !== certificate.path) {
    return [`page_path_mismatch: lead says ${lead.path}, certificate recorded ${certificate.path}`];
  }
  return [];
}

/**
 * Host without "www." and a trailing dot, path without trailing slashes, both lower-cased; scheme,
 * port, query and fragment dropped (tracking parameters differ between the form and the lead).
 */
export function pageParts(text: string): { host: string; path: string } | null {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text.trim()) ? text.trim() : `https://${text.trim()}`);
  } catch {
    return null;
  }
  if (!url.hostname) return null;
  const host = url.hostname
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^www\./, '');
  let path: string;
  try {
    path = decodeURI(url.pathname);
  } catch {
    path = url.pathname;
  }
  return { host, path: path.toLowerCase().replace(/\/+$/, '') || '/' };
}

function textMismatch(claimed: string, recorded: string[], rule: ConsentTextRule): string[] {
  if (recorded.length === 0) return [];
  const wanted = normaliseConsentText(claimed);
  const texts = recorded.map(normaliseConsentText);
  const found = rule === 'exact' ? texts.includes(wanted) : texts.some((text) => text.includes(wanted));
  if (found) return [];
  return [
    `consent_text_mismatch: the lead's consent text is not ${rule === 'exact' ? 'one of' : 'within'} the ${recorded.length} text(s) the certificate recorded`,
  ];
}

/** Case, Unicode forms, curly quotes, dashes and whitespace (also before punctuation) do not count. */
export function normaliseConsentText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u201a\u201b\u2032]/g, "'")
    .replace(/[\u201c\u201d\u201e\u201f\u2033]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/\s+/g, ' ')
    .replace(/ (?=[.,;:!?)])/g, '')
    .trim();
}

function contactMismatch(email: boolean | null, phone: boolean | null, rule: ContactMatchRule): string[] {
  const reported = [
    { name: 'email', match: email },
    { name: 'phone', match: phone },
  ].filter((result) => result.match !== null);
  const failed = reported.filter((result) => result.match === false);
  const mismatched =
    rule === 'all' ? failed.length > 0 : reported.length > 0 && failed.length === reported.length;
  if (!mismatched) return [];
  return failed.map(
    ({ name }) => `${name}_mismatch: the lead's ${name} is not the one the certificate recorded`,
  );
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
