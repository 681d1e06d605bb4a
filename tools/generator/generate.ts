/**
 * Deterministic generator of realistic insurance leads (bodies for the lead API), with a controlled
 * share of bad records and a hidden conversion propensity per lead, returned separately so models
 * can be trained and evaluated later. Same options (seed, count, badShare, now) -> same output,
 * byte for byte.
 */
import type { InsuranceLine } from '../../schemas/lead';
import { DAY_MS, formatDateOnly, utcDate } from '../../processors/common/dates';
import { zipDb, type ZipRecord } from '../../processors/enrich/zipdb';
import { emailIdentity } from '../../processors/validate/email';
import { checkPhone } from '../../processors/validate/phone';
import {
  AREA_CODES,
  CONSENT_TEXT,
  DIRECTIONS,
  DISPOSABLE_DOMAINS,
  EMAIL_DOMAINS,
  FIRST_NAMES_FEMALE,
  FIRST_NAMES_MALE,
  INDUSTRIES,
  INSURERS,
  LAST_NAMES,
  NOTES,
  STREET_NAMES,
  STREET_SUFFIXES,
  UNIT_FORMATS,
  VEHICLES,
  type Intent,
} from './data';
import { createRng, seedTag, type Rng } from '../../models/prng';
import { BASE_PRICE, VENDORS, type VendorProfile } from './vendors';

export const BAD_KINDS = [
  'invalid_phone',
  'zip_state_mismatch',
  'missing_consent',
  'stale_consent',
  'duplicate',
  'malformed_email',
  'malformed_date',
  'disposable_email',
] as const;
export type BadKind = (typeof BAD_KINDS)[number];

/** Relative frequency of each kind among bad records. */
const BAD_KIND_WEIGHTS: Record<BadKind, number> = {
  invalid_phone: 20,
  zip_state_mismatch: 12,
  missing_consent: 12,
  stale_consent: 10,
  duplicate: 18,
  malformed_email: 10,
  malformed_date: 8,
  disposable_email: 10,
};

/**
 * The reason codes validate gives for each kind (any one of them). Duplicates pass the pure rules;
 * the stateful duplicate check rejects them as duplicate_contact.
 */
export const EXPECTED_REASONS: Record<BadKind, readonly string[]> = {
  invalid_phone: ['phone_invalid', 'phone_fictitious', 'phone_toll_free', 'phone_not_us'],
  zip_state_mismatch: ['zip_state_mismatch'],
  missing_consent: ['consent_missing', 'consent_certificate_missing'],
  stale_consent: ['consent_stale'],
  duplicate: ['duplicate_contact'],
  malformed_email: ['email_invalid'],
  malformed_date: ['dob_invalid', 'dob_in_future', 'dob_implausible'],
  disposable_email: ['email_disposable'],
};

/** A lead body as a vendor would POST it (JSON), sloppiness included. */
export interface LeadBody {
  contact: {
    firstName: string;
    lastName: string;
    email?: string;
    phone: string | number;
    addressLine1?: string;
    addressLine2?: string;
    city?: string;
    state: string;
    zip: string | number;
    [extra: string]: unknown;
  };
  dateOfBirth?: string;
  line: string;
  auto?: { vehicles: Record<string, unknown>[]; drivers: Record<string, unknown>[] };
  property?: Record<string, unknown>;
  life?: Record<string, unknown>;
  health?: Record<string, unknown>;
  commercial?: Record<string, unknown>;
  coverage?: Record<string, unknown>;
  currentInsurance?: Record<string, unknown>;
  consent?: {
    text?: string;
    timestamp?: string;
    certificateId?: string;
    ipAddress?: string;
    pageUrl?: string;
  };
  source: {
    vendorId: string;
    campaign: string;
    pricePaid: number | string;
    receivedAt: string;
    externalId: string;
    subId?: string;
  };
  notes?: string;
  [extra: string]: unknown;
}

