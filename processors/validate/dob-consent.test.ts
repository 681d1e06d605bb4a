import fc from 'fast-check';
import { ageOn, DAY_MS, formatDateOnly, utcDate } from '../common/dates';
import { checkConsent, classifyCertificate } from './consent';
import { checkDateOfBirth } from './dob';

const NOW = Date.UTC(2025, 5, 2, 15, 0, 0);
const codes = (result: { reasons: { code: string }[] }) => result.reasons.map((r) => r.code);

describe('checkDateOfBirth', () => {
  it.each([
    ['1985-04-12', 'auto', [], 40],
    ['2000-02-29', 'auto', [], 25],
    ['2009-06-02', 'auto', [], 16],
    ['1915-06-02', 'life', [], 110],
    ['1985-02-30', 'auto', ['dob_invalid'], null],
    ['1985-13-01', 'auto', ['dob_invalid'], null],
    ['2025-06-03', 'auto', ['dob_in_future'], null],
    ['2009-06-03', 'auto', ['dob_implausible'], null],
    ['1914-06-02', 'auto', ['dob_implausible'], null],
  ] as const)('%s (%s)', (dob, line, reasons, age) => {
    const result = checkDateOfBirth(dob, line, { now: NOW });
    expect(codes(result)).toEqual(reasons);
    expect(result.value?.age ?? null).toBe(age);
  });

  it('requires a date of birth for life, health and medicare only', () => {
    expect(codes(checkDateOfBirth(null, 'life', { now: NOW }))).toEqual(['dob_missing']);
    expect(codes(checkDateOfBirth(null, 'medicare', { now: NOW }))).toEqual(['dob_missing']);
    expect(codes(checkDateOfBirth(null, 'auto', { now: NOW }))).toEqual([]);
  });

  it('warns about young medicare leads', () => {
    expect(checkDateOfBirth('1980-01-01', 'medicare', { now: NOW }).warnings.map((w) => w.code)).toEqual([
      'medicare_age_unlikely',
    ]);
  });

  it('accepts exactly the calendar dates with an age in range', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1890-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }),
        (date) => {
          const dob = formatDateOnly(utcDate(date.getTime()));
          const result = checkDateOfBirth(dob, 'auto', { now: NOW });
          const age = ageOn(utcDate(date.getTime()), utcDate(NOW));
          const future = date.getTime() >= Math.floor(NOW / DAY_MS) * DAY_MS + DAY_MS;
          expect(result.value !== null).toBe(!future && age >= 16 && age <= 110);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('checkConsent', () => {
  const consent = {
    text: 'I agree to be contacted by Acme Leads by autodialed calls and texts.',
    timestamp: NOW - 3600_000,
    certificateId: 'https://cert.trustedform.com/2A3F5C0E9B8D7A6F5E4D3C2B1A0F9E8D7C6B5A49',
    ipAddress: null,
    pageUrl: null,
  };
  const options = { now: NOW, consentMaxAgeDays: 90 };

  it('normalises a good consent', () => {
    expect(checkConsent(consent, options)).toEqual({
      value: {
        ...consent,
        certificateId: '2a3f5c0e9b8d7a6f5e4d3c2b1a0f9e8d7c6b5a49',
        certificateType: 'trustedform',
      },
      reasons: [],
      warnings: [],
    });
  });

  it.each([
    [{}, []],
    [{ timestamp: NOW - 90 * DAY_MS }, []],
    [{ timestamp: NOW - 90 * DAY_MS - 1 }, ['consent_stale']],
    [{ timestamp: NOW + 4 * 60_000 }, []],
    [{ timestamp: NOW + 6 * 60_000 }, ['consent_in_future']],
    [{ timestamp: null }, ['consent_timestamp_missing']],
    [{ text: null }, ['consent_text_missing']],
    [{ text: 'yes' }, ['consent_text_missing']],
    [{ certificateId: null }, ['consent_certificate_missing']],
    [{ certificateId: 'abc' }, ['consent_certificate_invalid']],
    [{ certificateId: 'https://cert.trustedform.com/not-a-cert' }, ['consent_certificate_invalid']],
    [
      { text: null, timestamp: null, certificateId: null },
      ['consent_text_missing', 'consent_timestamp_missing', 'consent_certificate_missing'],
    ],
  ])('%j -> %j', (change, reasons) => {
    expect(codes(checkConsent({ ...consent, ...change }, options))).toEqual(reasons);
  });

  it('rejects a missing consent', () => {
    expect(codes(checkConsent(null, options))).toEqual(['consent_missing']);
  });

  it('honours the configured maximum age', () => {
    const old = { ...consent, timestamp: NOW - 20 * DAY_MS };
    expect(codes(checkConsent(old, { now: NOW, consentMaxAgeDays: 14 }))).toEqual(['consent_stale']);
    expect(codes(checkConsent(old, { now: NOW, consentMaxAgeDays: 30 }))).toEqual([]);
  });

  it('classifies certificates', () => {
    expect(classifyCertificate('1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d')).toEqual({
      id: '1A2B3C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D',
      type: 'jornaya',
    });
    expect(classifyCertificate('2a3f5c0e9b8d7a6f5e4d3c2b1a0f9e8d7c6b5a49')?.type).toBe('trustedform');
    expect(classifyCertificate('VERIFY-778812-XK')).toEqual({ id: 'VERIFY-778812-XK', type: 'other' });
    expect(classifyCertificate('https://consent.example.com/c/abc123')?.type).toBe('other');
    expect(classifyCertificate('has spaces in it')).toBeNull();
  });

  it('is stale exactly when older than the maximum age', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10 * DAY_MS, max: 400 * DAY_MS }),
        fc.integer({ min: 1, max: 365 }),
        (age, maxDays) => {
          const result = checkConsent(
            { ...consent, timestamp: NOW - age },
            { now: NOW, consentMaxAgeDays: maxDays },
          );
          const expected =
            age < -5 * 60_000 ? ['consent_in_future'] : age > maxDays * DAY_MS ? ['consent_stale'] : [];
          expect(codes(result)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
