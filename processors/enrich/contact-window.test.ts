import fc from 'fast-check';
import { contactWindow, formatLocalTime, localParts, zonedTimeToEpoch } from './contact-window';
import { STATE_CONTACT_RULES, type CallingRule } from './state-contact-rules';

const at = (iso: string) => Date.parse(iso);

const FEDERAL = { startHour: 8, endHour: 21, rule: 'federal', citation: '47 CFR 64.1200(c)(1)' };

describe('contactWindow', () => {
  it.each([
    // [zone, now (UTC), allowed, next allowed (UTC), local time]
    ['America/New_York', '2024-06-03T12:00:00Z', true, '2024-06-03T12:00:00Z', '2024-06-03T08:00:00-04:00'],
    ['America/New_York', '2024-06-03T11:59:59Z', false, '2024-06-03T12:00:00Z', '2024-06-03T07:59:59-04:00'],
    ['America/New_York', '2024-06-04T00:59:59Z', true, '2024-06-04T00:59:59Z', '2024-06-03T20:59:59-04:00'],
    ['America/New_York', '2024-06-04T01:00:00Z', false, '2024-06-04T12:00:00Z', '2024-06-03T21:00:00-04:00'],
    // just before local midnight, and just after
    ['America/New_York', '2024-06-04T03:59:59Z', false, '2024-06-04T12:00:00Z', '2024-06-03T23:59:59-04:00'],
    ['America/New_York', '2024-06-04T04:00:00Z', false, '2024-06-04T12:00:00Z', '2024-06-04T00:00:00-04:00'],
    // spring forward (2024-03-10, 02:00 EST -> 03:00 EDT): the night is an hour shorter
    ['America/New_York', '2024-03-10T06:30:00Z', false, '2024-03-10T12:00:00Z', '2024-03-10T01:30:00-05:00'],
    ['America/New_York', '2024-03-10T02:30:00Z', false, '2024-03-10T12:00:00Z', '2024-03-09T21:30:00-05:00'],
    // fall back (2024-11-03, 02:00 EDT -> 01:00 EST)
    ['America/New_York', '2024-11-03T05:30:00Z', false, '2024-11-03T13:00:00Z', '2024-11-03T01:30:00-04:00'],
    ['America/New_York', '2024-11-03T01:30:00Z', false, '2024-11-03T13:00:00Z', '2024-11-02T21:30:00-04:00'],
    // Arizona keeps standard time all year; Hawaii and Guam are far from the East Coast
    ['America/Phoenix', '2024-03-10T14:30:00Z', false, '2024-03-10T15:00:00Z', '2024-03-10T07:30:00-07:00'],
    ['Pacific/Honolulu', '2024-06-03T17:30:00Z', false, '2024-06-03T18:00:00Z', '2024-06-03T07:30:00-10:00'],
    ['Pacific/Guam', '2024-06-03T11:30:00Z', false, '2024-06-03T22:00:00Z', '2024-06-03T21:30:00+10:00'],
    [
      'America/Puerto_Rico',
      '2024-06-03T13:00:00Z',
      true,
      '2024-06-03T13:00:00Z',
      '2024-06-03T09:00:00-04:00',
    ],
  ])('%s at %s', (zone, now, allowed, next, local) => {
    expect(contactWindow(at(now), zone)).toEqual({
      allowedNow: allowed,
      nextAllowedAt: at(next),
      localTime: local,
      ...FEDERAL,
    });
  });

  it("honours the operator's hours", () => {
    expect(
      contactWindow(at('2024-06-03T00:30:00Z'), 'America/New_York', { hours: { startHour: 9, endHour: 20 } }),
    ).toEqual({
      allowedNow: false,
      nextAllowedAt: at('2024-06-03T13:00:00Z'),
      localTime: '2024-06-02T20:30:00-04:00',
      ...FEDERAL,
      startHour: 9,
      endHour: 20,
    });
  });

  const zones = [
    'America/New_York',
    'America/Chicago',
    'America/Denver',
    'America/Phoenix',
    'America/Los_Angeles',
    'America/Anchorage',
    'America/Adak',
    'Pacific/Honolulu',
    'America/Puerto_Rico',
    'Pacific/Guam',
    'Pacific/Pago_Pago',
    'America/Indiana/Knox',
    'America/North_Dakota/Beulah',
  ];

  it('is always inside 8:00-21:00 local, or gives the next 8:00 local in the future', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2032, 0, 1) }),
        (zone, now) => {
          const result = contactWindow(now, zone)!;
          const local = localParts(now, zone);
          if (result.allowedNow) {
            expect(local.hour).toBeGreaterThanOrEqual(8);
            expect(local.hour).toBeLessThan(21);
            expect(result.nextAllowedAt).toBe(now);
          } else {
            expect(local.hour < 8 || local.hour >= 21).toBe(true);
            expect(result.nextAllowedAt).toBeGreaterThan(now);
            expect(localParts(result.nextAllowedAt, zone)).toMatchObject({ hour: 8, minute: 0, second: 0 });
            // The window opens at the first 8:00 after now: closed a minute before, at most 12 h away.
            expect(localParts(result.nextAllowedAt - 60_000, zone).hour).toBe(7);
            expect(result.nextAllowedAt - now).toBeLessThanOrEqual(12 * 3600_000);
          }
          expect(result.localTime).toBe(formatLocalTime(now, zone));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('contactWindow with state calling rules', () => {
  const NY = 'America/New_York';
  const CHICAGO = 'America/Chicago';
  const DENVER = 'America/Denver';
  const LA = 'America/Los_Angeles';
  const window = (now: string, timeZone: string, state: string | null) =>
    contactWindow(at(now), timeZone, { state });

  it('closes Florida at 20:00 and opens it at 8:00 the next day', () => {
    // Monday 2026-12-07 20:30 EST.
    expect(window('2026-12-08T01:30:00Z', NY, 'FL')).toEqual({
      allowedNow: false,
      nextAllowedAt: at('2026-12-08T13:00:00Z'),
      localTime: '2026-12-07T20:30:00-05:00',
      startHour: 8,
      endHour: 20,
      rule: 'FL',
      citation: 'Fla. Stat. § 501.616(6)(a)',
    });
    expect(window('2026-12-08T00:59:59Z', NY, 'FL')).toMatchObject({
      allowedNow: true,
      nextAllowedAt: at('2026-12-08T00:59:59Z'),
    });
    // The same instant in New York, which has no rule of its own, is inside the federal window.
    expect(window('2026-12-08T01:30:00Z', NY, 'NY')).toMatchObject({ allowedNow: true, rule: 'federal' });
  });

  it.each([
    // [why, state, zone, now (UTC), next allowed (UTC), start, end]
    [
      'Alabama: Sunday waits for Monday 8:00',
      'AL',
      CHICAGO,
      '2026-12-06T16:00:00Z',
      '2026-12-07T14:00:00Z',
      8,
      20,
    ],
    [
      'Alabama: Saturday 20:00 skips Sunday',
      'AL',
      CHICAGO,
      '2026-12-06T02:00:00Z',
      '2026-12-07T14:00:00Z',
      8,
      20,
    ],
    ['Mississippi: no Sunday calls', 'MS', CHICAGO, '2026-12-06T18:00:00Z', '2026-12-07T14:00:00Z', 8, 20],
    ['Texas: Sunday opens at noon', 'TX', CHICAGO, '2026-12-06T16:00:00Z', '2026-12-06T18:00:00Z', 12, 21],
    ['Texas: weekdays open at 9:00', 'TX', CHICAGO, '2026-12-07T14:30:00Z', '2026-12-07T15:00:00Z', 9, 21],
    [
      'Rhode Island: Saturday closes at 17:00, Sunday closed',
      'RI',
      NY,
      '2026-12-05T22:00:00Z',
      '2026-12-07T14:00:00Z',
      9,
      18,
    ],
    ['Connecticut: opens at 9:00', 'CT', NY, '2026-12-07T13:30:00Z', '2026-12-07T14:00:00Z', 9, 20],
    ['Utah: Sunday waits for Monday', 'UT', DENVER, '2026-12-06T19:00:00Z', '2026-12-07T15:00:00Z', 8, 21],
    ['Washington: closes at 20:00', 'WA', LA, '2026-12-08T04:00:00Z', '2026-12-08T16:00:00Z', 8, 20],
  ])('%s', (_why, state, zone, now, next, startHour, endHour) => {
    expect(contactWindow(at(now), zone, { state })).toMatchObject({
      allowedNow: false,
      nextAllowedAt: at(next),
      startHour,
      endHour,
      rule: state,
      citation: STATE_CONTACT_RULES[state]!.citation,
    });
  });

  it.each([
    // Thursday 2026-12-24 21:30 local; Christmas is a Friday, closed where holidays are.
    ['UT', DENVER, '2026-12-25T04:30:00Z', '2026-12-26T15:00:00Z'],
    ['AL', CHICAGO, '2026-12-25T03:30:00Z', '2026-12-26T14:00:00Z'],
    ['RI', NY, '2026-12-25T02:30:00Z', '2026-12-26T15:00:00Z'],
    // No holiday closure: Christmas morning is open.
    ['FL', NY, '2026-12-25T02:30:00Z', '2026-12-25T13:00:00Z'],
    ['MS', CHICAGO, '2026-12-25T03:30:00Z', '2026-12-25T14:00:00Z'],
  ])('after Christmas Eve 21:30 in %s (%s)', (state, zone, now, next) => {
    expect(contactWindow(at(now), zone, { state })).toMatchObject({
      allowedNow: false,
      nextAllowedAt: at(next),
    });
  });

  it('keeps a weekend holiday on its date and on the weekday the statute moves it to', () => {
    // Christmas 2027 is a Saturday. Utah keeps it on Friday the 24th as well: Thursday 21:30
    // waits for Monday. Rhode Island closes holidays Monday to Friday only: its Saturday opens.
    expect(window('2027-12-24T04:30:00Z', DENVER, 'UT')).toMatchObject({
      nextAllowedAt: at('2027-12-27T15:00:00Z'),
    });
    expect(window('2027-12-24T02:30:00Z', NY, 'RI')).toMatchObject({
      nextAllowedAt: at('2027-12-25T15:00:00Z'),
      startHour: 10,
      endHour: 17,
    });
    // ... and on Monday the 27th, where Rhode Island moves a weekend Christmas: Tuesday 9:00.
    expect(window('2027-12-25T22:30:00Z', NY, 'RI')).toMatchObject({
      nextAllowedAt: at('2027-12-28T14:00:00Z'),
    });
  });

  it("closes the state's own holidays", () => {
    // Rhode Island's Victory Day, Monday 2026-08-10: Saturday 17:30 waits for Tuesday 9:00 EDT.
    expect(window('2026-08-08T21:30:00Z', NY, 'RI')).toMatchObject({
      nextAllowedAt: at('2026-08-11T13:00:00Z'),
    });
    // Utah keeps Juneteenth (Friday 2026-06-19) on Monday the 15th, and on the 19th itself.
    expect(window('2026-06-14T18:00:00Z', DENVER, 'UT')).toMatchObject({
      nextAllowedAt: at('2026-06-16T14:00:00Z'),
    });
    expect(window('2026-06-19T03:30:00Z', DENVER, 'UT')).toMatchObject({
      nextAllowedAt: at('2026-06-20T14:00:00Z'),
    });
    // Alabama's Jefferson Davis' birthday, Monday 2026-06-01.
    expect(window('2026-05-31T16:00:00Z', CHICAGO, 'AL')).toMatchObject({
      nextAllowedAt: at('2026-06-02T13:00:00Z'),
    });
  });

  it('finds the opening across DST changes', () => {
    // Texas, Saturday 2025-11-01 21:30 CDT; clocks fall back overnight, Sunday opens at noon CST.
    expect(window('2025-11-02T02:30:00Z', CHICAGO, 'TX')).toEqual({
      allowedNow: false,
      nextAllowedAt: at('2025-11-02T18:00:00Z'),
      localTime: '2025-11-01T21:30:00-05:00',
      startHour: 12,
      endHour: 21,
      rule: 'TX',
      citation: 'Tex. Bus. & Com. Code § 301.051(b)(2)',
    });
    // Alabama, Saturday 2026-03-07 20:30 CST; Sunday (clocks spring forward) is closed, Monday opens at 8:00 CDT.
    expect(window('2026-03-08T02:30:00Z', CHICAGO, 'AL')).toMatchObject({
      localTime: '2026-03-07T20:30:00-06:00',
      nextAllowedAt: at('2026-03-09T13:00:00Z'),
    });
    // Texas, Sunday 2026-03-08 11:00 CDT, hours after the change: noon CDT.
    expect(window('2026-03-08T16:00:00Z', CHICAGO, 'TX')).toMatchObject({
      nextAllowedAt: at('2026-03-08T17:00:00Z'),
    });
  });

  it.each([null, undefined, '', 'ZZ', 'CA', 'DC', 'PR'])('gives %p the federal window', (state) => {
    // Monday 2026-12-07 20:30 PST: inside 8:00-21:00.
    expect(contactWindow(at('2026-12-08T04:30:00Z'), LA, { state })).toEqual({
      allowedNow: true,
      nextAllowedAt: at('2026-12-08T04:30:00Z'),
      localTime: '2026-12-07T20:30:00-08:00',
      ...FEDERAL,
    });
  });

  it('reads the state code in any case', () => {
    expect(window('2026-12-08T01:30:00Z', NY, 'fl')).toMatchObject({ allowedNow: false, rule: 'FL' });
  });

  it("narrows the window to the operator's hours, and never widens it", () => {
    const florida = (now: string, startHour: number, endHour: number) =>
      contactWindow(at(now), NY, { state: 'FL', hours: { startHour, endHour } });
    // Monday 2026-12-07 8:30 and 17:30 EST, calling 9-17.
    expect(florida('2026-12-07T13:30:00Z', 9, 17)).toMatchObject({
      allowedNow: false,
      nextAllowedAt: at('2026-12-07T14:00:00Z'),
      startHour: 9,
      endHour: 17,
      rule: 'FL',
    });
    expect(florida('2026-12-07T22:30:00Z', 9, 17)).toMatchObject({
      nextAllowedAt: at('2026-12-08T14:00:00Z'),
    });
    // Asking for 7-22 still gets Florida's 8-20.
    expect(florida('2026-12-07T12:30:00Z', 7, 22)).toMatchObject({
      allowedNow: false,
      nextAllowedAt: at('2026-12-07T13:00:00Z'),
      startHour: 8,
      endHour: 20,
    });
    expect(florida('2026-12-08T01:30:00Z', 7, 22)).toMatchObject({ allowedNow: false });
    // Without a state rule, the federal 8-21 still bounds it.
    expect(
      contactWindow(at('2026-12-07T12:30:00Z'), NY, { hours: { startHour: 7, endHour: 22 } }),
    ).toMatchObject({
      allowedNow: false,
      nextAllowedAt: at('2026-12-07T13:00:00Z'),
      ...FEDERAL,
    });
    // Rhode Island with calling 17-21: an hour on weekdays, nothing on Saturday (10-17).
    expect(
      contactWindow(at('2026-12-05T17:00:00Z'), NY, { state: 'RI', hours: { startHour: 17, endHour: 21 } }),
    ).toMatchObject({
      nextAllowedAt: at('2026-12-07T22:00:00Z'),
      startHour: 17,
      endHour: 18,
    });
  });

  it('never lets a state rule, with wide operator hours, widen the federal window', () => {
    const rules = STATE_CONTACT_RULES as Record<string, CallingRule>;
    const wide = { startHour: 6, endHour: 23 };
    rules.XX = { ...STATE_CONTACT_RULES.FL!, rule: 'XX', weekday: wide, saturday: wide, sunday: wide };
    try {
      // Monday 2026-12-07 7:30 EST.
      expect(contactWindow(at('2026-12-07T12:30:00Z'), NY, { state: 'XX', hours: wide })).toMatchObject({
        allowedNow: false,
        nextAllowedAt: at('2026-12-07T13:00:00Z'),
        startHour: 8,
        endHour: 21,
        rule: 'XX',
      });
    } finally {
      delete rules.XX;
    }
  });

  it("is null when the operator's hours never meet the state's", () => {
    expect(
      contactWindow(at('2026-12-07T13:30:00Z'), NY, { state: 'FL', hours: { startHour: 20, endHour: 21 } }),
    ).toBeNull();
  });

  const zoneOf: Record<string, string> = {
    AL: CHICAGO,
    CT: NY,
    FL: NY,
    MA: NY,
    MD: NY,
    MS: CHICAGO,
    OK: CHICAGO,
    RI: NY,
    TX: CHICAGO,
    UT: DENVER,
    WA: LA,
  };

  it('has a zone for every state in the rules', () => {
    expect(Object.keys(zoneOf).sort()).toEqual(Object.keys(STATE_CONTACT_RULES).sort());
  });

  it('opens at the first allowed hour after now, inside the federal and the state hours', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(zoneOf)),
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 0, 1) }),
        (state, now) => {
          const zone = zoneOf[state]!;
          const rule = STATE_CONTACT_RULES[state]!;
          const result = contactWindow(now, zone, { state })!;
          expect(result.rule).toBe(state);
          const local = localParts(result.nextAllowedAt, zone);
          const weekday = new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay();
          const dayHours = weekday === 0 ? rule.sunday : weekday === 6 ? rule.saturday : rule.weekday;
          expect(dayHours).not.toBeNull();
          expect(result.startHour).toBe(Math.max(8, dayHours!.startHour));
          expect(result.endHour).toBe(Math.min(21, dayHours!.endHour));
          expect(local.hour).toBeGreaterThanOrEqual(result.startHour);
          expect(local.hour).toBeLessThan(result.endHour);
          if (result.allowedNow) {
            expect(result.nextAllowedAt).toBe(now);
            return;
          }
          expect(result.nextAllowedAt).toBeGreaterThan(now);
          expect(local).toMatchObject({ hour: result.startHour, minute: 0, second: 0 });
          expect(contactWindow(result.nextAllowedAt, zone, { state })!.allowedNow).toBe(true);
          // Closed at every hour boundary between now and the opening.
          const firstHour = Math.ceil(now / 3600_000) * 3600_000;
          for (let t = firstHour; t < result.nextAllowedAt; t += 3600_000) {
            expect(contactWindow(t, zone, { state })!.allowedNow).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('zonedTimeToEpoch', () => {
  it('finds wall times, including around DST changes', () => {
    const ny = 'America/New_York';
    expect(zonedTimeToEpoch({ year: 2024, month: 6, day: 3, hour: 8 }, ny)).toBe(at('2024-06-03T12:00:00Z'));
    // 02:30 does not exist on 2024-03-10: shifted forward by the gap, to 03:30 EDT
    expect(zonedTimeToEpoch({ year: 2024, month: 3, day: 10, hour: 2, minute: 30 }, ny)).toBe(
      at('2024-03-10T07:30:00Z'),
    );
    // 01:30 happens twice on 2024-11-03: the earlier one (EDT)
    expect(zonedTimeToEpoch({ year: 2024, month: 11, day: 3, hour: 1, minute: 30 }, ny)).toBe(
      at('2024-11-03T05:30:00Z'),
    );
  });
});