export interface LeadOutcome {
  externalId: string;
  vendorId: string;
  line: InsuranceLine;
  /** Hidden probability that the lead converts (0-1). Never in the body. */
  propensity: number;
  /** Sampled outcome. */
  converted: 0 | 1;
  /** Set for deliberately bad records. */
  badKind?: BadKind;
}

export interface GenerateOptions {
  count: number;
  seed: string | number;
  /** Share of bad records, 0..1; default 0.12. */
  badShare?: number;
  /**
   * The instant leads are generated "at": consent and capture times fall in the 72 hours before it.
   * Default: the start of the current UTC day (so runs on the same day are identical; pass it for
   * full reproducibility).
   */
  now?: number;
}

export interface GeneratedLeads {
  leads: LeadBody[];
  outcomes: LeadOutcome[];
}

export const DEFAULT_BAD_SHARE = 0.12;

// ---------------------------------------------------------------------------------------------

interface ZipSampler {
  records: ZipRecord[];
  cumulative: Float64Array;
  total: number;
  byState: Map<string, ZipRecord[]>;
}

let sampler: ZipSampler | undefined;

/** Population-weighted ZIPs (ZCTAs with residents, in states we have area codes for). */
function zipSampler(): ZipSampler {
  if (sampler) return sampler;
  const records = zipDb()
    .all()
    .filter((r) => r.precision === 'zip' && (r.population ?? 0) > 0 && AREA_CODES[r.state] && r.timeZone);
  const cumulative = new Float64Array(records.length);
  let total = 0;
  records.forEach((record, index) => {
    total += record.population!;
    cumulative[index] = total;
  });
  const byState = new Map<string, ZipRecord[]>();
  for (const record of records) {
    let list = byState.get(record.state);
    if (!list) byState.set(record.state, (list = []));
    list.push(record);
  }
  sampler = { records, cumulative, total, byState };
  return sampler;
}

