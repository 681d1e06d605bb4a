import { testAgent } from '../../tools/routing-fixtures';
import { agentPeriodRoom, intakeClaims, outsideSchedule } from './caps';
import { EconomicsConfigError, parseEconomicsConfig } from './economics';

const config = parseEconomicsConfig(`
caps:
  vendors:
    - { vendor: acme, daily: 500, weekly: 3000, timeZone: America/New_York }
    - { vendor: acme, campaign: spring, daily: 100 }
  agents:
    a: { weekly: 10, monthly: 30 }
schedules:
  - { vendor: harbor, timeZone: America/Chicago, days: [1, 2, 3, 4, 5], start: '08:00', end: '20:00' }
`);

// Monday 2026-12-07 03:00 UTC: Sunday 22:00 in New York, 21:00 in Chicago.
const MONDAY_3AM_UTC = Date.UTC(2026, 11, 7, 3);

describe('intake caps', () => {
  it("claims a place in each of the vendor's counts and its campaign's, in their local periods", () => {
    expect(
      intakeClaims(config, { vendorId: 'acme', campaign: 'spring' }, MONDAY_3AM_UTC).map((c) => [
        c.key,
        c.limit,
        c.describe,
      ]),
    ).toEqual([
      ['acme:*:daily:2026-12-06', 500, "acme's daily cap of 500 leads (2026-12-06, America/New_York)"],
      ['acme:*:weekly:2026-W49', 3000, "acme's weekly cap of 3000 leads (2026-W49, America/New_York)"],
      [
        'acme:spring:daily:2026-12-07',
        100,
        "acme campaign spring's daily cap of 100 leads (2026-12-07, UTC)",
      ],
    ]);
    expect(intakeClaims(config, { vendorId: 'acme', campaign: 'autumn' }, MONDAY_3AM_UTC)).toHaveLength(2);
    expect(intakeClaims(config, { vendorId: 'other', campaign: null }, MONDAY_3AM_UTC)).toEqual([]);
  });

  it("refuses a lead outside its vendor's schedule, in the schedule's zone", () => {
    expect(outsideSchedule(config, { vendorId: 'harbor', campaign: null }, MONDAY_3AM_UTC)).toBe(
      'harbor sends leads on days 1,2,3,4,5 (1 = Monday) from 08:00 to 20:00 America/Chicago only',
    );
    expect(
      outsideSchedule(config, { vendorId: 'harbor', campaign: null }, Date.UTC(2026, 11, 7, 15)),
    ).toBeNull();
    expect(outsideSchedule(config, { vendorId: 'acme', campaign: null }, MONDAY_3AM_UTC)).toBeNull();
  });
});

describe('agent caps', () => {
  it('leave the room the weekly and monthly caps allow, open offers holding places', () => {
    const agent = testAgent({ agentId: 'a' });
    expect(agentPeriodRoom(config, agent, { weekly: 7, monthly: 28, open: 1 })).toBe(1);
    expect(agentPeriodRoom(config, agent, { weekly: 9, monthly: 0, open: 1 })).toBe(0);
    expect(agentPeriodRoom(config, testAgent({ agentId: 'b' }), { weekly: 99, monthly: 99, open: 9 })).toBe(
      Infinity,
    );
  });
});

describe('caps and schedules in the economics file', () => {
  it.each([
    ['caps: { vendors: [{ vendor: a }] }', /caps\.vendors\.0: name at least one of daily, weekly, monthly/],
    ['caps: { vendors: [{ vendor: a, daily: 5, timeZone: Mars/Olympus }] }', /caps\.vendors\.0\.timeZone/],
    ['caps: { agents: { a: { daily: 5 } } }', /caps\.agents\.a/],
    [
      "schedules: [{ vendor: a, timeZone: UTC, days: [1], start: '18:00', end: '08:00' }]",
      /schedules\.0\.end: end must be after start/,
    ],
    [
      "schedules: [{ vendor: a, timeZone: UTC, days: [8], start: '08:00', end: '18:00' }]",
      /schedules\.0\.days/,
    ],
  ])('refuses %s, naming the field', (text, message) => {
    expect(() => parseEconomicsConfig(text)).toThrow(EconomicsConfigError);
    expect(() => parseEconomicsConfig(text)).toThrow(message);
  });
});
