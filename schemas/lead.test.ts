import fc from 'fast-check';
import { LEAD_LIMITS, parseLeadInput, parseIsoTimestamp, type InputError, type LeadInput } from './lead';
import { sampleLeadBody } from './lead-samples';

function parsed(body: unknown): LeadInput {
  const result = parseLeadInput(body);
  if (!result.ok) throw new Error(`expected a parse, got ${JSON.stringify(result.errors)}`);
  return result.lead;
}

function errors(body: unknown): InputError[] {
  const result = parseLeadInput(body);
  if (result.ok) throw new Error('expected errors');
  return result.errors;
}

function withContact(contact: Record<string, unknown>): Record<string, unknown> {
  const body = sampleLeadBody();
  return { ...body, contact: { ...body.contact, ...contact } };
}

describe('parseLeadInput', () => {
  it('parses a complete body, absent optional fields as null', () => {
    const lead = parsed(sampleLeadBody());
    expect(lead.contact.phone).toBe('(415) 867-5309');
    expect(lead.line).toBe('auto');
    expect(lead.consent?.timestamp).toBe(Date.UTC(2025, 5, 2, 14, 55));
    expect(lead.source.receivedAt).toBe(Date.UTC(2025, 5, 2, 14, 56));
    expect(lead.property).toBeNull();
    expect(lead.auto?.vehicles[0]).toEqual({
      year: 2019,
      make: 'Toyota',
      model: 'Camry',
      ownership: 'financed',
      primaryUse: 'commute',
    });
    expect(lead.auto?.drivers[0]?.gender).toBeNull();
    expect(lead.extra).toEqual({});
  });

  it('is lenient where vendors are sloppy', () => {
    const body = sampleLeadBody();
    const lead = parsed({
      ...body,
      contact: {
        ...body.contact,
        firstName: '  Jane ',
        phone: 4158675309,
        zip: 2134,
        state: 'ma',
        email: '',
      },
      line: 'Car',
      dateOfBirth: '4/12/1985',
      auto: { vehicles: [{ year: '2019', make: 'Toyota', model: 'Camry', ownership: 'Lease' }] },
      currentInsurance: { currentlyInsured: 'Yes', yearsInsured: '3' },
      source: { ...body.source, pricePaid: '$1,031.50' },
      consent: { ...body.consent, timestamp: '2025-06-02 14:55:00' },
    });
    expect(lead.contact.firstName).toBe('Jane');
    expect(lead.contact.phone).toBe('4158675309');
    expect(lead.contact.zip).toBe('02134');
    expect(lead.contact.state).toBe('MA');
    expect(lead.contact.email).toBeNull();
    expect(lead.line).toBe('auto');
    expect(lead.dateOfBirth).toBe('1985-04-12');
    expect(lead.auto?.vehicles[0]?.year).toBe(2019);
    expect(lead.auto?.vehicles[0]?.ownership).toBe('leased');
    expect(lead.auto?.drivers).toEqual([]);
    expect(lead.currentInsurance?.currentlyInsured).toBe(true);
    expect(lead.currentInsurance?.yearsInsured).toBe(3);
    expect(lead.source.pricePaid).toBe(1031.5);
    expect(lead.consent?.timestamp).toBe(Date.UTC(2025, 5, 2, 14, 55));
  });

  it.each([
    [2134, '02134'],
    ['2134', '02134'],
    [501, '00501'],
    [21341234, '02134-1234'],
    ['021341234', '02134-1234'],
    ['02134-1234', '02134-1234'],
    ['2134-1234', '02134-1234'],
    ['94103', '94103'],
  ])('restores the leading zeros of ZIP %p -> %p', (zip, expected) => {
    expect(parsed(withContact({ zip })).contact.zip).toBe(expected);
  });

  it.each([
    ['new york', 'NY'],
    ['District of Columbia', 'DC'],
    ['pr', 'PR'],
    ['ae', 'AE'],
    [' Tx ', 'TX'],
  ])('maps state %p to %p', (state, expected) => {
    expect(parsed(withContact({ state })).contact.state).toBe(expected);
  });

  it.each([
    ['2024-05-01T13:45:00Z', Date.UTC(2024, 4, 1, 13, 45)],
    ['2024-05-01T09:45:00-04:00', Date.UTC(2024, 4, 1, 13, 45)],
    ['2024-05-01T09:45:00.250-0400', Date.UTC(2024, 4, 1, 13, 45, 0, 250)],
    ['2024-05-01 13:45', Date.UTC(2024, 4, 1, 13, 45)],
    [1714571100000, Date.UTC(2024, 4, 1, 13, 45)],
    [1714571100, Date.UTC(2024, 4, 1, 13, 45)],
    ['1714571100000', Date.UTC(2024, 4, 1, 13, 45)],
  ])('reads timestamp %p', (timestamp, expected) => {
    const body = sampleLeadBody();
    expect(parsed({ ...body, consent: { ...body.consent, timestamp } }).consent?.timestamp).toBe(expected);
  });

  it('rejects impossible timestamps', () => {
    expect(parseIsoTimestamp('2024-02-30T10:00:00Z')).toBeNull();
    expect(parseIsoTimestamp('2024-01-01T24:00:00Z')).toBeNull();
    const body = sampleLeadBody();
    expect(errors({ ...body, consent: { ...body.consent, timestamp: 'yesterday' } })).toEqual([
      expect.objectContaining({ field: 'consent.timestamp', code: 'invalid_format' }),
    ]);
    expect(
      errors({ ...body, consent: { ...body.consent, timestamp: '1970-01-01T00:00:00Z' } })[0]?.code,
    ).toBe('out_of_range');
  });

  it('reports every structural error with a path and a stable code', () => {
    const result = errors({
      contact: { firstName: '', phone: { n: 1 }, state: 5, zip: '02134', email: 'x'.repeat(300) },
      line: 'boat',
      dateOfBirth: 'May 5th',
      auto: { vehicles: [{ year: 1800, make: 'Ford' }] },
      source: { vendorId: 'bad vendor id' },
    });
    const byField = Object.fromEntries(result.map((e) => [e.field, e.code]));
    expect(byField).toEqual({
      'contact.firstName': 'required',
      'contact.lastName': 'required',
      'contact.phone': 'invalid_type',
      'contact.state': 'invalid_type',
      'contact.email': 'too_long',
      line: 'invalid_value',
      dateOfBirth: 'invalid_format',
      'auto.vehicles.0.year': 'out_of_range',
      'auto.vehicles.0.model': 'required',
      'source.vendorId': 'invalid_format',
    });
    for (const error of result) expect(error.message.length).toBeGreaterThan(5);
  });

  it('rejects bodies that are not objects', () => {
    for (const body of [null, 42, 'lead', [], true]) {
      expect(errors(body)).toEqual([expect.objectContaining({ field: '', code: 'invalid_type' })]);
    }
    expect(errors(undefined)).toEqual([expect.objectContaining({ field: '', code: 'required' })]);
  });

  it('keeps unknown fields in extra, by path, as JSON', () => {
    const body = sampleLeadBody();
    const lead = parsed({
      ...body,
      sub_id: 'A-17',
      tracking: { utm: 'x', n: [1, 2] },
      contact: { ...body.contact, middleName: 'Q' },
      auto: { vehicles: [{ year: 2019, make: 'Toyota', model: 'Camry', color: 'red' }] },
      extra: { partnerScore: 87, note: 'verbatim' },
    });
    expect(lead.extra).toEqual({
      sub_id: '"A-17"',
      tracking: '{"utm":"x","n":[1,2]}',
      'contact.middleName': '"Q"',
      'auto.vehicles.0.color': '"red"',
      partnerScore: '87',
      note: 'verbatim',
    });
  });

  it('keeps a __proto__ key as data', () => {
    const body = JSON.parse(`{"__proto__": {"polluted": true}, ${JSON.stringify(sampleLeadBody()).slice(1)}`);
    const lead = parsed(body);
    expect(Object.hasOwn(lead.extra, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('bounds hostile input', () => {
    const body = sampleLeadBody();
    const many = Object.fromEntries(
      Array.from({ length: LEAD_LIMITS.extraFields + 5 }, (_, i) => [`f${i}`, i]),
    );
    expect(errors({ ...body, ...many }).map((e) => e.code)).toContain('too_many_fields');
    expect(errors({ ...body, blob: 'x'.repeat(LEAD_LIMITS.extraValue + 1) })).toEqual([
      expect.objectContaining({ field: 'blob', code: 'too_long' }),
    ]);
    const vehicles = Array.from({ length: 10_000 }, () => ({ year: 2019, make: 'A', model: 'B' }));
    expect(errors({ ...body, auto: { vehicles } })).toEqual([
      expect.objectContaining({ field: 'auto.vehicles', code: 'too_many_items' }),
    ]);
    expect(errors(withContact({ firstName: 'x'.repeat(10_000) }))[0]).toMatchObject({
      field: 'contact.firstName',
      code: 'too_long',
    });
  });

  it('is idempotent: a parsed lead parses to itself', () => {
    const body = sampleLeadBody();
    const once = parsed({ ...body, sub_id: 7, contact: { ...body.contact, zip: 2134, extraField: [1] } });
    expect(parsed(once)).toEqual(once);
  });

  it('never throws, whatever the body', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.object(), fc.jsonValue()), (body) => {
        const result = parseLeadInput(body);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on bodies that are almost right', () => {
    const fields = fc.record(
      {
        firstName: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        phone: fc.oneof(fc.string(), fc.integer(), fc.double(), fc.constant(null)),
        zip: fc.oneof(fc.string(), fc.integer(), fc.double()),
        state: fc.oneof(fc.string(), fc.constant('ca')),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fields, fc.anything(), fc.anything(), (contact, consent, auto) => {
        const body = { ...sampleLeadBody(), consent, auto };
        const result = parseLeadInput({ ...body, contact: { ...body.contact, ...contact } });
        if (!result.ok) for (const e of result.errors) expect(typeof e.field).toBe('string');
      }),
      { numRuns: 300 },
    );
  });
});
