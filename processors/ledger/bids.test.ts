import { bestBid, interestedBuyers, type Ping } from './bids';
import { EconomicsConfigError, parseEconomicsConfig } from './economics';

const WEDNESDAY_NOON_UTC = Date.parse('2026-12-09T12:00:00Z');

const config = parseEconomicsConfig(`
buyers:
  - { id: dallas, line: auto, state: TX, zipPrefix: ['752', '753'], exclusiveCents: 4500 }
  - { id: texas-shared, state: TX, sharedCents: 1600 }
  - { id: anywhere, exclusiveCents: 2000, sharedCents: 1200 }
  - { id: cheap, line: [auto, home], sharedCents: 1200 }
  - { id: nights, sharedCents: 9900, schedule: { timeZone: UTC, days: [1, 2, 3, 4, 5], start: '20:00', end: '23:00' } }
caps:
  buyers:
    dallas: { daily: 5, weekly: 20, timeZone: America/Chicago }
pingPost: { vendorShare: 0.75, maxSharedBuyers: 2 }
`);

const ping = (fields: Partial<Ping> = {}): Ping => ({
  line: 'auto',
  state: 'TX',
  zip: '75201',
  campaign: null,
  ...fields,
});
const ids = (p: Ping, now = WEDNESDAY_NOON_UTC) => interestedBuyers(config, p, now).map((b) => b.buyerId);

describe('buyers a ping interests', () => {
  it('filters by line, state and ZIP prefix, in file order', () => {
    expect(ids(ping())).toEqual(['dallas', 'texas-shared', 'anywhere', 'cheap']);
    expect(ids(ping({ zip: '77001' }))).toEqual(['texas-shared', 'anywhere', 'cheap']);
    expect(ids(ping({ line: 'life', state: 'OH', zip: '43004' }))).toEqual(['anywhere']);
  });

  it('takes a buyer only within its schedule', () => {
    expect(ids(ping(), Date.parse('2026-12-09T21:00:00Z'))).toContain('nights');
    expect(ids(ping(), Date.parse('2026-12-12T21:00:00Z'))).not.toContain('nights');
  });
});

describe('the best bid', () => {
  const bid = (p: Ping) => bestBid(config, interestedBuyers(config, p, WEDNESDAY_NOON_UTC));

  it('sells alone when one buyer pays more than the shared sale', () => {
    expect(bid(ping())).toEqual({
      kind: 'exclusive',
      buyers: [{ buyerId: 'dallas', priceCents: 4500 }],
      vendorPriceCents: 3375,
    });
  });

  it('shares among up to maxSharedBuyers buyers when together they pay more, ties in file order', () => {
    // 1600 + 1200 (anywhere before cheap) beats anywhere's 2000 alone.
    expect(bid(ping({ zip: '77001' }))).toEqual({
      kind: 'shared',
      buyers: [
        { buyerId: 'texas-shared', priceCents: 1600 },
        { buyerId: 'anywhere', priceCents: 1200 },
      ],
      vendorPriceCents: 2100,
    });
  });

  it('prefers exclusive on a tie, and bids nothing without buyers', () => {
    const tie = parseEconomicsConfig(`
buyers:
  - { id: a, sharedCents: 1000 }
  - { id: b, sharedCents: 1000 }
  - { id: c, exclusiveCents: 2000 }
`);
    expect(bestBid(tie, tie.buyers)).toMatchObject({ kind: 'exclusive', buyers: [{ buyerId: 'c' }] });
    expect(bestBid(tie, tie.buyers.slice(0, 1))).toMatchObject({
      kind: 'shared',
      buyers: [{ buyerId: 'a' }],
    });
    expect(bestBid(config, [])).toBeNull();
  });
});

describe('buyers in the economics file', () => {
  it('reads filters, prices, caps and the ping-post policy', () => {
    expect(config.buyers[0]).toEqual({
      buyerId: 'dallas',
      lines: ['auto'],
      states: ['TX'],
      zipPrefixes: ['752', '753'],
      exclusiveCents: 4500,
      sharedCents: null,
      caps: { limits: { daily: 5, weekly: 20 }, timeZone: 'America/Chicago' },
      hours: null,
    });
    expect(config.pingPost).toEqual({ vendorShare: 0.75, bidTtlSeconds: 60, maxSharedBuyers: 2 });
  });

  it.each([
    ['buyers: [{ id: x }]', 'buyers.0: name exclusiveCents, sharedCents or both'],
    ['buyers: [{ id: x, exclusiveCents: 1 }, { id: x, sharedCents: 1 }]', 'buyers.1.id: "x" twice'],
    [
      'buyers: [{ id: x, exclusiveCents: 1 }]\ncaps: { buyers: { y: { daily: 1 } } }',
      'caps.buyers.y: no buyer with that id',
    ],
    ['buyers: [{ id: x, exclusiveCents: 1, zipPrefix: "7a" }]', 'buyers.0.zipPrefix: one to five digits'],
    ['pingPost: { vendorShare: 1.5 }', 'pingPost.vendorShare'],
  ])('refuses %s naming the field', (text, message) => {
    expect(() => parseEconomicsConfig(text)).toThrow(EconomicsConfigError);
    expect(() => parseEconomicsConfig(text)).toThrow(message);
  });
});
