/**
 * Hand-written sample lead bodies and records for tests (validate, enrich, processors, ingress).
 * `now` is fixed so consent ages are stable: 2025-06-02T15:00:00Z, a Monday, 11:00 in New York.
 */
import type { RawLead } from './lead-records';

export const SAMPLE_NOW = Date.UTC(2025, 5, 2, 15, 0, 0);

export const TRUSTEDFORM_CERT = 'https://cert.trustedform.com/2a3f5c0e9b8d7a6f5e4d3c2b1a0f9e8d7c6b5a49';
export const JORNAYA_TOKEN = '1A2B3C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D';

/** A complete, valid auto lead body as a careful vendor would send it. */
export function sampleLeadBody(): Record<string, unknown> & {
  contact: Record<string, unknown>;
  consent: Record<string, unknown>;
  source: Record<string, unknown>;
} {
  return {
    contact: {
      firstName: 'Jane',
      lastName: "O'Brien",
      email: 'Jane.OBrien@gmail.com',
      phone: '(415) 867-5309',
      addressLine1: '123 North Main Street',
      addressLine2: 'Apartment 4B',
      city: 'San Francisco',
      state: 'CA',
      zip: '94103',
    },
    dateOfBirth: '1985-04-12',
    line: 'auto',
    auto: {
      vehicles: [
        { year: 2019, make: 'Toyota', model: 'Camry', ownership: 'financed', primaryUse: 'commute' },
      ],
      drivers: [{ firstName: 'Jane', lastName: "O'Brien", dateOfBirth: '1985-04-12', relationship: 'self' }],
    },
    coverage: { level: 'standard' },
    currentInsurance: { currentlyInsured: true, insurer: 'GEICO', policyExpiry: '2025-07-01' },
    consent: {
      text: 'I agree to be contacted by Acme Leads and its partners by autodialed calls and texts at the number provided.',
      timestamp: '2025-06-02T14:55:00Z',
      certificateId: TRUSTEDFORM_CERT,
      ipAddress: '203.0.113.7',
      pageUrl: 'https://acme-leads.example/quote/auto',
    },
    source: {
      vendorId: 'acme-leads',
      campaign: 'google-search-auto',
      pricePaid: 31.5,
      receivedAt: '2025-06-02T14:56:00Z',
      externalId: 'acme-0001',
    },
    notes: 'Policy expires next month',
  };
}

/** A leads.raw record around a body (lead left null: validate parses the body). */
export function sampleRawLead(body: unknown = sampleLeadBody(), overrides: Partial<RawLead> = {}): RawLead {
  return {
    leadId: 'lead-0001',
    receivedAt: SAMPLE_NOW,
    vendorId: 'acme-leads',
    channel: 'api',
    sale: null,
    body: JSON.stringify(body),
    lead: null,
    ...overrides,
  };
}
