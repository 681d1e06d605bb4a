/**
 * TypeScript shapes of the lead records on the topics leads.raw, leads.valid, leads.enriched and
 * leads.rejected. They match `schemas/lead-*.avsc` field for field (lead-avro.test.ts encodes a
 * sample of each with avsc): optional Avro fields (`["null", T]`) are `T | null` here, never
 * `undefined`, and timestamps are epoch milliseconds.
 */
import type { Sale } from './sale-records';

export const INSURANCE_LINES = [
  'auto',
  'home',
  'renters',
  'life',
  'health',
  'medicare',
  'commercial',
] as const;
export type InsuranceLine = (typeof INSURANCE_LINES)[number];

export const VEHICLE_OWNERSHIP = ['owned', 'financed', 'leased'] as const;
export const VEHICLE_USE = ['commute', 'pleasure', 'business', 'farm', 'rideshare'] as const;
export const DRIVER_RELATIONSHIP = ['self', 'spouse', 'child', 'parent', 'sibling', 'other'] as const;
export const GENDER = ['male', 'female', 'other'] as const;
export const MARITAL_STATUS = [
  'single',
  'married',
  'divorced',
  'widowed',
  'separated',
  'domestic_partner',
] as const;
export const PROPERTY_TYPE = [
  'single_family',
  'condo',
  'townhouse',
  'apartment',
  'mobile_home',
  'multi_family',
] as const;
export const PROPERTY_OWNERSHIP = ['own', 'rent'] as const;
export const LIFE_POLICY_TYPE = ['term', 'whole', 'universal', 'final_expense'] as const;
export const COVERAGE_LEVEL = ['state_minimum', 'standard', 'premium'] as const;

/** A rejection reason or a warning: machine-readable code, the field it concerns ('' = the whole lead). */
export interface Reason {
  code: string;
  field: string;
  message: string;
}

// ---------------------------------------------------------------------------------------------
// The external payload (after zod: trimmed, coerced, absent optional fields as null).

export interface ContactInput {
  firstName: string;
  lastName: string;
  email: string | null;
  /** As sent (string or number, turned into a string); normalised to E.164 by validate. */
  phone: string;
  addressLine1: string | null;
  addressLine2: string | null;
  city: string | null;
  /** Upper-cased USPS code (full names are mapped to codes); checked by validate. */
  state: string;
  /** As sent; a ZIP given as a number gets its leading zeros back. Checked by validate. */
  zip: string;
}

export interface Vehicle {
  year: number;
  make: string;
  model: string;
  ownership: (typeof VEHICLE_OWNERSHIP)[number] | null;
  primaryUse: (typeof VEHICLE_USE)[number] | null;
}

export interface Driver {
  firstName: string | null;
  lastName: string | null;
  dateOfBirth: string | null;
  relationship: (typeof DRIVER_RELATIONSHIP)[number] | null;
  gender: (typeof GENDER)[number] | null;
  maritalStatus: (typeof MARITAL_STATUS)[number] | null;
  accidents: number | null;
  violations: number | null;
}

export interface AutoDetails {
  vehicles: Vehicle[];
  drivers: Driver[];
}

/** Home and renters details. */
export interface PropertyDetails {
  type: (typeof PROPERTY_TYPE)[number] | null;
  yearBuilt: number | null;
  squareFeet: number | null;
  ownership: (typeof PROPERTY_OWNERSHIP)[number] | null;
}

export interface LifeDetails {
  /** USD. */
  coverageAmount: number | null;
  termYears: number | null;
  policyType: (typeof LIFE_POLICY_TYPE)[number] | null;
  tobacco: boolean | null;
}

/** Health and medicare details. */
export interface HealthDetails {
  householdSize: number | null;
  /** USD per year. */
  annualIncome: number | null;
  tobacco: boolean | null;
  preExistingConditions: boolean | null;
}

export interface CommercialDetails {
  businessName: string | null;
  employees: number | null;
  industry: string | null;
  /** USD per year. */
  annualRevenue: number | null;
  yearsInBusiness: number | null;
}