function sampleZip(rng: Rng): ZipRecord {
  const s = zipSampler();
  const target = rng.next() * s.total;
  let lo = 0;
  let hi = s.cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s.cumulative[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return s.records[lo]!;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const iso = (epochMs: number) => new Date(epochMs).toISOString().replace('.000Z', 'Z');

function hex(rng: Rng, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += '0123456789abcdef'[rng.int(0, 15)];
  return out;
}

function fold(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}

function sloppyCase(rng: Rng, vendor: VendorProfile, text: string): string {
  if (!rng.bool(vendor.sloppiness * 0.5)) return text;
  return rng.bool(0.5) ? text.toUpperCase() : text.toLowerCase();
}

/** A valid phone in one of the states' area codes, as 10 national digits. */
function makePhone(rng: Rng, state: string): string {
  const codes = AREA_CODES[state] ?? AREA_CODES.CA!;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const area = rng.pick(codes);
    const exchange = rng.int(201, 999);
    if (
      exchange % 100 === 11 ||
      exchange === 555 ||
      exchange === 950 ||
      exchange === 958 ||
      exchange === 959 ||
      exchange === 976
    ) {
      continue;
    }
    const national = `${area}${exchange}${pad(rng.int(0, 9999), 4)}`;
    if (checkPhone(`+1${national}`).value) return national;
  }
  return '4155552671';
}

function formatPhone(rng: Rng, vendor: VendorProfile, national: string): string | number {
  const a = national.slice(0, 3);
  const e = national.slice(3, 6);
  const l = national.slice(6);
  if (rng.bool(vendor.sloppiness * 0.3)) return Number(national);
  return rng.weighted(
    [
      `(${a}) ${e}-${l}`,
      `${a}-${e}-${l}`,
      national,
      `+1 ${a} ${e} ${l}`,
      `1-${a}-${e}-${l}`,
      `${a}.${e}.${l}`,
      `+1${national}`,
    ],
    [30, 25, 15, 10, 6, 6, 8],
  );
}

function makeEmail(rng: Rng, first: string, last: string): string {
  const f = fold(first) || 'lead';
  const l = fold(last) || 'person';
  const domain = rng.weighted(
    EMAIL_DOMAINS.map(([d]) => d),
    EMAIL_DOMAINS.map(([, w]) => w),
  );
  const year = rng.int(60, 99);
  const local = rng.weighted(
    [
      `${f}.${l}`,
      `${f}${l}`,
      `${f[0]}${l}`,
      `${f}.${l}${rng.int(1, 99)}`,
      `${f}_${l}`,
      `${f}${l}${year}`,
      `${l}.${f}`,
    ],
    [25, 15, 15, 15, 8, 12, 10],
  );
  return `${local}@${domain}`;
}

const AGE: Record<InsuranceLine, [mean: number, sd: number, min: number, max: number]> = {
  auto: [42, 14, 18, 82],
  home: [48, 13, 22, 85],
  renters: [31, 8, 18, 70],
  life: [44, 11, 20, 75],
  health: [40, 12, 18, 64],
  medicare: [68, 4, 62, 92],
  commercial: [47, 11, 22, 80],
};

function makeDob(rng: Rng, line: InsuranceLine, now: number): { dob: string; age: number } {
  const [mean, sd, min, max] = AGE[line];
  const age = Math.round(Math.min(max, Math.max(min, mean + sd * rng.normal())));
  const today = utcDate(now);
  const anchor = Date.UTC(today.year - age, today.month - 1, Math.min(today.day, 28));
  return { dob: formatDateOnly(utcDate(anchor - rng.int(1, 360) * DAY_MS)), age };
}

function usDate(dob: string): string {
  const [y, m, d] = dob.split('-');
  return `${m}/${d}/${y}`;
}

function yesNo(rng: Rng, vendor: VendorProfile, value: boolean): boolean | string {
  return rng.bool(vendor.sloppiness) ? (value ? 'Yes' : 'No') : value;
}

function details(
  rng: Rng,
  vendor: VendorProfile,
  line: InsuranceLine,
  person: { first: string; last: string; dob: string; gender: 'male' | 'female'; age: number },
  now: number,
): Partial<LeadBody> {
  const year = utcDate(now).year;
  switch (line) {
    case 'auto': {
      const vehicles = Array.from({ length: rng.weighted([1, 2, 3], [60, 30, 10]) }, () => {
        const [make, model] = rng.pick(VEHICLES);
        const vehicle: Record<string, unknown> = { year: rng.int(year - 18, year + 1), make, model };
        if (rng.bool(0.7)) vehicle.ownership = rng.weighted(['owned', 'financed', 'leased'], [50, 35, 15]);
        if (rng.bool(0.6))
          vehicle.primaryUse = rng.weighted(['commute', 'pleasure', 'business', 'rideshare'], [60, 30, 7, 3]);
        if (rng.bool(vendor.sloppiness * 0.5)) vehicle.year = String(vehicle.year);
        return vehicle;
      });
      const married = rng.bool(0.45);
      const drivers: Record<string, unknown>[] = [];
      if (rng.bool(vendor.completeness)) {
        drivers.push({
          firstName: person.first,
          lastName: person.last,
          dateOfBirth: person.dob,
          relationship: 'self',
          gender: person.gender,
          maritalStatus: married ? 'married' : rng.pick(['single', 'divorced', 'single']),
          accidents: rng.weighted([0, 1, 2], [82, 14, 4]),
          violations: rng.weighted([0, 1, 2, 3], [75, 17, 6, 2]),
        });
        if (married && rng.bool(0.6)) {
          drivers.push({
            firstName: rng.pick(person.gender === 'male' ? FIRST_NAMES_FEMALE : FIRST_NAMES_MALE),
            lastName: person.last,
            relationship: 'spouse',
            maritalStatus: 'married',
          });
        }
      }
      return { auto: { vehicles, drivers } };
    }
    case 'home':
    case 'renters': {
      const renter = line === 'renters';
      const property: Record<string, unknown> = {
        type: renter
          ? rng.weighted(['apartment', 'condo', 'townhouse', 'single_family'], [60, 15, 10, 15])
          : rng.weighted(
              ['single_family', 'condo', 'townhouse', 'mobile_home', 'multi_family'],
              [72, 10, 9, 5, 4],
            ),
        ownership: renter ? 'rent' : 'own',
      };
      if (!renter || rng.bool(0.3)) property.yearBuilt = rng.int(1920, year - 1);
      if (!renter || rng.bool(0.4)) property.squareFeet = renter ? rng.int(450, 1600) : rng.int(800, 4500);
      if (rng.bool(vendor.sloppiness * 0.5))
        property.type = String(property.type).replace('_', ' ').toUpperCase();
      return { property };
    }
    case 'life': {
      const policyType = rng.weighted(['term', 'whole', 'final_expense'], [70, 20, 10]);
      const life: Record<string, unknown> = {
        coverageAmount: rng.pick([100_000, 250_000, 500_000, 750_000, 1_000_000]),
        policyType,
        tobacco: yesNo(rng, vendor, rng.bool(0.12)),
      };
      if (policyType === 'term') life.termYears = rng.pick([10, 20, 30]);
      if (policyType === 'final_expense') life.coverageAmount = rng.pick([10_000, 15_000, 25_000]);
      return { life };
    }
    case 'health':
    case 'medicare': {
      const medicare = line === 'medicare';
      const health: Record<string, unknown> = {
        householdSize: medicare
          ? rng.weighted([1, 2], [45, 55])
          : rng.weighted([1, 2, 3, 4, 5], [30, 25, 18, 17, 10]),
        tobacco: yesNo(rng, vendor, rng.bool(0.14)),
      };
      if (!medicare) health.annualIncome = rng.int(18, 160) * 1000;
      if (medicare || rng.bool(0.4)) health.preExistingConditions = yesNo(rng, vendor, rng.bool(0.35));
      return { health };
    }
    case 'commercial': {
      const [industry, word] = rng.pick(INDUSTRIES);
      const owner = fold(person.last) ? person.last : 'Summit';
      return {
        commercial: {
          businessName: `${owner} ${word} ${rng.pick(['LLC', 'Inc.', 'Co.', 'Group'])}`,
          employees: rng.weighted([1, 3, 8, 20, 60, 150], [25, 25, 20, 15, 10, 5]),
          industry,
          annualRevenue: rng.int(8, 500) * 10_000,
          yearsInBusiness: rng.int(0, 35),
        },
      };
    }
  }
}

const INSURED_RATE: Record<InsuranceLine, number> = {
  auto: 0.8,
  home: 0.85,
  renters: 0.35,
  life: 0.3,
  health: 0.6,
  medicare: 0.7,
  commercial: 0.65,
};

const BASE_LOGIT: Record<InsuranceLine, number> = {
  auto: -2.3,
  home: -2.5,
  renters: -2.9,
  life: -2.8,
  health: -2.6,
  medicare: -2.2,
  commercial: -2.7,
};

const INTENT_EFFECT: Record<Intent | 'none', number> = {
  urgent: 0.9,
  expiring: 0.6,
  shopping: 0.2,
  browsing: -0.7,
  neutral: 0,
  none: 0,
};

/** Multiplies the propensity of a bad record: a lead that cannot be reached converts less. */
const BAD_EFFECT: Record<BadKind, number> = {
  invalid_phone: 0.05,
  zip_state_mismatch: 0.6,
  missing_consent: 0.8,
  stale_consent: 0.4,
  duplicate: 0.5,
  malformed_email: 0.7,
  malformed_date: 0.8,
  disposable_email: 0.3,
};

function ageEffect(line: InsuranceLine, age: number): number {
  switch (line) {
    case 'auto':
      return age < 25 ? -0.4 : age >= 70 ? -0.3 : 0.1;
    case 'life':
      return age >= 30 && age <= 55 ? 0.3 : age > 65 ? -0.4 : 0;
    case 'medicare':
      return age >= 64 && age <= 70 ? 0.5 : 0;
    case 'health':
      return age >= 26 ? 0.1 : -0.1;
    default:
      return 0;
  }
}

const USER_AGENTS = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'Mozilla/5.0 (Linux; Android 14; SM-S918U) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36',
];

