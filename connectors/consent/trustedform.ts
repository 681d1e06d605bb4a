/**
 * TrustedForm (ActiveProspect) Certificate API v4.0: one POST to the certificate's URL runs every
 * operation we need at once.
 *
 *   POST {baseUrl}/{certificate id}
 *   Authorization: Basic base64("API:" + api key); api-version: 4.0; JSON in and out
 *   { match_lead: { email, phone },                      fingerprints of the lead's contact
 *     retain: { reference, vendor },                     claims (stores) the certificate for us
 *     insights: { properties: [age_seconds, created_at, expires_at, page_url] },
 *     verify: {} }                                       consent language checks
 * answered
 *   { outcome: success | failure | error, reason,
 *     match_lead: { result: { email_match, phone_match, success } },
 *     retain: { results: { expires_at, previously_retained } },
 *     insights: { properties: { age_seconds, created_at, expires_at, page_url } },
 *     verify: { languages: [{ text }], result: { language_approved, success } } }
 *
 * Based on:
 * - https://developers.activeprospect.com/api-reference/certificate-url/run-certificate-operations
 *   (v4.0: POST to the certificate URL, HTTP Basic with the user "API", the api-version header,
 *   the operations and `outcome` as the purchase decision)
 * - https://developers.activeprospect.com/docs/trustedform/api/v4.0/tag/Retain (retain: reference,
 *   vendor; match_lead is required with it)
 * - https://support.activeprospect.com/hc/en-us/articles/44098387334036-Verify-API-Operation (verify)
 * - ActiveProspect's own LeadConduit client, github.com/activeprospect/leadconduit-integration-trustedform
 *   lib/v4.js, for the field names of the answer (the pages above show the request side)
 * Those pages document the 200 answer only: reading 404 as "no such certificate" and 410 as "its
 * time to live has passed" is our reading of HTTP.
 */
import { count, field, flag, instant, nationalPhone, text } from './answer';
import { callProvider, ConsentProviderError } from './http';
import type { CertificateFacts, ClaimedConsent, ProviderAnswer } from './verdict';

export interface TrustedFormSettings {
  /** https://cert.trustedform.com in production. */
  baseUrl: string;
  apiKey: string;
}

const INSIGHTS = ['age_seconds', 'created_at', 'expires_at', 'page_url'];

export async function claimTrustedForm(
  settings: TrustedFormSettings,
  claim: ClaimedConsent,
  timeoutMs: number,
): Promise<ProviderAnswer> {
  const url = `${settings.baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(claim.certificateId)}`;
  const response = await callProvider(
    'trustedform',
    url,
    {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`API:${settings.apiKey}`).toString('base64')}`,
        'api-version': '4.0',
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify(requestBody(claim)),
    },
    timeoutMs,
  );
  if (response.status === 404) {
    return { kind: 'not_found', detail: 'TrustedForm has no certificate with this id' };
  }
  if (response.status === 410) {
    return { kind: 'expired', detail: "the certificate's time to live has passed" };
  }
  return { kind: 'found', facts: readAnswer(response.body) };
}

function requestBody(claim: ClaimedConsent): Record<string, unknown> {
  const lead: Record<string, string> = {};
  if (claim.email !== null) lead.email = claim.email;
  if (claim.phone !== null) lead.phone = nationalPhone(claim.phone);
  const hasContact = Object.keys(lead).length > 0;
  return {
    ...(hasContact && {
      match_lead: lead,
      // Retaining without lead matching is refused by the API.
      retain: {
        ...(claim.reference !== null && { reference: claim.reference }),
        ...(claim.vendor !== null && { vendor: claim.vendor }),
      },
    }),
    insights: { properties: INSIGHTS },
    verify: {},
  };
}

function readAnswer(body: unknown): CertificateFacts {
  const outcome = text(field(body, 'outcome'));
  const reason = text(field(body, 'reason'));
  if (outcome === 'error') {
    throw new ConsentProviderError('trustedform', `reported an error: ${reason ?? 'no reason given'}`, {
      retryable: false,
    });
  }
  const properties = field(body, 'insights', 'properties');
  const matchResult = field(body, 'match_lead', 'result');
  const languageApproved = flag(field(body, 'verify', 'result', 'language_approved'));
  const languages = field(body, 'verify', 'languages');

  const providerRefusals: string[] = [];
  if (languageApproved === false) {
    providerRefusals.push(
      'consent_language_not_approved: TrustedForm Verify did not find the language on the approved list',
    );
  }
  // A failure we can name (language, contact) is reported by its own reason; any other is kept in
  // TrustedForm's words, since the outcome is what TrustedForm says to base the decision on.
  const explained = languageApproved === false || flag(field(matchResult, 'success')) === false;
  if (outcome === 'failure' && !explained) {
    providerRefusals.push(`provider_rejected: ${reason ?? 'TrustedForm reported a failure'}`);
  }
  return {
    createdAt: instant(field(properties, 'created_at')),
    ageSeconds: count(field(properties, 'age_seconds')),
    expiresAt: instant(field(properties, 'expires_at')),
    pageUrl: text(field(properties, 'page_url')),
    consentTexts: Array.isArray(languages)
      ? languages.map((language) => text(field(language, 'text'))).filter((t): t is string => t !== null)
      : [],
    emailMatch: flag(field(matchResult, 'email_match')),
    phoneMatch: flag(field(matchResult, 'phone_match')),
    providerRefusals,
  };
}