export interface Coverage {
  level: (typeof COVERAGE_LEVEL)[number] | null;
  /** YYYY-MM-DD. */
  startDate: string | null;
}

export interface CurrentInsurance {
  currentlyInsured: boolean | null;
  insurer: string | null;
  /** YYYY-MM-DD. */
  policyExpiry: string | null;
  yearsInsured: number | null;
}

export interface ConsentInput {
  text: string | null;
  /** Epoch ms (sent as ISO 8601). */
  timestamp: number | null;
  /** TrustedForm certificate id or URL, Jornaya LeadiD token, ... */
  certificateId: string | null;
  ipAddress: string | null;
  pageUrl: string | null;
}

export interface Source {
  vendorId: string | null;
  campaign: string | null;
  /** USD paid for the lead. */
  pricePaid: number | null;
  /** Epoch ms when the vendor captured/received the lead (sent as ISO 8601). */
  receivedAt: number | null;
  /** The vendor's own id for the lead. */
  externalId: string | null;
  subId: string | null;
}

/** The lead payload as a vendor sends it, after `parseLeadInput`. */
export interface LeadInput {
  contact: ContactInput;
  /** YYYY-MM-DD (shape only; calendar validity is checked by validate). */
  dateOfBirth: string | null;
  line: InsuranceLine;
  auto: AutoDetails | null;
  property: PropertyDetails | null;
  life: LifeDetails | null;
  health: HealthDetails | null;
  commercial: CommercialDetails | null;
  coverage: Coverage | null;
  currentInsurance: CurrentInsurance | null;
  consent: ConsentInput | null;
  source: Source;
  notes: string | null;
  /** Fields the schema does not know, by dotted path, each value as JSON text. Nothing is dropped. */
  extra: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// leads.raw

export interface RawLead {
  leadId: string;
  /** Epoch ms when leadflow received it. */
  receivedAt: number;
  vendorId: string;
  /** How it came in: api, file, replay, generator. */
  channel: string;
  /** Posted against a ping-post bid: sold to its buyers, never routed to agents. Null otherwise. */
  sale?: Sale | null;
  /** The original body, as JSON text, so nothing is lost. */
  body: string;
  /** The body after parseLeadInput; null when it did not pass the input schema. */
  lead: LeadInput | null;
}

// ---------------------------------------------------------------------------------------------
// leads.valid

export type PhoneLineType =
  'mobile' | 'fixed_line' | 'fixed_line_or_mobile' | 'voip' | 'pager' | 'uan' | 'voicemail' | 'unknown';

export interface NormalisedContact {
  firstName: string;
  lastName: string;
  /** Lower-cased. */
  email: string | null;
  /** E.164, e.g. +14155552671. */
  phone: string;
  phoneExtension: string | null;
  phoneLineType: PhoneLineType;
  addressLine1: string | null;
  addressLine2: string | null;
  city: string | null;
  /** Upper-case USPS code. */
  state: string;
  /** 5 digits. */
  zip: string;
  zipPlus4: string | null;
}

export type CertificateType = 'trustedform' | 'jornaya' | 'other';

export interface Consent {
  text: string;
  timestamp: number;
  /** Normalised: the 40-hex TrustedForm id (without URL) or the upper-cased Jornaya token. */
  certificateId: string;
  certificateType: CertificateType;
  ipAddress: string | null;
  pageUrl: string | null;
}

export interface Lead {
  contact: NormalisedContact;
  dateOfBirth: string | null;
  line: InsuranceLine;
  auto: AutoDetails | null;
  property: PropertyDetails | null;
  life: LifeDetails | null;
  health: HealthDetails | null;
  commercial: CommercialDetails | null;
  coverage: Coverage | null;
  currentInsurance: CurrentInsurance | null;
  consent: Consent;
  source: Source;
  notes: string | null;
  extra: Record<string, string>;
}

/** Identities for duplicate detection and the do-not-contact list. */
export interface ContactIdentities {
  /** E.164 without extension. */
  phone: string;
  /** Lower-cased; for Gmail without dots and +tags. */
  email: string | null;
}

export interface ValidLead {
  leadId: string;
  receivedAt: number;
  vendorId: string;
  channel: string;
  sale?: Sale | null;
  validatedAt: number;
  lead: Lead;
  identities: ContactIdentities;
  warnings: Reason[];
}

// ---------------------------------------------------------------------------------------------
// leads.enriched

export type GeoPrecision = 'zip' | 'nearby_zip' | 'military';

export interface Geo {
  city: string;
  county: string | null;
  latitude: number;
  longitude: number;
  /** IANA time zone; null for military addresses. */
  timeZone: string | null;
  /** zip: the ZIP's own data; nearby_zip: county/time zone from the nearest ZIP (PO boxes, unique ZIPs). */
  precision: GeoPrecision;
}

export interface ContactWindow {
  timeZone: string;
  /** Where the time zone came from: the ZIP, or the state's main zone when the ZIP is unknown. */
  timeZoneSource: 'zip' | 'state';
  allowedNow: boolean;
  /** Epoch ms: `now` when allowed now, else the next window opening (startHour local). */
  nextAllowedAt: number;
  /** Lead-local wall time at `now`, ISO 8601 with offset. */
  localTime: string;
  /** Local hours of the window open now, or of the next one (calling rule and operator hours combined). */
  startHour: number;
  endHour: number;
  /** The calling rule that set the window: the lead's state code (e.g. FL) or `federal`; null in older records. */
  rule: string | null;
  /** Where that rule is written, e.g. Fla. Stat. § 501.616(6)(a); null in older records. */
  citation: string | null;
}

export interface DataQuality {
  /** 0-100, completeness of the fields that matter for quoting. */
  score: number;
  /** Paths of the missing fields, e.g. contact.email. */
  missing: string[];
}

export interface EnrichedLead {
  leadId: string;
  receivedAt: number;
  vendorId: string;
  channel: string;
  sale?: Sale | null;
  validatedAt: number;
  enrichedAt: number;
  /** The valid lead with names and address lines normalised (names capitalised, USPS-style address). */
  lead: Lead;
  identities: ContactIdentities;
  geo: Geo | null;
  contactWindow: ContactWindow | null;
  /** Whole years at enrichedAt. */
  age: number | null;
  /** Null when certificates are not checked (no provider configured). */
  consentVerification: ConsentVerification | null;
  dataQuality: DataQuality;
  warnings: Reason[];
}

export type ConsentVerdict = 'verified' | 'mismatch' | 'expired' | 'not_found' | 'unavailable';

/** A consent certificate as its provider answered for it, flat so it travels on the lead. */
export interface ConsentVerification {
  provider: CertificateType;
  certificateId: string;
  verdict: ConsentVerdict;
  /** `code: detail`, stable codes; never a contact detail or a key. */
  reasons: string[];
  /** Epoch ms. */
  checkedAt: number;
  ageSeconds: number | null;
  /** The page the provider recorded, not the one the lead claims. */
  pageUrl: string | null;
}

/** A certificate's check: answered, or to be held because the provider could not answer. */
export type ConsentCheck =
  | { status: 'checked'; verification: ConsentVerification }
  | {
      status: 'hold';
      provider: Exclude<CertificateType, 'other'>;
      certificateId: string;
      reason: string;
      /** A delay the provider asked for (Retry-After), when it named one. */
      retryAfterMs: number | null;
    };

/** Consent certificates as the enrich stage sees them (connectors/consent checks them). */
export interface ConsentChecker {
  check(lead: ValidLead): Promise<ConsentCheck>;
}

// ---------------------------------------------------------------------------------------------
// leads.rejected

export interface RejectedLead {
  leadId: string;
  receivedAt: number;
  vendorId: string;
  rejectedAt: number;
  /** The stage that rejected it: ingress, validate, ... */
  stage: string;
  reasons: Reason[];
  warnings: Reason[];
  raw: RawLead;
}
