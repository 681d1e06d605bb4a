import fc from 'fast-check';
import { availability, localDay, localPeriods, parseClock } from './hours';
import type { WorkingHours } from '../../schemas/routing-records';

const weekdays9to5 = (timeZone: string): WorkingHours => ({
  timeZone,
  days: [1, 2, 3, 4, 5],
  start: '09:00',
  end: '17:00',
});

describe('working hours', () => {
  test('inside and outside a shift, in the agent zone', () => {
    const chicago = weekdays9to5('America/Chicago');
    // Wednesday 4 March 2026: 15:00 UTC is 09:00 in Chicago (CST, UTC-6).
    expect(availability(chicago, Date.UTC(2026, 2, 4, 15, 0))).toEqual({
      inHours: true,
      availableAt: Date.UTC(2026, 2, 4, 15, 0),
    });
    expect(availability(chicago, Date.UTC(2026, 2, 4, 14, 59)).inHours).toBe(false);
    expect(availability(chicago, Date.UTC(2026, 2, 4, 14, 59)).availableAt).toBe(Date.UTC(2026, 2, 4, 15, 0));
    // 17:00 local is the end (exclusive): the next shift is Thursday 09:00.
    expect(availability(chicago, Date.UTC(2026, 2, 4, 23, 0))).toEqual({
      inHours: false,
      availableAt: Date.UTC(2026, 2, 5, 15, 0),
    });
  });

  test('Friday evening waits for Monday; a DST change in between moves the UTC start', () => {
    const newYork = weekdays9to5('America/New_York');
    // Friday 6 March 2026 18:00 EST; clocks go forward on Sunday 8 March: Monday 09:00 is EDT (UTC-4).
    const next = availability(newYork, Date.UTC(2026, 2, 6, 23, 0));
    expect(next).toEqual({ inHours: false, availableAt: Date.UTC(2026, 2, 9, 13, 0) });
    // Monday 9 March 08:30 EDT is still before the shift, 09:00 EDT is in it.
    expect(availability(newYork, Date.UTC(2026, 2, 9, 12, 30)).inHours).toBe(false);
    expect(availability(newYork, Date.UTC(2026, 2, 9, 13, 0)).inHours).toBe(true);
  });

  test('no working days or a malformed shift means never available', () => {
    expect(availability({ ...weekdays9to5('UTC'), days: [] }, 0).availableAt).toBe(Infinity);
    expect(availability({ ...weekdays9to5('UTC'), start: '18:00' }, 0).availableAt).toBe(Infinity);
  });

  test('agrees with Intl for any instant and zone', () => {
    const zones = [
      'America/Los_Angeles',
      'America/Phoenix',
      'Pacific/Honolulu',
      'America/New_York',
      'Asia/Kolkata',
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 0, 1) }),
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 22 }),
        (at, timeZone, startHour) => {
          const hours: WorkingHours = {
            timeZone,
            days: [1, 2, 3, 4, 5, 6],
            start: `${String(startHour).padStart(2, '0')}:15`,
            end: `${String(startHour + 1).padStart(2, '0')}:45`,
          };
          const parts = Object.fromEntries(
            new Intl.DateTimeFormat('en-US', {
              timeZone,
              weekday: 'short',
              hour: '2-digit',
              minute: '2-digit',
              hourCycle: 'h23',
            })
              .formatToParts(at)
              .map((p) => [p.type, p.value]),
          );
          const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday!) + 1;
          const minute = Number(parts.hour) * 60 + Number(parts.minute);
          const expected =
            weekday <= 6 && minute >= startHour * 60 + 15 && minute < (startHour + 1) * 60 + 45;
          const result = availability(hours, at);
          expect(result.inHours).toBe(expected);
          if (!expected) {
            expect(result.availableAt).toBeGreaterThan(at);
            expect(availability(hours, result.availableAt).inHours).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test('local day and clock parsing', () => {
    // 06:30 UTC on 5 March is still 4 March in Los Angeles.
    expect(localDay(Date.UTC(2026, 2, 5, 6, 30), 'America/Los_Angeles')).toBe('2026-03-04');
    expect(localDay(Date.UTC(2026, 2, 5, 6, 30), 'Europe/Berlin')).toBe('2026-03-05');
    expect(parseClock('09:30')).toBe(570);
    expect(parseClock('24:00')).toBeNull();
    expect(parseClock('9:30')).toBeNull();
  });
});

describe('local periods', () => {
  it('counts days, ISO weeks and months in the zone, across year ends', () => {
    // 2026-01-01 03:00 UTC is still 2025-12-31 in New York; ISO week 1 of 2026 starts 2025-12-29.
    expect(localPeriods(Date.UTC(2026, 0, 1, 3), 'America/New_York')).toEqual({
      day: '2025-12-31',
      week: '2026-W01',
      month: '2025-12',
    });
    expect(localPeriods(Date.UTC(2026, 0, 1, 3), 'UTC')).toEqual({
      day: '2026-01-01',
      week: '2026-W01',
      month: '2026-01',
    });
    // 2027-01-01 is a Friday: it belongs to the last week of 2026 (W53).
    expect(localPeriods(Date.UTC(2027, 0, 1, 12), 'UTC').week).toBe('2026-W53');
    expect(localPeriods(Date.UTC(2026, 11, 7, 12), 'UTC').week).toBe('2026-W50');
  });
});
