/**
 * The enrich stage's pure logic: a valid lead in, the enriched lead out. Offline ZIP data for geo
 * and time zone, the lead-local contact window, age, normalised names and address lines, and a
 * data-quality score. Lookup misses become warnings, never failures.
 */
import type { ConsentVerification, EnrichedLead, Geo, Lead, Reason, ValidLead } from '../../schemas/lead';
import { ageOn, parseDateOnly } from '../common/dates';
import { normaliseAddressLine, normaliseCity } from './address';
import {
  contactWindow,
  DEFAULT_WINDOW,
  isKnownTimeZone,
  localParts,
  type WindowHours,
} from './contact-window';
import { normalisePersonName } from './names';
import { dataQuality } from './quality';
import { reason } from '../validate/reasons';
import { zipDb, type ZipDb } from './zipdb';

export { normalisePersonName } from './names';
export { normaliseAddressLine, normaliseCity } from './address';
export {
  contactWindow,
  localParts,
  zonedTimeToEpoch,
  formatLocalTime,
  DEFAULT_WINDOW,
} from './contact-window';
export { dataQuality } from './quality';
export { zipDb, type ZipDb, type ZipRecord } from './zipdb';

export interface EnrichOptions {
  /** The operator's calling hours; they narrow the federal and state windows, never widen them. */
  hours?: WindowHours;
  zipDb?: ZipDb;
  /** The certificate's check with its provider, made before (I/O stays out of this function). */
  consentVerification?: ConsentVerification | null;
}

const warning = reason;

/** ZIP -> geo; null (with a warning) when the ZIP is not in the data. */
export function lookupGeo(zip: string, db: ZipDb = zipDb()): Geo | null {
  const record = db.lookup(zip);
  if (!record) return null;
  return {
    city: record.city,
    county: record.county,
    latitude: record.latitude,
    longitude: record.longitude,
    timeZone: record.timeZone,
    precision: record.precision,
  };
}

/** Names capitalised, address lines USPS-style; the city from the ZIP data when the lead has none. */
export function normaliseLead(lead: Lead, geo: Geo | null): Lead {
  const line1 =
    lead.contact.addressLine1 === null ? null : normaliseAddressLine(lead.contact.addressLine1) || null;
  const line2 =
    lead.contact.addressLine2 === null ? null : normaliseAddressLine(lead.contact.addressLine2) || null;
  const city = lead.contact.city ?? geo?.city ?? null;
  return {
    ...lead,
    contact: {
      ...lead.contact,
      firstName: normalisePersonName(lead.contact.firstName),
      lastName: normalisePersonName(lead.contact.lastName),
      addressLine1: line1,
      addressLine2: line2,
      city: city === null ? null : normaliseCity(city) || null,
    },
    auto: lead.auto && {
      ...lead.auto,
      drivers: lead.auto.drivers.map((driver) => ({
        ...driver,
        firstName: driver.firstName === null ? null : normalisePersonName(driver.firstName),
        lastName: driver.lastName === null ? null : normalisePersonName(driver.lastName),
      })),
    },
  };
}

export function enrichLead(valid: ValidLead, now: number, options: EnrichOptions = {}): EnrichedLead {
  const db = options.zipDb ?? zipDb();
  const warnings: Reason[] = [...valid.warnings];
  const { contact } = valid.lead;

  const geo = lookupGeo(contact.zip, db);
  if (!geo) {
    warnings.push(
      warning('geo_zip_unknown', 'contact.zip', `ZIP ${contact.zip} is not in the offline ZIP data`),
    );
  } else if (geo.precision === 'nearby_zip') {
    warnings.push(
      warning(
        'geo_approximate',
        'contact.zip',
        `ZIP ${contact.zip} has no area of its own; county and time zone are its nearest ZIP's`,
      ),
    );
  }

  let timeZone = geo?.timeZone ?? null;
  let timeZoneSource: 'zip' | 'state' = 'zip';
  if (timeZone === null || !isKnownTimeZone(timeZone)) {
    timeZone = db.stateTimeZone(contact.state);
    timeZoneSource = 'state';
    if (timeZone !== null && isKnownTimeZone(timeZone)) {
      warnings.push(
        warning(
          'timezone_from_state',
          'contact.zip',
          `time zone ${timeZone} is ${contact.state}'s main zone`,
        ),
      );
    } else {
      timeZone = null;
    }
  }
  let window: EnrichedLead['contactWindow'] = null;
  if (timeZone === null) {
    warnings.push(
      warning(
        'contact_window_unknown',
        'contact.zip',
        'no time zone is known for this address; no contact window',
      ),
    );
  } else {
    const open = contactWindow(now, timeZone, { state: contact.state, hours: options.hours });
    if (open) {
      window = { timeZone, timeZoneSource, ...open };
    } else {
      const { startHour, endHour } = options.hours ?? DEFAULT_WINDOW;
      warnings.push(
        warning(
          'contact_window_unknown',
          'contact.state',
          `the configured calling hours ${startHour}-${endHour} never fall inside ${contact.state}'s calling hours; no contact window`,
        ),
      );
    }
  }

  let age: number | null = null;
  const dob = valid.lead.dateOfBirth === null ? null : parseDateOnly(valid.lead.dateOfBirth);
  if (dob) {
    // Age on the lead's local date when its zone is known.
    const today = timeZone
      ? localParts(now, timeZone)
      : (() => {
          const d = new Date(now);
          return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
        })();
    age = Math.max(0, ageOn(dob, today));
  }

  const consent = options.consentVerification;
  if (consent?.verdict === 'unavailable')
    warnings.push(
      warning(
        'consent_unchecked',
        'consent.certificateId',
        `the ${consent.provider} certificate could not be checked: ${consent.reasons.join('; ')}`,
      ),
    );

  const lead = normaliseLead(valid.lead, geo);
  return {
    leadId: valid.leadId,
    receivedAt: valid.receivedAt,
    vendorId: valid.vendorId,
    channel: valid.channel,
    sale: valid.sale ?? null,
    validatedAt: valid.validatedAt,
    enrichedAt: now,
    lead,
    identities: valid.identities,
    geo,
    contactWindow: window,
    age,
    consentVerification: options.consentVerification ?? null,
    dataQuality: dataQuality(lead, geo),
    warnings,
  };
}
