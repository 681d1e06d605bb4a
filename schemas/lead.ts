import { z } from 'zod';
import {
  COVERAGE_LEVEL,
  DRIVER_RELATIONSHIP,
  GENDER,
  INSURANCE_LINES,
  LIFE_POLICY_TYPE,
  MARITAL_STATUS,
  PROPERTY_OWNERSHIP,
  PROPERTY_TYPE,
  VEHICLE_OWNERSHIP,
  VEHICLE_USE,
  type LeadInput,
} from './lead-records';
import { normaliseStateInput } from './us-states';

export * from './lead-records';

/**
 * The external lead payload a vendor POSTs (HTTP ingress) or uploads (CSV/NDJSON), as zod.
 *
 * Lenient where real vendors are sloppy: strings are trimmed and "" counts as absent; phones and
 * ZIPs may be numbers (a numeric ZIP gets its leading zeros back); states may be lower case or
 * full names; numbers and booleans may come as strings ("2015", "$1,200", "yes"); enum values are
 * case-insensitive; dates may be MM/DD/YYYY; timestamps may be ISO 8601 or epoch ms/s.
 * Strict on structure: types, required fields, and bounded strings and arrays (hostile input).
 * Content rules (phone validity, email syntax, ZIP/state, consent age) belong to the validate
 * processor, so a lead with bad content still reaches leads.raw and is rejected with reasons.
 *
 * Unknown fields are kept: each goes into `extra` under its dotted path with its value as JSON text.
 */

/** Bounds against hostile input. */
export const LEAD_LIMITS = {
  name: 100,
  email: 254,
  phone: 40,
  addressLine: 200,
  city: 100,
  state: 40,
  zip: 20,
  shortText: 100,
  consentText: 5000,
  url: 2000,
  notes: 4000,
  vehicles: 10,
  drivers: 10,
  extraFields: 50,
  extraKey: 200,
  extraValue: 4000,
} as const;

export type InputErrorCode =
  | 'required'
  | 'invalid_type'
  | 'invalid_format'
  | 'invalid_value'
  | 'too_long'
  | 'too_short'
  | 'too_many_items'
  | 'out_of_range'
  | 'too_many_fields';

export interface InputError {
  /** Dotted path, e.g. contact.phone or auto.vehicles.0.year; '' for the body itself. */
  field: string;
  code: InputErrorCode;
  message: string;
}

export type ParseLeadResult = { ok: true; lead: LeadInput } | { ok: false; errors: InputError[] };

// ---------------------------------------------------------------------------------------------
// Field helpers

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function custom(ctx: z.core.ParsePayload, code: InputErrorCode, message: string): void {
  ctx.issues.push({ code: 'custom', message, params: { code }, input: ctx.value });
}

const trim = (value: unknown) => (typeof value === 'string' ? value.trim() : value);

/** A required field ('' and null count as missing). Applies `prep` (default: trim) to present values. */
function field<T extends z.ZodType>(schema: T, prep: (value: unknown) => unknown = trim) {
  return z.preprocess((value) => (isBlank(value) ? undefined : prep(value)), schema);
}
/** An optional field: absent, null or '' -> null. */
function optional<T extends z.ZodType>(schema: T, prep: (value: unknown) => unknown = trim) {
  return z.preprocess((value) => (isBlank(value) ? null : prep(value)), schema.nullable());
}

const str = (max: number) => z.string().max(max);

/** Numbers, also as strings like "2015", "$1,200.50", "250k" is not accepted. */
function toNumber(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const cleaned = value.trim().replace(/^\$/, '').replace(/,/g, '');
  if (!/^-?\d+(\.\d+)?$/.test(cleaned)) return value;
  return Number(cleaned);
}
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const num = (min: number, max: number) => z.number().min(min).max(max);

const TRUE_WORDS = new Set(['true', 'yes', 'y', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0']);
function toBoolean(value: unknown): unknown {
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : value;
  if (typeof value !== 'string') return value;
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return value;
}

/** Case-insensitive enum: "Single Family" -> single_family, with aliases. */
function enumPrep(aliases: Record<string, string> = {}) {
  return (value: unknown): unknown => {
    if (typeof value !== 'string') return value;
    const key = value
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, '_');
    return Object.hasOwn(aliases, key) ? aliases[key] : key;
  };
}

/** A string, or a number turned into one (phones, ZIPs). */
const stringOrNumber = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) ? String(value) : trim(value);

