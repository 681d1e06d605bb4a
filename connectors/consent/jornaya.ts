/**
 * Jornaya (Verisk) LeadiD tokens, through one of two calls:
 *
 * - the lead audit (Jornaya Intelligence / TCPA Guardian), when an audit key and a provider code
 *   are configured:
 *     POST {baseUrl}/SingleQuery, form fields lac (account code), lak (audit key), lpc (provider
 *     code), id (token), format=json, data=email;{email}|phone1;{phone}
 *   answered { audit: { authentic: 1 | 0, reason, token, lead_age (seconds since the token was
 *     made), data_integrity (0 mismatch, 1 match, 2 mismatch with disclosure, 3 default values),
 *     data_integrity_passed, data_integrity_failed (the data labels) }, transid }
 *   POST rather than GET (the pages allow both) keeps the consumer's contact details and our keys
 *   out of URLs, which proxies and access logs keep.
 * - Authenticate, when only the account code is configured:
 *     GET {baseUrl}/Authenticate?lac={account code}&id={token}
 *   answered { authenticate: { authentic: 1 | 0, reason, token } }
 *
 * With authentic 0, reason says why: 1 expired (made over a year ago) or unknown, 2 queried too
 * many times, 3 the consumer opted out, 4 not a token Jornaya made. Every one of those comes as
 * HTTP 200, so a 404 means a wrong base URL, not an unknown token.
 *
 * Based on:
 * - https://docs.jornaya.com/docs/authentication-api (Authenticate: request, answer, reason codes)
 * - https://docs.jornaya.com/docs/how-to-check-the-authenticity-of-a-leadid-token (what authentic 0 means)
 * - https://marketing.verisk.com/v1/docs/tcpa-guardian-3rd-party-api and
 *   https://docs.jornaya.com/docs/jornaya-intelligence-api (SingleQuery: parameters, GET or POST,
 *   the data field's labels)
 * - https://activeprospect.com/integrations/jornaya/tcpa_guardian/ (lead_age in seconds, the
 *   data integrity codes and lists)
 * Neither answer carries the page's URL or the consent text: the audit only flags URLs and
 * disclosures against lists kept in the Jornaya portal. So for Jornaya the page and text checks
 * do not run, and the verification's pageUrl stays null.
 */
import { count, field, nationalPhone, text } from './answer';
import { callProvider, ConsentProviderError } from './http';
import type { CertificateFacts, ClaimedConsent, ProviderAnswer } from './verdict';

export interface JornayaSettings {
  /** https://api.leadid.com in production. */
  baseUrl: string;
  accountCode: string;
  /** Set: the lead audit; null: Authenticate only (authenticity, but no age and no contact match). */
  audit: { auditKey: string; providerCode: string } | null;
}

export async function auditJornaya(
  settings: JornayaSettings,
  claim: ClaimedConsent,
  timeoutMs: number,
  now: number,
): Promise<ProviderAnswer> {
  const base = settings.baseUrl.replace(/\/+$/, '');
  const response = settings.audit
    ? await callProvider(
        'jornaya',
        `${base}/SingleQuery`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({
            lac: settings.accountCode,
            lak: settings.audit.auditKey,
            lpc: settings.audit.providerCode,
            id: claim.certificateId,
            format: 'json',
            data: integrityData(claim),
          }).toString(),
        },
        timeoutMs,
      )
    : await callProvider(
        'jornaya',
        `${base}/Authenticate?${new URLSearchParams({ lac: settings.accountCode, id: claim.certificateId })}`,
        { method: 'GET', headers: { accept: 'application/json' } },
        timeoutMs,
      );
  if (response.status === 404 || response.status === 410) {
    throw new ConsentProviderError('jornaya', `answered HTTP ${response.status}: is the base URL right?`, {
      retryable: false,
    });
  }
  return readAnswer(field(response.body, settings.audit ? 'audit' : 'authenticate'), claim, now);
}

function integrityData(claim: ClaimedConsent): string {
  const pairs: string[] = [];
  if (claim.email !== null) pairs.push(`email;${claim.email}`);
  if (claim.phone !== null) pairs.push(`phone1;${nationalPhone(claim.phone)}`);
  return pairs.join('|');
}

function readAnswer(answer: unknown, claim: ClaimedConsent, now: number): ProviderAnswer {
  const authentic = count(field(answer, 'authentic'));
  const reason = count(field(answer, 'reason'));
  if (authentic === null) {
    throw new ConsentProviderError('jornaya', 'answered without an authenticity result', {
      retryable: false,
    });
  }
  if (authentic !== 1 && reason === 1) {
    return { kind: 'expired', detail: 'Jornaya reports the token expired (made over a year ago) or unknown' };
  }
  if (authentic !== 1 && reason === 4) {
    return { kind: 'not_found', detail: 'Jornaya did not make this token' };
  }
  const leadAge = count(field(answer, 'lead_age'));
  const contact = contactResults(answer, claim);
  const facts: CertificateFacts = {
    createdAt: leadAge === null ? null : now - leadAge * 1000,
    ageSeconds: leadAge,
    expiresAt: null,
    pageUrl: null,
    consentTexts: [],
    emailMatch: contact.email,
    phoneMatch: contact.phone,
    providerRefusals: authentic === 1 ? [] : [refusal(reason)],
  };
  return { kind: 'found', facts };
}

function refusal(reason: number | null): string {
  if (reason === 2) return 'token_query_limit_reached: Jornaya will not audit this token again';
  if (reason === 3) return 'consumer_opted_out: the consumer behind this token opted out';
  return `token_not_authentic: Jornaya reports the token is not authentic (reason ${reason ?? 'not given'})`;
}

/**
 * Per-identifier results from the passed and failed label lists; when only the overall code is
 * given it covers every identifier we sent.
 */
function contactResults(
  answer: unknown,
  claim: ClaimedConsent,
): { email: boolean | null; phone: boolean | null } {
  const passed = labels(field(answer, 'data_integrity_passed'));
  const failed = labels(field(answer, 'data_integrity_failed'));
  const overall = count(field(answer, 'data_integrity'));
  const result = (label: string, sent: boolean): boolean | null => {
    if (!sent) return null;
    if (failed.includes(label)) return false;
    if (passed.includes(label)) return true;
    if (overall === 1) return true;
    if (overall === 0 || overall === 2) return false;
    return null;
  };
  return { email: result('email', claim.email !== null), phone: result('phone1', claim.phone !== null) };
}

/** A list of data labels, as an array or as one comma- or pipe-separated string. */
function labels(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[,|]/) : [];
  return items
    .map((item) => text(item))
    .filter((label): label is string => label !== null)
    .map((label) => label.trim().toLowerCase());
}
