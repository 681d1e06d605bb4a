import fc from 'fast-check';
import { contactWindow, formatLocalTime, localParts, zonedTimeToEpoch } from './contact-window';

const at = (iso: string) => Date.parse(iso);

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
    });
  });

  it('honours other hours', () => {
    expect(
      contactWindow(at('2024-06-03T00:30:00Z'), 'America/New_York', { startHour: 9, endHour: 20 }),
    ).toEqual({
      allowedNow: false,
      nextAllowedAt: at('2024-06-03T13:00:00Z'),
      localTime: '2024-06-02T20:30:00-04:00',
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
          const result = contactWindow(now, zone);
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
