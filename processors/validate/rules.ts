/**
 * The validate stage's pure rules: one lead in, either a normalised valid lead with warnings or
 * every rejection reason at once. No I/O, no state: duplicate and do-not-contact checks are the
 * processor's (see identities.ts for their keys).
 */
import {
  leadFieldSchemas,
  parseLeadInput,
  type ConsentInput,
  type InputError,
  type InsuranceLine,
  type Lead,
  type LeadInput,
  type RawLead,
  type RejectedLead,
  type ValidLead,
} from '../../schemas/lead';
import type { ZipDb } from '../enrich/zipdb';
import { checkZipState, type NormalisedZip } from './address';
import { checkConsent } from './consent';
import { checkDateOfBirth } from './dob';
import { checkEmail, type NormalisedEmail } from './email';
import { contactIdentities } from './identities';
import { checkName } from './names';
import { checkPhone, type NormalisedPhone } from './phone';
import { reason, type Reason, type RuleResult } from './reasons';

export { checkPhone, phoneIdentity, splitExtension, convertVanity } from './phone';
export { checkEmail, emailIdentity, isDisposableDomain, parseEmail } from './email';
export { checkZipState, parseZip } from './address';
export { checkDateOfBirth, DOB_REQUIRED_LINES } from './dob';
export { checkConsent, classifyCertificate } from './consent';
export { checkName } from './names';
export { contactIdentities, identityKeys, doNotContactKey } from './identities';
export { REASON_CODES, type ReasonCode, type Reason } from './reasons';

export interface ValidateOptions {
  /**
   * The instant the rules are judged at (consent age, date of birth). Pass the lead's receivedAt
   * so that a replay decides exactly as the first run did.
   */
  now: number;
  /** Maximum consent age in days (default policy: 90). */
  consentMaxAgeDays: number;
  /** Allowed clock skew for consent timestamps in the future; default 5 minutes. */
  clockSkewMs?: number;
  /** Plausible age range; default 16..110. */
  minAge?: number;
  maxAge?: number;
  /** ZIP data; defaults to the shared offline database. */
  zipDb?: ZipDb;
}

export const DEFAULT_CONSENT_MAX_AGE_DAYS = 90;

export type ValidateResult =
  | { status: 'valid'; lead: ValidLead; warnings: Reason[] }
  | { status: 'rejected'; reasons: Reason[]; warnings: Reason[] };

export type ValidateBodyResult =
  | { status: 'valid'; lead: Lead; warnings: Reason[] }
  | { status: 'rejected'; reasons: Reason[]; warnings: Reason[] };

/** Which details block each line is expected to carry. */
const DETAILS_BLOCK: Record<InsuranceLine, 'auto' | 'property' | 'life' | 'health' | 'commercial'> = {
  auto: 'auto',
  home: 'property',
  renters: 'property',
  life: 'life',
  health: 'health',
  medicare: 'health',
  commercial: 'commercial',
};

/**
 * The parts of a lead the content rules look at. `undefined` means "not available" (the field
 * failed the input schema, which already reported it), so its rule is skipped.
 */
interface Parts {
  firstName?: string;
  lastName?: string;
  phone?: string;
  email?: string | null;
  zip?: string;
  state?: string;
  dateOfBirth?: string | null;
  line?: InsuranceLine | null;
  consent?: ConsentInput | null;
  input?: LeadInput;
}

interface Checked {
  reasons: Reason[];
  warnings: Reason[];
  phone: NormalisedPhone | null;
  email: NormalisedEmail | null;
  zip: NormalisedZip | null;
  consent: Lead['consent'] | null;
}

function runRules(parts: Parts, options: ValidateOptions): Checked {
  const reasons: Reason[] = [];
  const warnings: Reason[] = [];
  const collect = <T>(result: RuleResult<T>): T | null => {
    reasons.push(...result.reasons);
    warnings.push(...result.warnings);
    return result.value;
  };
  if (parts.firstName !== undefined) collect(checkName(parts.firstName, 'contact.firstName'));
  if (parts.lastName !== undefined) collect(checkName(parts.lastName, 'contact.lastName'));
  const phone = parts.phone !== undefined ? collect(checkPhone(parts.phone)) : null;
  const email = parts.email !== undefined && parts.email !== null ? collect(checkEmail(parts.email)) : null;
  const zip =
    parts.zip !== undefined && parts.state !== undefined
      ? collect(checkZipState(parts.zip, parts.state, options.zipDb))
      : null;
  if (parts.dateOfBirth !== undefined) {
    collect(
      checkDateOfBirth(parts.dateOfBirth, parts.line ?? null, {
        now: options.now,
        minAge: options.minAge,
        maxAge: options.maxAge,
      }),
    );
  }
  const consent = parts.consent !== undefined ? collect(checkConsent(parts.consent, options)) : null;
  const input = parts.input;
  if (input) {
    const block = DETAILS_BLOCK[input.line];
    const details = input[block];
    if (details === null || (block === 'auto' && input.auto?.vehicles.length === 0)) {
      warnings.push(reason('details_missing', block, `no ${block} details for a ${input.line} lead`));
    }
  }
  return { reasons, warnings, phone, email, zip, consent };
}