/** ZIP: a number loses its leading zeros (02134 -> 2134), so they are put back. */
function zipPrep(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
    if (value <= 99999) return String(value).padStart(5, '0');
    if (value <= 999999999) {
      const nine = String(value).padStart(9, '0');
      return `${nine.slice(0, 5)}-${nine.slice(5)}`;
    }
    return String(value);
  }
  if (typeof value !== 'string') return value;
  const zip = value.trim();
  // Spreadsheet exports drop leading zeros from ZIP columns too.
  if (/^\d{3,4}$/.test(zip)) return zip.padStart(5, '0');
  if (/^\d{7,9}$/.test(zip)) {
    const nine = zip.padStart(9, '0');
    return `${nine.slice(0, 5)}-${nine.slice(5)}`;
  }
  if (/^\d{3,4}-\d{4}$/.test(zip)) return zip.padStart(10, '0');
  return zip;
}

const DATE_FORMAT = 'a date as YYYY-MM-DD (or MM/DD/YYYY)';

/**
 * Dates: YYYY-MM-DD, YYYY/MM/DD, MM/DD/YYYY or M/D/YYYY, or an ISO timestamp (its date part),
 * normalised to YYYY-MM-DD. Only the shape is checked here: 1985-02-30 passes and is rejected by
 * validate with a precise reason.
 */
const dateString = z.string().transform((value, ctx) => {
  const text = value.trim();
  let match = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ].*)?$/.exec(text);
  if (match) return `${match[1]}-${match[2]!.padStart(2, '0')}-${match[3]!.padStart(2, '0')}`;
  match = /^(\d{1,2})[-/](\d{1,2})[-/](\d{4})$/.exec(text);
  if (match) return `${match[3]}-${match[1]!.padStart(2, '0')}-${match[2]!.padStart(2, '0')}`;
  custom(ctx, 'invalid_format', `expected ${DATE_FORMAT}`);
  return z.NEVER;
});

const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const MIN_TIMESTAMP = Date.UTC(1990, 0, 1);
const MAX_TIMESTAMP = Date.UTC(2200, 0, 1);

/** Parses an ISO 8601 date-time (a missing zone means UTC) to epoch ms, or null. */
export function parseIsoTimestamp(text: string): number | null {
  const match = ISO_TIMESTAMP.exec(text.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s = '0', frac = '0', zone = 'Z'] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 18 || om > 59) return null;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const millis = Math.floor(Number(`0.${frac}`) * 1000);
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Timestamps: ISO 8601 (with or without zone; none means UTC), or epoch milliseconds/seconds. */
const timestamp = z.union([z.string(), z.number()]).transform((value, ctx) => {
  let millis: number | null;
  if (typeof value === 'number') {
    millis = Number.isFinite(value) ? (Math.abs(value) < 1e11 ? value * 1000 : value) : null;
  } else if (/^\d{10}(\d{3})?$/.test(value.trim())) {
    const n = Number(value.trim());
    millis = value.trim().length === 10 ? n * 1000 : n;
  } else {
    millis = parseIsoTimestamp(value);
  }
  if (millis === null) {
    custom(ctx, 'invalid_format', 'expected an ISO 8601 timestamp such as 2024-05-01T13:45:00Z');
    return z.NEVER;
  }
  if (millis < MIN_TIMESTAMP || millis > MAX_TIMESTAMP) {
    custom(ctx, 'out_of_range', 'timestamp is not between 1990 and 2200');
    return z.NEVER;
  }
  return Math.round(millis);
});

function boundedArray<T extends z.ZodType>(item: T, max: number) {
  return z.preprocess((value, ctx) => {
    if (Array.isArray(value) && value.length > max) {
      custom(ctx, 'too_many_items', `at most ${max} items are allowed`);
      return z.NEVER;
    }
    return isBlank(value) ? [] : value;
  }, z.array(item));
}

// ---------------------------------------------------------------------------------------------
// The schema. Each object's shape is also recorded in a tree of known keys, so unknown keys can be
// collected into `extra` (zod itself would drop them).

interface KnownNode {
  keys: ReadonlySet<string>;
  children: Record<string, KnownNode>;
}
function node(shape: z.ZodRawShape, children: Record<string, KnownNode> = {}): KnownNode {
  return { keys: new Set(Object.keys(shape)), children };
}

const currentYear = new Date().getUTCFullYear();

