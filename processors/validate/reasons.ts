import type { Reason } from '../../schemas/lead';

export type { Reason };

/**
 * Every reason code the intake stages emit. `reject` codes stop a lead (leads.rejected); `warn`
 * codes ride along on a valid lead. Input-schema codes (required, invalid_type, ...) come from
 * parseLeadInput and also reject. The stateful checks (duplicate_contact, do_not_contact,
 * phone_reassigned) are decided by the validate processor; their codes live here so the catalogue
 * is complete.
 */
export const REASON_CODES = {
  // input schema (parseLeadInput)
  required: { severity: 'reject', doc: 'A required field is missing or empty.' },
  invalid_type: { severity: 'reject', doc: 'A field has the wrong type (or the body is not a JSON object).' },
  invalid_format: { severity: 'reject', doc: 'A date or timestamp is not in an accepted format.' },
  invalid_value: { severity: 'reject', doc: 'A value is not one of the allowed values.' },
  too_long: { severity: 'reject', doc: 'A string is longer than allowed.' },
  too_short: { severity: 'reject', doc: 'A string is shorter than allowed.' },
  too_many_items: { severity: 'reject', doc: 'An array has more items than allowed.' },
  out_of_range: { severity: 'reject', doc: 'A number or timestamp is outside the allowed range.' },
  too_many_fields: { severity: 'reject', doc: 'Too many unknown fields to keep.' },
  body_unreadable: { severity: 'reject', doc: 'The raw body is not JSON.' },

  // names
  name_invalid: { severity: 'reject', doc: 'A name has no letters, or has digits or an @.' },
  name_suspicious: { severity: 'warn', doc: 'A name looks like test data (test, asdf, fake...).' },

  // phone
  phone_invalid: {
    severity: 'reject',
    doc: 'Not a valid phone number (bad area code or exchange, wrong length).',
  },
  phone_not_us: { severity: 'reject', doc: 'Not a US (NANP US or US territory) number.' },
  phone_fictitious: { severity: 'reject', doc: '555-0100..0199, reserved for fiction.' },
  phone_toll_free: { severity: 'reject', doc: 'A toll-free 8XX number cannot be a consumer contact number.' },
  phone_premium_rate: { severity: 'reject', doc: 'A 900 premium-rate number.' },
  phone_personal_number: {
    severity: 'reject',
    doc: 'A 5XX/personal-communications number, not a contact line.',
  },
  phone_landline: { severity: 'warn', doc: 'Fixed line: no SMS, lower contact rates.' },
  phone_voip: { severity: 'warn', doc: 'VoIP number.' },
  phone_has_extension: { severity: 'warn', doc: 'The number had an extension; it is kept apart.' },
  phone_vanity: { severity: 'warn', doc: 'Letters were converted with the keypad (vanity number).' },
  phone_555_exchange: { severity: 'warn', doc: 'A 555 exchange outside the fiction range; rarely real.' },

  // email
  email_invalid: { severity: 'reject', doc: 'Email syntax is invalid.' },
  email_disposable: { severity: 'reject', doc: 'Email on a disposable/throwaway domain.' },
  email_role_account: { severity: 'warn', doc: 'A role mailbox (info@, admin@...), not a person.' },
  email_domain_typo: { severity: 'warn', doc: 'The domain looks like a typo of a common provider.' },

  // address
  state_invalid: { severity: 'reject', doc: 'Not a USPS state, territory or military state code.' },
  zip_invalid: { severity: 'reject', doc: 'ZIP is not 5 digits or ZIP+4.' },
  zip_unknown: { severity: 'reject', doc: 'ZIP is in no known ZIP range.' },
  zip_state_mismatch: { severity: 'reject', doc: 'ZIP belongs to a different state.' },
  zip_not_in_dataset: {
    severity: 'warn',
    doc: 'ZIP not in the offline data, but its prefix matches the state.',
  },

  // date of birth
  dob_missing: { severity: 'reject', doc: 'Date of birth is required for life, health and medicare leads.' },
  dob_invalid: { severity: 'reject', doc: 'Not a calendar date.' },
  dob_in_future: { severity: 'reject', doc: 'Date of birth is in the future.' },
  dob_implausible: { severity: 'reject', doc: 'Age outside 16..110.' },
  medicare_age_unlikely: {
    severity: 'warn',
    doc: 'Medicare lead younger than 60 (possible, via disability).',
  },

  // consent
  consent_missing: { severity: 'reject', doc: 'No TCPA consent.' },
  consent_text_missing: { severity: 'reject', doc: 'Consent without (meaningful) consent text.' },
  consent_timestamp_missing: { severity: 'reject', doc: 'Consent without a timestamp.' },
  consent_certificate_missing: {
    severity: 'reject',
    doc: 'Consent without a certificate id (TrustedForm, Jornaya).',
  },
  consent_certificate_invalid: { severity: 'reject', doc: 'The certificate id is malformed.' },
  consent_certificate_unrecognised: { severity: 'warn', doc: 'Certificate id of an unknown provider.' },
  consent_stale: { severity: 'reject', doc: 'Consent older than the configured maximum age.' },
  consent_unverified: {
    severity: 'reject',
    doc: "The certificate's provider refused it (enrich, with a provider configured): not found, expired or too old, or its page, text, time or contact do not match the lead.",
  },
  consent_unchecked: {
    severity: 'warn',
    doc: 'The certificate provider could not answer and the outage policy is pass-flagged: the consent is unproven.',
  },
  consent_in_future: {
    severity: 'reject',
    doc: 'Consent timestamp is in the future beyond the clock-skew allowance.',
  },

  // line details
  details_missing: { severity: 'warn', doc: 'No details block for the insurance line.' },

  // stateful (decided by the validate processor with its stores)
  duplicate_contact: { severity: 'reject', doc: 'Same phone or email seen within the duplicate window.' },
  do_not_contact: { severity: 'reject', doc: 'Phone or email is on the do-not-contact list.' },
  phone_reassigned: {
    severity: 'reject',
    doc: 'The FCC Reassigned Numbers Database has the phone permanently disconnected on or after the day of the consent: the consent came from a previous holder of the number.',
  },

  // enrich warnings
  geo_zip_unknown: { severity: 'warn', doc: 'ZIP not found in the offline geo data.' },
  geo_approximate: {
    severity: 'warn',
    doc: 'County/time zone taken from the nearest ZIP (PO box or unique ZIP).',
  },
  timezone_from_state: { severity: 'warn', doc: "Time zone is the state's main zone, not the ZIP's." },
  contact_window_unknown: { severity: 'warn', doc: 'No time zone known; no contact window computed.' },

  internal_error: { severity: 'reject', doc: 'A rule failed unexpectedly; the lead is kept for inspection.' },
} as const satisfies Record<string, { severity: 'reject' | 'warn'; doc: string }>;

export type ReasonCode = keyof typeof REASON_CODES;

export function reason(code: ReasonCode, field: string, message: string): Reason {
  return { code, field, message };
}

/** What every rule returns: a value when usable, and its rejection reasons and warnings. */
export interface RuleResult<T> {
  value: T | null;
  reasons: Reason[];
  warnings: Reason[];
}

export function ok<T>(value: T, warnings: Reason[] = []): RuleResult<T> {
  return { value, reasons: [], warnings };
}

export function fail<T>(reasons: Reason[], warnings: Reason[] = []): RuleResult<T> {
  return { value: null, reasons, warnings };
}
