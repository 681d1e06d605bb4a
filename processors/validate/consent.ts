import type { CertificateType, Consent, ConsentInput } from '../../schemas/lead';
import { DAY_MS } from '../common/dates';
import { fail, ok, reason, type Reason, type RuleResult } from './reasons';

export interface ConsentOptions {
  now: number;
  /** Maximum consent age; default 90 days. */
  consentMaxAgeDays: number;
  /** How far in the future a consent timestamp may be (clock skew); default 5 minutes. */
  clockSkewMs?: number;
}

/** Shorter text cannot be a TCPA disclosure (it must name the seller and automated calls/texts). */
export const MIN_CONSENT_TEXT = 20;

const TRUSTEDFORM = /^(?:https?:\/\/cert\.trustedform\.com\/)?([0-9a-f]{40})\/?$/i;
const JORNAYA = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GENERIC = /^[A-Za-z0-9][A-Za-z0-9_\-:.]{7,199}$/;
const GENERIC_URL = /^https:\/\/[a-z0-9.-]+\.[a-z]{2,}\/\S{4,}$/i;

/**
 * Classifies a consent certificate: a TrustedForm certificate (40 hex digits, bare or as the
 * cert.trustedform.com URL; normalised to the lower-case id), a Jornaya LeadiD token (a UUID;
 * upper-cased), or another provider's token or https URL. Null when malformed.
 */
export function classifyCertificate(input: string): { id: string; type: CertificateType } | null {
  const text = input.trim();
  const trustedForm = TRUSTEDFORM.exec(text);
  if (trustedForm) return { id: trustedForm[1]!.toLowerCase(), type: 'trustedform' };
  if (/^https?:\/\/cert\.trustedform\.com\//i.test(text)) return null;
  if (JORNAYA.test(text)) return { id: text.toUpperCase(), type: 'jornaya' };
  if (GENERIC.test(text) || GENERIC_URL.test(text)) return { id: text, type: 'other' };
  return null;
}

/**
 * TCPA consent: present, with text, timestamp and a well-formed certificate id; not older than
 * `consentMaxAgeDays` at `now` and not in the future beyond the clock-skew allowance.
 */
export function checkConsent(consent: ConsentInput | null, options: ConsentOptions): RuleResult<Consent> {
  if (consent === null) return fail([reason('consent_missing', 'consent', 'TCPA consent is required')]);
  const reasons: Reason[] = [];
  const warnings: Reason[] = [];
  const text = consent.text;
  if (text === null || text.length < MIN_CONSENT_TEXT) {
    reasons.push(
      reason(
        'consent_text_missing',
        'consent.text',
        text === null ? 'consent text is required' : 'consent text is too short to be a disclosure',
      ),
    );
  }
  const timestamp = consent.timestamp;
  if (timestamp === null) {
    reasons.push(reason('consent_timestamp_missing', 'consent.timestamp', 'consent timestamp is required'));
  } else {
    const skew = options.clockSkewMs ?? 5 * 60_000;
    const maxAgeMs = options.consentMaxAgeDays * DAY_MS;
    if (timestamp > options.now + skew) {
      reasons.push(
        reason('consent_in_future', 'consent.timestamp', `consent is dated ${iso(timestamp)}, in the future`),
      );
    } else if (options.now - timestamp > maxAgeMs) {
      const days = Math.floor((options.now - timestamp) / DAY_MS);
      reasons.push(
        reason(
          'consent_stale',
          'consent.timestamp',
          `consent is ${days} days old (at most ${options.consentMaxAgeDays})`,
        ),
      );
    }
  }
  let certificate: { id: string; type: CertificateType } | null = null;
  if (consent.certificateId === null) {
    reasons.push(
      reason('consent_certificate_missing', 'consent.certificateId', 'a consent certificate id is required'),
    );
  } else {
    certificate = classifyCertificate(consent.certificateId);
    if (!certificate) {
      reasons.push(
        reason(
          'consent_certificate_invalid',
          'consent.certificateId',
          'not a TrustedForm, Jornaya or other certificate id',
        ),
      );
    } else if (certificate.type === 'other') {
      warnings.push(
        reason(
          'consent_certificate_unrecognised',
          'consent.certificateId',
          'certificate id of an unrecognised provider',
        ),
      );
    }
  }
  if (reasons.length || text === null || timestamp === null || certificate === null)
    return fail(reasons, warnings);
  return ok(
    {
      text,
      timestamp,
      certificateId: certificate.id,
      certificateType: certificate.type,
      ipAddress: consent.ipAddress,
      pageUrl: consent.pageUrl,
    },
    warnings,
  );
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