interface Clean {
  body: LeadBody;
  propensityLogit: number;
  vendor: VendorProfile;
  line: InsuranceLine;
  state: string;
  national: string;
  email: string | undefined;
  dob: string;
}

/** Phones and email identities already handed out: random people must not collide by accident. */
interface Used {
  phones: Set<string>;
  emails: Set<string>;
}

function cleanLead(
  rng: Rng,
  index: number,
  vendor: VendorProfile,
  now: number,
  tag: string,
  used: Used,
): Clean {
  const lines = Object.keys(vendor.lineMix) as InsuranceLine[];
  const line = rng.weighted(
    lines,
    lines.map((l) => vendor.lineMix[l]!),
  );
  const zip = sampleZip(rng);
  const gender = rng.bool(0.5) ? 'female' : 'male';
  const first = rng.pick(gender === 'female' ? FIRST_NAMES_FEMALE : FIRST_NAMES_MALE);
  const last = rng.pick(LAST_NAMES);
  const { dob, age } = makeDob(rng, line, now);
  let national = makePhone(rng, zip.state);
  for (let attempt = 0; used.phones.has(national) && attempt < 20; attempt += 1)
    national = makePhone(rng, zip.state);
  used.phones.add(national);
  const filled = () => rng.bool(vendor.completeness);

  const capturedAt = now - rng.int(60, 72 * 3600) * 1000;
  const contact: LeadBody['contact'] = {
    firstName: sloppyCase(rng, vendor, first) + (rng.bool(vendor.sloppiness * 0.2) ? ' ' : ''),
    lastName: sloppyCase(rng, vendor, last),
    phone: formatPhone(rng, vendor, national),
    state: zip.state,
    zip: zip.zip,
  };
  let email = rng.bool(Math.min(0.98, vendor.completeness + 0.06)) ? makeEmail(rng, first, last) : undefined;
  for (let attempt = 0; email && used.emails.has(emailIdentity(email) ?? email); attempt += 1) {
    // Common names collide: people then add digits, as real addresses show.
    const [local, domain] = email.split('@') as [string, string];
    email = `${local.replace(/\d+$/, '')}${rng.int(1, attempt < 5 ? 999 : 99999)}@${domain}`;
  }
  if (email) used.emails.add(emailIdentity(email) ?? email);
  if (email)
    contact.email = rng.bool(vendor.sloppiness * 0.3) ? email.replace(/^./, (c) => c.toUpperCase()) : email;
  if (filled()) {
    const direction = rng.bool(0.12) ? `${rng.pick(DIRECTIONS)} ` : '';
    contact.addressLine1 = `${rng.int(1, 9999)} ${direction}${rng.pick(STREET_NAMES)} ${rng.pick(STREET_SUFFIXES)}`;
    if (rng.bool(0.14)) {
      contact.addressLine2 = rng
        .pick(UNIT_FORMATS)
        .replace(
          '{n}',
          rng.bool(0.7) ? String(rng.int(1, 40)) : `${rng.int(1, 9)}${rng.pick(['A', 'B', 'C'])}`,
        );
    }
  }
  if (rng.bool(0.9)) contact.city = sloppyCase(rng, vendor, zip.city);
  // Reorder so the body reads naturally: address before state/zip.
  const { state, zip: zipCode, ...rest } = contact;
  const orderedContact: LeadBody['contact'] = { ...rest, state, zip: zipCode };
  if (rng.bool(vendor.sloppiness * 0.5)) orderedContact.state = state.toLowerCase();
  if (rng.bool(vendor.sloppiness * 0.3)) orderedContact.zip = Number(zipCode);
  else if (rng.bool(0.1)) orderedContact.zip = `${zipCode}-${pad(rng.int(1, 9999), 4)}`;

  // `source` and the rest are filled below, in the order a vendor would write them.
  const body = { contact: orderedContact, line } as LeadBody;
  const hasDob = line === 'life' || line === 'health' || line === 'medicare' || filled();
  if (hasDob) body.dateOfBirth = rng.bool(vendor.sloppiness * 0.5) ? usDate(dob) : dob;
  if (rng.bool(vendor.sloppiness * 0.3))
    body.line = rng.pick([line.toUpperCase(), `${line[0]!.toUpperCase()}${line.slice(1)}`]);

  const hasDetails = filled() || rng.bool(0.5);
  if (hasDetails) Object.assign(body, details(rng, vendor, line, { first, last, dob, gender, age }, now));

  if (rng.bool(0.55)) {
    const coverage: Record<string, unknown> = {
      level: rng.weighted(['state_minimum', 'standard', 'premium'], [25, 55, 20]),
    };
    if (rng.bool(0.4)) coverage.startDate = formatDateOnly(utcDate(now + rng.int(0, 30) * DAY_MS));
    body.coverage = coverage;
  }
  const insured = rng.bool(INSURED_RATE[line]);
  const current: Record<string, unknown> = { currentlyInsured: yesNo(rng, vendor, insured) };
  if (insured) {
    if (filled()) current.insurer = rng.pick(INSURERS[line]);
    if (rng.bool(0.6)) current.policyExpiry = formatDateOnly(utcDate(now + rng.int(5, 200) * DAY_MS));
    if (rng.bool(0.5)) current.yearsInsured = rng.int(0, 15);
  }
  if (rng.bool(0.85)) body.currentInsurance = current;

  const ip = `${rng.pick(['198.51.100', '203.0.113', '192.0.2'])}.${rng.int(1, 254)}`;
  const certificateId =
    vendor.certificate === 'trustedform'
      ? rng.bool(0.5)
        ? `https://cert.trustedform.com/${hex(rng, 40)}`
        : hex(rng, 40)
      : `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-${rng.pick(['8', '9', 'a', 'b'])}${hex(rng, 3)}-${hex(rng, 12)}`.toUpperCase();
  const consentAt = capturedAt - rng.int(5, 300) * 1000;
  body.consent = {
    text: CONSENT_TEXT.replace('{vendor}', vendor.name),
    timestamp: rng.bool(vendor.sloppiness * 0.3)
      ? iso(consentAt).replace('T', ' ').replace('Z', '')
      : iso(consentAt),
    certificateId,
    ipAddress: ip,
    pageUrl: `https://${vendor.id}.example/quote/${line}`,
  };

  const price = Math.round(BASE_PRICE[line] * vendor.priceFactor * (0.85 + 0.3 * rng.next()) * 100) / 100;
  body.source = {
    vendorId: vendor.id,
    campaign: rng.pick(vendor.campaigns),
    pricePaid: rng.bool(vendor.sloppiness * 0.3) ? `$${price.toFixed(2)}` : price,
    receivedAt: iso(capturedAt + rng.int(1, 90) * 1000),
    externalId: `${vendor.id.slice(0, 4)}-${tag}-${pad(index + 1, 7)}`,
  };
  if (rng.bool(0.3)) body.source.subId = `aff-${rng.int(100, 999)}`;

  const intents: (Intent | 'none')[] = ['urgent', 'expiring', 'shopping', 'browsing', 'neutral', 'none'];
  const intent = rng.weighted(
    intents,
    intents.map((i) => vendor.intent[i]),
  );
  if (intent !== 'none') body.notes = rng.pick(NOTES[intent]);

  for (const extra of vendor.extras) {
    if (extra === 'sub_id') body.sub_id = `${rng.int(10000, 99999)}`;
    else if (extra === 'ip_address') body.ip_address = ip;
    else if (extra === 'user_agent') body.user_agent = rng.pick(USER_AGENTS);
    else if (extra === 'landing_page')
      body.landing_page = `https://${vendor.id}.example/lp/${rng.pick(['a', 'b', 'c'])}`;
    else body.contact.preferredContactTime = rng.pick(['morning', 'afternoon', 'evening']);
  }

  // Hidden propensity (log-odds), before any bad-record damage.
  const present = [
    email,
    contact.addressLine1,
    body.dateOfBirth,
    hasDetails ? 1 : undefined,
    current.insurer,
    body.notes,
  ];
  const completeness = present.filter((v) => v !== undefined).length / present.length;
  const insuredEffect = line === 'auto' || line === 'home' ? (insured ? 0.35 : -0.2) : 0;
  const propensityLogit =
    BASE_LOGIT[line] +
    ageEffect(line, age) +
    vendor.quality +
    INTENT_EFFECT[intent] +
    1.2 * (completeness - 0.5) +
    insuredEffect +
    0.35 * rng.normal();

  return { body, propensityLogit, vendor, line, state: zip.state, national, email, dob };
}