const contactShape = {
  firstName: field(str(LEAD_LIMITS.name)),
  lastName: field(str(LEAD_LIMITS.name)),
  email: optional(str(LEAD_LIMITS.email), trim),
  phone: field(str(LEAD_LIMITS.phone), stringOrNumber),
  addressLine1: optional(str(LEAD_LIMITS.addressLine), trim),
  addressLine2: optional(str(LEAD_LIMITS.addressLine), trim),
  city: optional(str(LEAD_LIMITS.city), trim),
  state: field(str(LEAD_LIMITS.state), (v) => (typeof v === 'string' ? normaliseStateInput(v) : v)),
  zip: field(str(LEAD_LIMITS.zip), zipPrep),
};

const vehicleShape = {
  year: field(int(1900, currentYear + 2), toNumber),
  make: field(str(LEAD_LIMITS.shortText), trim),
  model: field(str(LEAD_LIMITS.shortText), trim),
  ownership: optional(
    z.enum(VEHICLE_OWNERSHIP),
    enumPrep({ own: 'owned', finance: 'financed', lease: 'leased' }),
  ),
  primaryUse: optional(z.enum(VEHICLE_USE), enumPrep({ commute_work: 'commute', personal: 'pleasure' })),
};

const driverShape = {
  firstName: optional(str(LEAD_LIMITS.name), trim),
  lastName: optional(str(LEAD_LIMITS.name), trim),
  dateOfBirth: optional(dateString),
  relationship: optional(
    z.enum(DRIVER_RELATIONSHIP),
    enumPrep({ insured: 'self', husband: 'spouse', wife: 'spouse' }),
  ),
  gender: optional(z.enum(GENDER), enumPrep({ m: 'male', f: 'female' })),
  maritalStatus: optional(z.enum(MARITAL_STATUS), enumPrep()),
  accidents: optional(int(0, 50), toNumber),
  violations: optional(int(0, 50), toNumber),
};

const autoShape = {
  vehicles: boundedArray(z.object(vehicleShape), LEAD_LIMITS.vehicles),
  drivers: boundedArray(z.object(driverShape), LEAD_LIMITS.drivers),
};

const propertyShape = {
  type: optional(
    z.enum(PROPERTY_TYPE),
    enumPrep({
      house: 'single_family',
      single_family_home: 'single_family',
      mobile: 'mobile_home',
      duplex: 'multi_family',
    }),
  ),
  yearBuilt: optional(int(1600, currentYear + 2), toNumber),
  squareFeet: optional(int(50, 1_000_000), toNumber),
  ownership: optional(
    z.enum(PROPERTY_OWNERSHIP),
    enumPrep({ owner: 'own', owned: 'own', renter: 'rent', rented: 'rent' }),
  ),
};

const lifeShape = {
  coverageAmount: optional(num(0, 1e9), toNumber),
  termYears: optional(int(1, 100), toNumber),
  policyType: optional(z.enum(LIFE_POLICY_TYPE), enumPrep({ term_life: 'term', whole_life: 'whole' })),
  tobacco: optional(z.boolean(), toBoolean),
};

const healthShape = {
  householdSize: optional(int(1, 30), toNumber),
  annualIncome: optional(num(0, 1e9), toNumber),
  tobacco: optional(z.boolean(), toBoolean),
  preExistingConditions: optional(z.boolean(), toBoolean),
};

const commercialShape = {
  businessName: optional(str(LEAD_LIMITS.addressLine), trim),
  employees: optional(int(0, 10_000_000), toNumber),
  industry: optional(str(LEAD_LIMITS.shortText), trim),
  annualRevenue: optional(num(0, 1e13), toNumber),
  yearsInBusiness: optional(int(0, 500), toNumber),
};

const coverageShape = {
  level: optional(
    z.enum(COVERAGE_LEVEL),
    enumPrep({
      minimum: 'state_minimum',
      state_min: 'state_minimum',
      basic: 'state_minimum',
      full: 'premium',
    }),
  ),
  startDate: optional(dateString),
};

const currentInsuranceShape = {
  currentlyInsured: optional(z.boolean(), toBoolean),
  insurer: optional(str(LEAD_LIMITS.shortText), trim),
  policyExpiry: optional(dateString),
  yearsInsured: optional(int(0, 100), toNumber),
};

const consentShape = {
  text: optional(str(LEAD_LIMITS.consentText), trim),
  timestamp: optional(timestamp),
  certificateId: optional(str(LEAD_LIMITS.url), trim),
  ipAddress: optional(str(LEAD_LIMITS.shortText), trim),
  pageUrl: optional(str(LEAD_LIMITS.url), trim),
};

