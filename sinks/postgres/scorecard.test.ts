import { type ScorecardCounts, type ScorecardFigures, scorecardRows, vendorScorecardOf } from './scorecard';

const counts = (fields: Partial<ScorecardCounts> & Pick<ScorecardCounts, 'vendor_id'>): ScorecardCounts => ({
  leads: 10,
  rejected: 0,
  routed: 0,
  accepted: 0,
  contacted: 0,
  sold: 0,
  cost_cents: 0,
  revenue_cents: 0,
  earning: 0,
  returned: 0,
  ...fields,
});

describe('scorecardRows', () => {
  test('rates to four decimals, money net and in dollars to the cent, per lead and per sale', () => {
    const [row] = scorecardRows({
      counts: [
        counts({
          vendor_id: 'v',
          leads: 3,
          rejected: 1,
          routed: 2,
          accepted: 2,
          contacted: 1,
          sold: 1,
          cost_cents: 1000,
          revenue_cents: 2999,
          earning: 3,
          returned: 1,
        }),
      ],
      rejections: [],
    });
    expect(row).toEqual({
      vendor_id: 'v',
      leads: 3,
      rejected: 1,
      reject_rate: 0.3333,
      top_rejections: null,
      routed: 2,
      accepted: 2,
      contacted: 1,
      sold: 1,
      contact_rate: 0.5,
      sale_rate: 0.5,
      cost_usd: 10,
      cost_per_lead_usd: 3.33,
      cost_per_sale_usd: 10,
      revenue_usd: 29.99,
      margin_usd: 19.99,
      returned: 1,
      return_rate: 0.3333,
    });
  });

  test('what has nothing to divide by is null: no sale, nothing accepted, no revenue', () => {
    const [row] = scorecardRows({ counts: [counts({ vendor_id: 'v', cost_cents: 500 })], rejections: [] });
    expect(row).toMatchObject({
      cost_per_lead_usd: 0.5,
      cost_per_sale_usd: null,
      contact_rate: null,
      sale_rate: null,
      return_rate: null,
      margin_usd: -5,
    });
  });

  test('the five most frequent reasons of each group, then by code; busiest groups first', () => {
    const figures: ScorecardFigures = {
      counts: [
        counts({ vendor_id: 'b', campaign: null, leads: 5 }),
        counts({ vendor_id: 'a', campaign: 'x', leads: 5 }),
        counts({ vendor_id: 'b', campaign: 'y', leads: 9 }),
      ],
      rejections: [
        ...['f', 'e', 'd', 'c', 'b', 'a'].map((code) => ({ vendor_id: 'b', campaign: 'y', code, leads: 1 })),
        { vendor_id: 'b', campaign: 'y', code: 'z', leads: 4 },
        { vendor_id: 'b', campaign: null, code: 'q', leads: 2 },
      ],
    };
    expect(scorecardRows(figures).map((r) => [r.vendor_id, r.campaign, r.top_rejections])).toEqual([
      ['b', 'y', 'z:4; a:1; b:1; c:1; d:1'],
      ['a', 'x', null],
      ['b', null, 'q:2'],
    ]);
  });
});

describe('vendorScorecardOf', () => {
  const byVendor: ScorecardFigures = {
    counts: [
      counts({
        vendor_id: 'mine',
        leads: 4,
        rejected: 1,
        cost_cents: 1200,
        revenue_cents: 9000,
        earning: 2,
        returned: 1,
      }),
      counts({ vendor_id: 'theirs', leads: 8 }),
    ],
    rejections: [
      { vendor_id: 'mine', code: 'invalid_phone', leads: 1 },
      { vendor_id: 'theirs', code: 'duplicate_contact', leads: 3 },
    ],
  };
  const byCampaign: ScorecardFigures = {
    counts: [
      counts({ vendor_id: 'mine', campaign: 'spring', leads: 3, cost_cents: 1200 }),
      counts({ vendor_id: 'mine', campaign: null, leads: 1, rejected: 1 }),
      counts({ vendor_id: 'theirs', campaign: 'spring', leads: 8 }),
    ],
    rejections: [{ vendor_id: 'mine', campaign: null, code: 'invalid_phone', leads: 1 }],
  };

  test("only the vendor's own rows, with what it was paid and never what the platform earned", () => {
    const card = vendorScorecardOf('mine', byVendor, byCampaign);
    expect(card.totals).toEqual({
      leads: 4,
      rejected: 1,
      reject_rate: 0.25,
      rejections: [{ code: 'invalid_phone', leads: 1 }],
      accepted: 0,
      contacted: 0,
      sold: 0,
      contact_rate: null,
      sale_rate: null,
      returned: 1,
      return_rate: 0.5,
      paid_usd: 12,
      paid_per_lead_usd: 3,
    });
    expect(card.campaigns.map((c) => [c.campaign, c.leads, c.rejections])).toEqual([
      ['spring', 3, []],
      [null, 1, [{ code: 'invalid_phone', leads: 1 }]],
    ]);
    expect(JSON.stringify(card)).not.toMatch(/revenue|margin|theirs|duplicate_contact/);
  });

  test('a vendor without leads in the range has no totals', () => {
    expect(vendorScorecardOf('new', byVendor, byCampaign)).toEqual({
      vendor_id: 'new',
      totals: null,
      campaigns: [],
    });
  });
});
