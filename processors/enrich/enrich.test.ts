import type { ValidLead } from '../../schemas/lead';
import { SAMPLE_NOW, sampleLeadBody, sampleRawLead } from '../../schemas/lead-samples';
import { validateLead } from '../validate/rules';
import { enrichLead, lookupGeo } from './enrich';
import { zipDb } from './zipdb';

function valid(change: (b: ReturnType<typeof sampleLeadBody>) => void = () => {}): ValidLead {
  const body = sampleLeadBody();
  change(body);
  const result = validateLead(sampleRawLead(body), { now: SAMPLE_NOW, consentMaxAgeDays: 90 });
  if (result.status !== 'valid') throw new Error(JSON.stringify(result.reasons));
  return result.lead;
}

const warningCodes = (lead: { warnings: { code: string }[] }) => lead.warnings.map((w) => w.code);

describe('enrichLead', () => {
  it('adds geo, contact window, age, normalised names and address, and data quality', () => {
    const input = valid();
    const enriched = enrichLead(input, SAMPLE_NOW);
    expect(enriched).toMatchObject({
      leadId: input.leadId,
      validatedAt: SAMPLE_NOW,
      enrichedAt: SAMPLE_NOW,
      identities: input.identities,
      geo: {
        city: 'San Francisco',
        county: 'San Francisco',
        timeZone: 'America/Los_Angeles',
        precision: 'zip',
      },
      contactWindow: {
        timeZone: 'America/Los_Angeles',
        timeZoneSource: 'zip',
        allowedNow: true,
        nextAllowedAt: SAMPLE_NOW,
        localTime: '2025-06-02T08:00:00-07:00',
        startHour: 8,
        endHour: 21,
        rule: 'federal',
        citation: '47 CFR 64.1200(c)(1)',
      },
      age: 40,
      dataQuality: { score: 100, missing: [] },
      warnings: [],
    });
    expect(enriched.geo!.latitude).toBeCloseTo(37.77, 1);
    expect(enriched.geo!.longitude).toBeCloseTo(-122.41, 1);
    expect(enriched.lead.contact).toMatchObject({
      firstName: 'Jane',
      lastName: "O'Brien",
      addressLine1: '123 N MAIN ST',
      addressLine2: 'APT 4B',
      city: 'SAN FRANCISCO',
    });
  });

  it('computes the next window in lead-local time', () => {
    // 14:00 UTC is 07:00 in Los Angeles: closed until 08:00 PDT = 15:00 UTC.
    const enriched = enrichLead(valid(), SAMPLE_NOW - 3600_000);
    expect(enriched.contactWindow).toMatchObject({ allowedNow: false, nextAllowedAt: SAMPLE_NOW });
  });

  it('normalises shouted names, and fills the city from the ZIP', () => {
    const enriched = enrichLead(
      valid((b) => {
        b.contact.firstName = 'MARY-KATE';
        b.contact.lastName = 'mcdonald';
        delete b.contact.city;
      }),
      SAMPLE_NOW,
    );
    expect(enriched.lead.contact).toMatchObject({
      firstName: 'Mary-Kate',
      lastName: 'McDonald',
      city: 'SAN FRANCISCO',
    });
  });

  it('approximates county and time zone for PO-box ZIPs, with a warning', () => {
    const enriched = enrichLead(
      valid((b) => Object.assign(b.contact, { zip: '85001', state: 'AZ', city: 'Phoenix' })),
      SAMPLE_NOW,
    );
    expect(enriched.geo).toMatchObject({
      county: 'Maricopa',
      timeZone: 'America/Phoenix',
      precision: 'nearby_zip',
    });
    expect(warningCodes(enriched)).toEqual(['geo_approximate']);
  });

  it('has no contact window for military addresses', () => {
    const enriched = enrichLead(
      valid((b) => Object.assign(b.contact, { zip: '09001', state: 'AE', city: 'APO' })),
      SAMPLE_NOW,
    );
    expect(enriched.geo).toMatchObject({ precision: 'military', timeZone: null, county: null });
    expect(enriched.contactWindow).toBeNull();
    expect(warningCodes(enriched)).toEqual(['contact_window_unknown']);
  });

  it('turns lookup misses into warnings and falls back to the state time zone', () => {
    const enriched = enrichLead(
      valid((b) => Object.assign(b.contact, { zip: '99999', state: 'AK', phone: '907-555-1234' })),
      SAMPLE_NOW,
    );
    expect(enriched.geo).toBeNull();
    expect(enriched.contactWindow).toMatchObject({ timeZone: 'America/Anchorage', timeZoneSource: 'state' });
    expect(warningCodes(enriched)).toEqual([
      'phone_555_exchange',
      'zip_not_in_dataset',
      'geo_zip_unknown',
      'timezone_from_state',
    ]);
    expect(enriched.dataQuality.missing).toContain('geo');
  });

  it("applies the lead's state calling rule, and the operator's hours on top of it", () => {
    const miami = valid((b) =>
      Object.assign(b.contact, { zip: '33131', state: 'FL', city: 'Miami', phone: '305-867-5309' }),
    );
    // Monday 2025-06-02 20:30 EDT: open under the federal rule, closed in Florida until 8:00.
    const evening = Date.UTC(2025, 5, 3, 0, 30);
    expect(enrichLead(miami, evening).contactWindow).toEqual({
      timeZone: 'America/New_York',
      timeZoneSource: 'zip',
      allowedNow: false,
      nextAllowedAt: Date.UTC(2025, 5, 3, 12),
      localTime: '2025-06-02T20:30:00-04:00',
      startHour: 8,
      endHour: 20,
      rule: 'FL',
      citation: 'Fla. Stat. § 501.616(6)(a)',
    });
    expect(enrichLead(miami, evening, { hours: { startHour: 9, endHour: 17 } }).contactWindow).toMatchObject({
      nextAllowedAt: Date.UTC(2025, 5, 3, 13),
      startHour: 9,
      endHour: 17,
      rule: 'FL',
    });
  });

  it('has no contact window, with a warning, when the operator never calls inside the state hours', () => {
    const miami = valid((b) =>
      Object.assign(b.contact, { zip: '33131', state: 'FL', city: 'Miami', phone: '305-867-5309' }),
    );
    const enriched = enrichLead(miami, SAMPLE_NOW, { hours: { startHour: 20, endHour: 21 } });
    expect(enriched.contactWindow).toBeNull();
    expect(enriched.warnings).toContainEqual({
      code: 'contact_window_unknown',
      field: 'contact.state',
      message: "the configured calling hours 20-21 never fall inside FL's calling hours; no contact window",
    });
  });

  it('scores data quality by completeness', () => {
    const enriched = enrichLead(
      valid((b) => {
        delete b.contact.email;
        delete b.contact.addressLine1;
        delete (b as Record<string, unknown>).currentInsurance;
        delete (b as Record<string, unknown>).notes;
        (b as Record<string, unknown>).auto = { vehicles: [{ year: 2020, make: 'Kia', model: 'Soul' }] };
      }),
      SAMPLE_NOW,
    );
    expect(enriched.dataQuality).toEqual({
      score: 100 - 15 - 10 - 10 - 5 - 5 - 5,
      missing: [
        'contact.email',
        'contact.addressLine1',
        'currentInsurance.insurer',
        'currentInsurance.policyExpiry',
        'notes',
        'auto.drivers',
      ],
    });
  });

  it('looks ZIPs up offline', () => {
    expect(zipDb().size).toBeGreaterThan(40_000);
    expect(lookupGeo('00601')).toMatchObject({ city: 'Adjuntas', timeZone: 'America/Puerto_Rico' });
    expect(lookupGeo('96910')).toMatchObject({ timeZone: 'Pacific/Guam' });
    expect(lookupGeo('12345')?.city).toBe('Schenectady');
    expect(lookupGeo('00000')).toBeNull();
    expect(zipDb().stateTimeZone('NY')).toBe('America/New_York');
    expect([...zipDb().statesForPrefix('090')]).toEqual(['AE']);
  });
});