/** Breaks a clean lead in the way a bad record of `kind` is broken. */
function spoil(rng: Rng, lead: Clean, kind: Exclude<BadKind, 'duplicate'>, now: number): void {
  const { body } = lead;
  switch (kind) {
    case 'invalid_phone': {
      const a = lead.national.slice(0, 3);
      body.contact.phone = rng.pick([
        `(${a}) 555-01${pad(rng.int(0, 99))}`,
        `123-${rng.int(200, 999)}-${pad(rng.int(0, 9999), 4)}`,
        `${a}-${rng.int(200, 999)}-${pad(rng.int(0, 999), 3)}`,
        `1-800-${rng.int(200, 999)}-${pad(rng.int(0, 9999), 4)}`,
        `+44 20 7946 0${pad(rng.int(0, 999), 3)}`,
        `${rng.int(100, 199)}${rng.int(200, 999)}${pad(rng.int(0, 9999), 4)}`,
      ]);
      return;
    }
    case 'zip_state_mismatch': {
      const states = [...zipSampler().byState.keys()]
        .filter((s) => s !== lead.state && s.length === 2)
        .sort();
      body.contact.state = rng.pick(states);
      return;
    }
    case 'missing_consent':
      if (rng.bool(0.7)) delete body.consent;
      else delete body.consent!.certificateId;
      return;
    case 'stale_consent':
      body.consent!.timestamp = iso(now - rng.int(95, 400) * DAY_MS - rng.int(0, 86_399) * 1000);
      return;
    case 'malformed_email': {
      const [local, domain] = (lead.email ?? 'pat.lee@gmail.com').split('@') as [string, string];
      body.contact.email = rng.pick([
        `${local}@${domain.split('.')[0]}`,
        `${local}.${domain}`,
        `${local.replace(/[._]/, ' ')} x@${domain}`,
        `${local}@@${domain}`,
        `@${domain}`,
        `${local}..x@${domain}`,
      ]);
      return;
    }
    case 'malformed_date': {
      const year = utcDate(now).year;
      body.dateOfBirth = rng.pick([
        `${rng.int(1950, 2000)}-02-30`,
        `${rng.int(1950, 2000)}-13-${pad(rng.int(1, 28))}`,
        `${year + 1}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}`,
        `${year - rng.int(2, 12)}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}`,
        `18${rng.int(50, 99)}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}`,
      ]);
      return;
    }
    case 'disposable_email': {
      const local = (lead.email ?? 'pat.lee@gmail.com').split('@')[0]!;
      body.contact.email = `${local}@${rng.pick(DISPOSABLE_DOMAINS)}`;
      return;
    }
  }
}