/** Runs the content rules on the fields of a body that failed the input schema, so all reasons come at once. */
function salvage(body: unknown, errors: InputError[]): Parts {
  const failed = (path: string) =>
    errors.some((e) => e.field === path || e.field.startsWith(`${path}.`) || e.field === '');
  const get = (path: string): unknown => {
    let value: unknown = body;
    for (const key of path.split('.')) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
      value = Object.prototype.hasOwnProperty.call(value, key)
        ? (value as Record<string, unknown>)[key]
        : undefined;
    }
    return value;
  };
  const take = <T>(
    path: string,
    schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
  ) => {
    if (failed(path)) return undefined;
    const result = schema.safeParse(get(path));
    return result.success ? result.data : undefined;
  };
  const line = take('line', leadFieldSchemas.line);
  return {
    firstName: take('contact.firstName', leadFieldSchemas.firstName),
    lastName: take('contact.lastName', leadFieldSchemas.lastName),
    phone: take('contact.phone', leadFieldSchemas.phone),
    email: take('contact.email', leadFieldSchemas.email),
    zip: take('contact.zip', leadFieldSchemas.zip),
    state: take('contact.state', leadFieldSchemas.state),
    dateOfBirth: take('dateOfBirth', leadFieldSchemas.dateOfBirth),
    line: line ?? null,
    consent: take('consent', leadFieldSchemas.consent),
  };
}

function inputErrorsAsReasons(errors: InputError[]): Reason[] {
  return errors.map((e) => ({ code: e.code, field: e.field, message: e.message }));
}

/**
 * Validates a lead payload (a parsed body, or anything) and normalises it. Never throws: an
 * unexpected failure becomes the reason `internal_error`.
 */
export function validateLeadBody(body: unknown, options: ValidateOptions): ValidateBodyResult {
  try {
    const parsed = parseLeadInput(body);
    if (!parsed.ok) {
      const checked = runRules(salvage(body, parsed.errors), options);
      return {
        status: 'rejected',
        reasons: [...inputErrorsAsReasons(parsed.errors), ...checked.reasons],
        warnings: checked.warnings,
      };
    }
    const input = parsed.lead;
    const checked = runRules(
      {
        firstName: input.contact.firstName,
        lastName: input.contact.lastName,
        phone: input.contact.phone,
        email: input.contact.email,
        zip: input.contact.zip,
        state: input.contact.state,
        dateOfBirth: input.dateOfBirth,
        line: input.line,
        consent: input.consent,
        input,
      },
      options,
    );
    if (checked.reasons.length || !checked.phone || !checked.zip || !checked.consent) {
      return { status: 'rejected', reasons: checked.reasons, warnings: checked.warnings };
    }
    const lead: Lead = {
      ...input,
      contact: {
        firstName: input.contact.firstName,
        lastName: input.contact.lastName,
        email: checked.email?.email ?? null,
        phone: checked.phone.e164,
        phoneExtension: checked.phone.extension,
        phoneLineType: checked.phone.lineType,
        addressLine1: input.contact.addressLine1,
        addressLine2: input.contact.addressLine2,
        city: input.contact.city,
        state: checked.zip.state,
        zip: checked.zip.zip,
        zipPlus4: checked.zip.zipPlus4,
      },
      consent: checked.consent,
    };
    return { status: 'valid', lead, warnings: checked.warnings };
  } catch (error) {
    return {
      status: 'rejected',
      reasons: [
        reason(
          'internal_error',
          '',
          `validation failed unexpectedly: ${(error as Error)?.message ?? String(error)}`,
        ),
      ],
      warnings: [],
    };
  }
}

/**
 * Validates a leads.raw record: its parsed `lead` when ingress filled it, else its original body.
 * Collects every reason, not just the first. Never throws.
 */
export function validateLead(raw: RawLead, options: ValidateOptions): ValidateResult {
  let body: unknown;
  if (raw.lead !== null && raw.lead !== undefined) {
    body = raw.lead;
  } else {
    try {
      body = JSON.parse(raw.body);
    } catch {
      return {
        status: 'rejected',
        reasons: [reason('body_unreadable', '', 'the body is not valid JSON')],
        warnings: [],
      };
    }
  }
  const result = validateLeadBody(body, options);
  if (result.status === 'rejected') return result;
  try {
    const lead: Lead = {
      ...result.lead,
      source: { ...result.lead.source, vendorId: result.lead.source.vendorId ?? raw.vendorId },
    };
    const valid: ValidLead = {
      leadId: raw.leadId,
      receivedAt: raw.receivedAt,
      vendorId: raw.vendorId,
      channel: raw.channel,
      sale: raw.sale ?? null,
      validatedAt: options.now,
      lead,
      identities: contactIdentities(lead),
      warnings: result.warnings,
    };
    return { status: 'valid', lead: valid, warnings: result.warnings };
  } catch (error) {
    return {
      status: 'rejected',
      reasons: [
        reason(
          'internal_error',
          '',
          `validation failed unexpectedly: ${(error as Error)?.message ?? String(error)}`,
        ),
      ],
      warnings: result.warnings,
    };
  }
}

/** The leads.rejected record for a raw lead and its reasons. */
export function rejectedLead(
  raw: RawLead,
  reasons: Reason[],
  options: { now: number; stage?: string; warnings?: Reason[] },
): RejectedLead {
  return {
    leadId: raw.leadId,
    receivedAt: raw.receivedAt,
    vendorId: raw.vendorId,
    rejectedAt: options.now,
    stage: options.stage ?? 'validate',
    reasons,
    warnings: options.warnings ?? [],
    raw,
  };
}

/**
 * A lead a later stage rejects: it has the validated lead, not the raw record, whose body
 * leads.raw keeps under the same lead id. The lead's warnings go with it.
 */
export function rejectedValidLead(
  lead: ValidLead,
  reasons: Reason[],
  options: { now: number; stage: string },
): RejectedLead {
  const raw = {
    leadId: lead.leadId,
    receivedAt: lead.receivedAt,
    vendorId: lead.vendorId,
    channel: lead.channel,
    sale: lead.sale ?? null,
    body: JSON.stringify(lead.lead),
    lead: null,
  };
  return rejectedLead(raw, reasons, { ...options, warnings: lead.warnings });
}
