import fc from 'fast-check';
import { SAMPLE_NOW, sampleLeadBody, sampleRawLead, JORNAYA_TOKEN } from '../../schemas/lead-samples';
import { parseLeadInput, type RawLead } from '../../schemas/lead';
import { testBlind } from '../../test/support/privacy';
import {
  contactIdentities,
  doNotContactKey,
  identityKeys,
  rejectedLead,
  validateLead,
  validateLeadBody,
  REASON_CODES,
  type ValidateOptions,
} from './rules';

const options: ValidateOptions = { now: SAMPLE_NOW, consentMaxAgeDays: 90 };

function body(change: (b: ReturnType<typeof sampleLeadBody>) => void = () => {}) {
  const b = sampleLeadBody();
  change(b);
  return b;
}

function rejectionCodes(input: unknown): string[] {
  const result = validateLeadBody(input, options);
  return result.status === 'rejected' ? result.reasons.map((r) => `${r.field}:${r.code}`) : [];
}

describe('validateLead', () => {
  it('normalises a valid lead and keeps the envelope', () => {
    const result = validateLead(sampleRawLead(), options);
    if (result.status !== 'valid') throw new Error(JSON.stringify(result.reasons));
    const { lead } = result;
    expect(lead).toMatchObject({
      leadId: 'lead-0001',
      receivedAt: SAMPLE_NOW,
      vendorId: 'acme-leads',
      channel: 'api',
      validatedAt: SAMPLE_NOW,
      identities: { phone: '+14158675309', email: 'janeobrien@gmail.com' },
      warnings: [],
    });
    expect(lead.lead.contact).toEqual({
      firstName: 'Jane',
      lastName: "O'Brien",
      email: 'jane.obrien@gmail.com',
      phone: '+14158675309',
      phoneExtension: null,
      phoneLineType: 'fixed_line_or_mobile',
      addressLine1: '123 North Main Street',
      addressLine2: 'Apartment 4B',
      city: 'San Francisco',
      state: 'CA',
      zip: '94103',
      zipPlus4: null,
    });
    expect(lead.lead.consent.certificateType).toBe('trustedform');
    expect(result.warnings).toBe(lead.warnings);
  });

  it('collects every reason, not just the first', () => {
    const codes = rejectionCodes(
      body((b) => {
        b.contact.phone = '212-555-0123';
        b.contact.email = 'jane@mailinator.com';
        b.contact.state = 'NY';
        b.dateOfBirth = '2031-01-01';
        b.consent.timestamp = '2024-01-01T00:00:00Z';
        b.consent.certificateId = 'x';
      }),
    );
    expect(codes).toEqual([
      'contact.phone:phone_fictitious',
      'contact.email:email_disposable',
      'contact.zip:zip_state_mismatch',
      'dateOfBirth:dob_in_future',
      'consent.timestamp:consent_stale',
      'consent.certificateId:consent_certificate_invalid',
    ]);
  });

  it('reports structural errors and still checks the fields that are readable', () => {
    const codes = rejectionCodes(
      body((b) => {
        b.contact.firstName = '';
        b.line = 'boat';
        b.contact.phone = '1-800-356-9377';
        b.consent = undefined as never;
      }),
    );
    expect(codes).toEqual([
      'contact.firstName:required',
      'line:invalid_value',
      'contact.phone:phone_toll_free',
      'consent:consent_missing',
    ]);
  });

  it('reads the body when ingress left lead null, and the parsed lead when it is set', () => {
    const parsed = parseLeadInput(sampleLeadBody());
    if (!parsed.ok) throw new Error('sample does not parse');
    const withLead = validateLead(sampleRawLead(undefined, { lead: parsed.lead, body: 'not json' }), options);
    expect(withLead.status).toBe('valid');
    const unreadable = validateLead(sampleRawLead(undefined, { body: '{"contact":' }), options);
    expect(unreadable).toEqual({
      status: 'rejected',
      reasons: [{ code: 'body_unreadable', field: '', message: 'the body is not valid JSON' }],
      warnings: [],
    });
  });

  it('fills the vendor from the envelope when the body has none', () => {
    const result = validateLead(sampleRawLead(body((b) => delete b.source.vendorId)), options);
    expect(result.status === 'valid' && result.lead.lead.source.vendorId).toBe('acme-leads');
  });

  it('passes leads with warnings', () => {
    const result = validateLeadBody(
      body((b) => {
        b.contact.phone = '+1 684 633 1234 ext 9';
        b.contact.zip = '96799';
        b.contact.state = 'AS';
        b.contact.email = 'info@acme.com';
        delete (b as Record<string, unknown>).auto;
        b.consent.certificateId = 'VERIFY-778812-XK';
      }),
      options,
    );
    expect(result.status).toBe('valid');
    expect(result.warnings.map((w) => w.code).sort()).toEqual([
      'consent_certificate_unrecognised',
      'details_missing',
      'email_role_account',
      'phone_has_extension',
      'phone_landline',
    ]);
  });

  it.each([
    ['unicode names', { firstName: 'Zoë', lastName: 'Nguyễn' }],
    ['hyphen and apostrophe', { firstName: 'Mary-Kate', lastName: "D'Angelo" }],
    ['ZIP+4', { zip: '94103-1234' }],
    ['ZIP given as a number', { zip: 2134, state: 'MA', phone: '617-555-2671' }],
    ['state in lower case', { state: 'ca' }],
    ['phone as a number', { phone: 4158675309 }],
    ['international format', { phone: '+1 (415) 867-5309' }],
    ['military AE', { zip: '09001', state: 'AE', city: 'APO' }],
    ['military AP', { zip: '96201', state: 'AP', city: 'APO' }],
    ['military AA', { zip: '34002', state: 'AA', city: 'DPO' }],
    ['Puerto Rico', { zip: '00901', state: 'PR', phone: '787-722-1234' }],
    ['Guam', { zip: '96910', state: 'GU', phone: '671-472-1234' }],
  ])('accepts %s', (_label, contact) => {
    const result = validateLeadBody(
      body((b) => Object.assign(b.contact, contact)),
      options,
    );
    expect(result.status === 'rejected' ? result.reasons : []).toEqual([]);
  });

  it.each([
    ['vanity toll-free', { phone: '1-800-FLOWERS' }, 'contact.phone:phone_toll_free'],
    ['a UK number', { phone: '+44 20 7946 0958' }, 'contact.phone:phone_not_us'],
    ['a Canadian number', { phone: '+1 416 867 5309' }, 'contact.phone:phone_not_us'],
    ['digits in a name', { firstName: 'J0hn' }, 'contact.firstName:name_invalid'],
    ['a PR ZIP with FL', { zip: '00901', state: 'FL' }, 'contact.zip:zip_state_mismatch'],
    ['a bad state', { state: 'QQ' }, 'contact.state:state_invalid'],
  ])('rejects %s', (_label, contact, code) => {
    expect(rejectionCodes(body((b) => Object.assign(b.contact, contact)))).toEqual([code]);
  });

  it('accepts a Jornaya token and requires a date of birth for life leads', () => {
    const codes = rejectionCodes(
      body((b) => {
        b.consent.certificateId = JORNAYA_TOKEN.toLowerCase();
        b.line = 'life';
        delete (b as Record<string, unknown>).dateOfBirth;
      }),
    );
    expect(codes).toEqual(['dateOfBirth:dob_missing']);
  });

  it('uses only known reason codes', () => {
    const known = new Set(Object.keys(REASON_CODES));
    const bad = body((b) => {
      b.contact.phone = 'x';
      b.contact.zip = '1';
      b.dateOfBirth = '1900-02-30';
    });
    const result = validateLeadBody(bad, options);
    for (const r of result.status === 'rejected' ? result.reasons : []) expect(known.has(r.code)).toBe(true);
  });

  it('never throws, on any JSON body or any raw record', () => {
    const raw = (value: unknown): RawLead => ({
      ...sampleRawLead(),
      body: JSON.stringify(value) ?? 'undefined',
    });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.object(), fc.anything()), (value) => {
        const fromBody = validateLead(raw(value), options);
        const fromLead = validateLead({ ...sampleRawLead(), lead: value as never }, options);
        for (const result of [fromBody, fromLead]) {
          expect(['valid', 'rejected']).toContain(result.status);
          if (result.status === 'rejected') {
            expect(result.reasons.length).toBeGreaterThan(0);
            expect(result.reasons.map((r) => r.code)).not.toContain('internal_error');
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on mutations of a valid body', () => {
    const paths = [
      'contact.phone',
      'contact.email',
      'contact.zip',
      'contact.state',
      'dateOfBirth',
      'consent',
      'line',
      'auto',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.anything(), (path, value) => {
        const b = sampleLeadBody() as Record<string, unknown>;
        const [head, tail] = path.split('.') as [string, string | undefined];
        if (tail) (b[head] as Record<string, unknown>)[tail] = value;
        else b[head] = value;
        const result = validateLeadBody(b, options);
        if (result.status === 'rejected')
          expect(result.reasons.map((r) => r.code)).not.toContain('internal_error');
      }),
      { numRuns: 400 },
    );
  });
});

describe('identities', () => {
  it('gives the dedupe and do-not-contact keys', () => {
    const ids = contactIdentities({
      contact: { phone: '(415) 867-5309 x2', email: 'Jane.O.Brien+ins@gmail.com' },
    });
    expect(ids).toEqual({ phone: '+14158675309', email: 'janeobrien@gmail.com' });
    // Keyed by blind indexes: the same identity, however it was written, gives the same key.
    const phone = `phone:${testBlind('+14158675309')}`;
    const email = `email:${testBlind('janeobrien@gmail.com')}`;
    expect(identityKeys(ids, testBlind)).toEqual([phone, email]);
    expect(identityKeys({ phone: '+14158675309', email: null }, testBlind)).toEqual([phone]);
    expect(doNotContactKey('415.867.5309', testBlind)).toBe(phone);
    expect(doNotContactKey('JaneOBrien@googlemail.com', testBlind)).toBe(email);
    expect(phone).not.toContain('8675309');
    expect(doNotContactKey('garbage', testBlind)).toBeNull();
  });
});

describe('rejectedLead', () => {
  it('wraps the raw lead with its reasons', () => {
    const raw = sampleRawLead();
    const reasons = [{ code: 'duplicate_contact', field: 'contact.phone', message: 'seen 2 days ago' }];
    expect(rejectedLead(raw, reasons, { now: SAMPLE_NOW + 5 })).toEqual({
      leadId: raw.leadId,
      receivedAt: raw.receivedAt,
      vendorId: raw.vendorId,
      rejectedAt: SAMPLE_NOW + 5,
      stage: 'validate',
      reasons,
      warnings: [],
      raw,
    });
  });
});