/** A resubmission of an earlier lead: same person, reformatted, often through another vendor. */
function duplicateOf(rng: Rng, original: Clean, index: number, now: number, tag: string): LeadBody {
  const body = structuredClone(original.body);
  const vendor = rng.bool(0.5) ? original.vendor : rng.pick(VENDORS);
  body.contact.phone = formatPhone(rng, vendor, original.national);
  if (original.email) {
    const [local, domain] = original.email.split('@') as [string, string];
    const variants = [original.email, original.email.toUpperCase(), `${local}@${domain.toUpperCase()}`];
    if (domain === 'gmail.com')
      variants.push(`${local.replace(/\./g, '')}@gmail.com`, `${local}+quotes@gmail.com`);
    body.contact.email = rng.pick(variants);
  }
  const capturedAt = now - rng.int(60, 24 * 3600) * 1000;
  body.consent = { ...body.consent, timestamp: iso(capturedAt - rng.int(5, 300) * 1000) };
  body.source = {
    ...body.source,
    vendorId: vendor.id,
    campaign: rng.pick(vendor.campaigns),
    receivedAt: iso(capturedAt + rng.int(1, 90) * 1000),
    externalId: `${vendor.id.slice(0, 4)}-${tag}-${pad(index + 1, 7)}`,
  };
  return body;
}