const sourceShape = {
  vendorId: optional(str(64).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/), stringOrNumber),
  campaign: optional(str(LEAD_LIMITS.shortText), stringOrNumber),
  pricePaid: optional(num(0, 100_000), toNumber),
  receivedAt: optional(timestamp),
  externalId: optional(str(LEAD_LIMITS.shortText), stringOrNumber),
  subId: optional(str(LEAD_LIMITS.shortText), stringOrNumber),
};

const LINE_ALIASES: Record<string, string> = {
  car: 'auto',
  automobile: 'auto',
  vehicle: 'auto',
  homeowners: 'home',
  homeowner: 'home',
  homeowners_insurance: 'home',
  renter: 'renters',
  rental: 'renters',
  renters_insurance: 'renters',
  term_life: 'life',
  life_insurance: 'life',
  medicare_supplement: 'medicare',
  medicare_advantage: 'medicare',
  business: 'commercial',
  auto_insurance: 'auto',
  health_insurance: 'health',
};

const leadShape = {
  contact: field(z.object(contactShape)),
  dateOfBirth: optional(dateString),
  line: field(z.enum(INSURANCE_LINES), enumPrep(LINE_ALIASES)),
  auto: optional(z.object(autoShape)),
  property: optional(z.object(propertyShape)),
  life: optional(z.object(lifeShape)),
  health: optional(z.object(healthShape)),
  commercial: optional(z.object(commercialShape)),
  coverage: optional(z.object(coverageShape)),
  currentInsurance: optional(z.object(currentInsuranceShape)),
  consent: optional(z.object(consentShape)),
  source: z.preprocess((value) => (isBlank(value) ? {} : value), z.object(sourceShape)),
  notes: optional(str(LEAD_LIMITS.notes), trim),
  // Built by collectExtras (never from the body directly); z.custom keeps the object as it is,
  // where z.record would copy it and lose a "__proto__" key.
  extra: z.custom<Record<string, string>>(
    (value) => isPlainObject(value) && Object.values(value).every((item) => typeof item === 'string'),
  ),
};

/**
 * What a ping (ping-post) says of a lead, parsed like the lead's own fields: its line, state, ZIP
 * and campaign. The post's full lead must agree with them.
 */
export const pingShape = {
  line: leadShape.line,
  state: contactShape.state,
  zip: contactShape.zip,
  campaign: sourceShape.campaign,
};

const KNOWN: KnownNode = node(leadShape, {
  contact: node(contactShape),
  auto: node(autoShape, { vehicles: node(vehicleShape), drivers: node(driverShape) }),
  property: node(propertyShape),
  life: node(lifeShape),
  health: node(healthShape),
  commercial: node(commercialShape),
  coverage: node(coverageShape),
  currentInsurance: node(currentInsuranceShape),
  consent: node(consentShape),
  source: node(sourceShape),
});

/**
 * Collects the fields the schema does not know into a flat map (dotted path -> JSON text), plus
 * what a client put in `extra` itself (string values verbatim, others as JSON). Bounded in count
 * and size.
 */
function collectExtras(
  body: Record<string, unknown>,
  ctx: z.core.ParsePayload,
): Record<string, string> | null {
  const entries: [string, string][] = [];
  let ok = true;
  const fail = (path: string, code: InputErrorCode, message: string) => {
    ok = false;
    ctx.issues.push({ code: 'custom', message, params: { code }, path: path.split('.'), input: undefined });
  };
  const add = (path: string, value: unknown, verbatimStrings: boolean) => {
    if (entries.length >= LEAD_LIMITS.extraFields) {
      if (ok) fail('extra', 'too_many_fields', `at most ${LEAD_LIMITS.extraFields} unknown fields are kept`);
      return;
    }
    if (path.length > LEAD_LIMITS.extraKey) {
      fail('extra', 'too_long', `unknown field name longer than ${LEAD_LIMITS.extraKey} characters`);
      return;
    }
    let text: string | undefined;
    try {
      text = verbatimStrings && typeof value === 'string' ? value : JSON.stringify(value);
    } catch {
      text = undefined;
    }
    if (text === undefined) {
      fail(path, 'invalid_value', 'value cannot be represented as JSON');
      return;
    }
    if (text.length > LEAD_LIMITS.extraValue) {
      fail(path, 'too_long', `unknown field value longer than ${LEAD_LIMITS.extraValue} characters`);
      return;
    }
    entries.push([path, text]);
  };
  const walk = (value: Record<string, unknown>, known: KnownNode, prefix: string) => {
    for (const key of Object.keys(value)) {
      const path = prefix + key;
      const child = value[key];
      if (!known.keys.has(key)) {
        add(path, child, false);
        continue;
      }
      const sub = known.children[key];
      if (!sub) continue;
      if (isPlainObject(child)) walk(child, sub, `${path}.`);
      else if (Array.isArray(child) && child.length <= LEAD_LIMITS.vehicles) {
        child.forEach((item, index) => {
          if (isPlainObject(item)) walk(item, sub, `${path}.${index}.`);
        });
      }
    }
  };
  const { extra, ...rest } = body;
  walk(rest, KNOWN, '');
  if (extra !== undefined && extra !== null) {
    if (!isPlainObject(extra)) {
      fail('extra', 'invalid_type', 'expected an object of extra fields');
    } else {
      for (const key of Object.keys(extra)) add(key, extra[key], true);
    }
  }
  if (!ok) return null;
  // fromEntries defines own properties, so a "__proto__" key stays data.
  return Object.fromEntries(entries);
}