function startOfUtcDay(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS) * DAY_MS;
}

export function generateLeads(options: GenerateOptions): GeneratedLeads {
  const { count, seed } = options;
  const badShare = options.badShare ?? DEFAULT_BAD_SHARE;
  if (!Number.isInteger(count) || count < 0) throw new Error('count must be a non-negative integer');
  if (!(badShare >= 0 && badShare <= 1)) throw new Error('badShare must be between 0 and 1');
  const now = options.now ?? startOfUtcDay(Date.now());
  const rng = createRng(`leadflow-generator/${seed}`);
  const tag = seedTag(seed);

  // Vendors' bad rates, scaled so that the expected share over all leads is badShare.
  const totalVolume = VENDORS.reduce((sum, v) => sum + v.volume, 0);
  const meanBadFactor = VENDORS.reduce((sum, v) => sum + (v.volume / totalVolume) * v.badFactor, 0);
  const badRate = new Map(
    VENDORS.map((v) => [v.id, Math.min(0.95, (badShare * v.badFactor) / meanBadFactor)]),
  );
  // With the cap the expectation could fall short for extreme shares; top it up evenly.
  const expected = VENDORS.reduce((sum, v) => sum + (v.volume / totalVolume) * badRate.get(v.id)!, 0);
  const topUp = expected < badShare ? (badShare - expected) / (1 - expected) : 0;

  const kinds = [...BAD_KINDS];
  const kindWeights = kinds.map((k) => BAD_KIND_WEIGHTS[k]);
  const leads: LeadBody[] = [];
  const outcomes: LeadOutcome[] = [];
  const cleanOnes: Clean[] = [];
  const used: Used = { phones: new Set(), emails: new Set() };

  for (let index = 0; index < count; index += 1) {
    const vendor = rng.weighted(
      VENDORS,
      VENDORS.map((v) => v.volume),
    );
    const isBad = badShare > 0 && (rng.bool(badRate.get(vendor.id)!) || (topUp > 0 && rng.bool(topUp)));
    let kind: BadKind | undefined = isBad ? rng.weighted(kinds, kindWeights) : undefined;
    if (kind === 'duplicate' && cleanOnes.length === 0) kind = 'invalid_phone';

    let body: LeadBody;
    let logit: number;
    let line: InsuranceLine;
    let vendorId: string;
    if (kind === 'duplicate') {
      const original = cleanOnes[rng.int(0, cleanOnes.length - 1)]!;
      body = duplicateOf(rng, original, index, now, tag);
      logit = original.propensityLogit;
      line = original.line;
      vendorId = body.source.vendorId;
    } else {
      const lead = cleanLead(rng, index, vendor, now, tag, used);
      if (kind) spoil(rng, lead, kind, now);
      else cleanOnes.push(lead);
      body = lead.body;
      logit = lead.propensityLogit;
      line = lead.line;
      vendorId = vendor.id;
    }
    let propensity = 1 / (1 + Math.exp(-logit));
    if (kind) propensity *= BAD_EFFECT[kind];
    propensity = Math.round(propensity * 10_000) / 10_000;
    const outcome: LeadOutcome = {
      externalId: body.source.externalId,
      vendorId,
      line,
      propensity,
      converted: rng.bool(propensity) ? 1 : 0,
    };
    if (kind) outcome.badKind = kind;
    leads.push(body);
    outcomes.push(outcome);
  }
  return { leads, outcomes };
}