/** The lead payload schema; `parseLeadInput` wraps it with field-level errors. */
export const leadInputSchema = z.preprocess((body, ctx) => {
  if (!isPlainObject(body)) return body;
  const extra = collectExtras(body, ctx);
  if (extra === null) return z.NEVER;
  return { ...body, extra };
}, z.object(leadShape));

// ---------------------------------------------------------------------------------------------
// Errors

const MAX_ERRORS = 50;

/** One zod issue as a field-level error with a stable code (also used for request envelopes). */
export function toInputError(issue: z.core.$ZodIssue): InputError {
  const field = issue.path.map(String).join('.');
  const name = field || 'body';
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return { field, code: 'required', message: `${name} is required` };
      return {
        field,
        code: 'invalid_type',
        message: `${name}: expected ${issue.expected === 'int' ? 'an integer' : issue.expected}, got ${describe(issue.input)}`,
      };
    case 'too_big':
      if (issue.origin === 'string')
        return { field, code: 'too_long', message: `${name} must be at most ${issue.maximum} characters` };
      if (issue.origin === 'array')
        return { field, code: 'too_many_items', message: `${name} allows at most ${issue.maximum} items` };
      return { field, code: 'out_of_range', message: `${name} must be at most ${issue.maximum}` };
    case 'too_small':
      if (issue.origin === 'string')
        return { field, code: 'too_short', message: `${name} must be at least ${issue.minimum} characters` };
      return { field, code: 'out_of_range', message: `${name} must be at least ${issue.minimum}` };
    case 'invalid_format':
      return { field, code: 'invalid_format', message: `${name} has an invalid format` };
    case 'invalid_value':
      return {
        field,
        code: 'invalid_value',
        message: `${name} must be one of ${issue.values.map((v) => String(v)).join(', ')}`,
      };
    case 'invalid_union':
      return {
        field,
        code: 'invalid_type',
        message: `${name} has an invalid type (${describe(issue.input)})`,
      };
    case 'custom': {
      const code = (issue.params?.code as InputErrorCode | undefined) ?? 'invalid_value';
      return { field, code, message: `${name}: ${issue.message}` };
    }
    default:
      return { field, code: 'invalid_value', message: `${name}: ${issue.message}` };
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/**
 * Parses an external lead payload. Returns the lead with absent optional fields as null and
 * unknown fields in `extra`, or every field-level error (path, stable code, message).
 */
export function parseLeadInput(body: unknown): ParseLeadResult {
  const first = leadInputSchema.safeParse(body);
  if (first.success) return { ok: true, lead: first.data };
  // Parse again with inputs in the issues (slower), to tell a missing field from a wrong one.
  const result = leadInputSchema.safeParse(body, { reportInput: true });
  if (result.success) return { ok: true, lead: result.data };
  const seen = new Set<string>();
  const errors: InputError[] = [];
  for (const issue of result.error.issues) {
    const error = toInputError(issue);
    const key = `${error.field}\u0000${error.code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push(error);
    if (errors.length >= MAX_ERRORS) break;
  }
  return { ok: false, errors };
}

/** Compile-time check: the zod output is exactly the hand-written LeadInput (and so the Avro record). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const _leadInputMatches: Equal<z.output<typeof leadInputSchema>, LeadInput> = true;
void _leadInputMatches;

/** Individual field schemas, for checking parts of a body that failed as a whole. */
export const leadFieldSchemas = {
  phone: contactShape.phone,
  email: contactShape.email,
  state: contactShape.state,
  zip: contactShape.zip,
  firstName: contactShape.firstName,
  lastName: contactShape.lastName,
  dateOfBirth: leadShape.dateOfBirth,
  line: leadShape.line,
  consent: leadShape.consent,
  campaign: sourceShape.campaign,
};
