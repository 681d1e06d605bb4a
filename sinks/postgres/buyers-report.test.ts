/**
 * The ping-post buyers report: row shaping and the default range without a database, then the
 * report over ledger entries written by the `postgres-ledger` sink, on PGlite and on real
 * PostgreSQL (skipped outside CI when it is not reachable, failed in CI): sales built by
 * `saleEntriesOf`, as the ledger stage writes them, beside entries the report must leave out.
 */
import { testLead } from '../../tools/routing-fixtures';
import { saleEntriesOf } from '../../processors/ledger/entries';
import type { LedgerEntry } from '../../schemas/ledger-records';
import { SAMPLE_NOW } from '../../schemas/lead-samples';
import type { SoldLead } from '../../schemas/routing-records';
import type { SaleKind } from '../../schemas/sale-records';
import { databasesUnderTest, removePgliteTemplate } from '../../test/sinks/databases';
import { consumed } from '../../test/sinks/records';
import { sinkBatch } from '../../test/sinks/scorecard-fixture';
import { TOPIC } from '../../topics/platform';
import { type BuyerCounts, buyerRows, buyersRange, buyersReport } from './buyers-report';
import { toCsv } from './read-models';
import { REPORTS } from './reports';

jest.setTimeout(120_000);
afterAll(() => removePgliteTemplate());

const DAY_MS = 86_400_000;
/** SAMPLE_NOW's day, 2025-06-02 (at 15:00 UTC), and the two days after. */
const DAY = '2025-06-02';
const NEXT_DAY = '2025-06-03';

const counts = (fields: Partial<BuyerCounts> & Pick<BuyerCounts, 'buyer_id'>): BuyerCounts => ({
  leads: 1,
  exclusive: 1,
  shared: 0,
  revenue_cents: 1000,
  credits: 0,
  credit_cents: 0,
  first_purchase_ms: SAMPLE_NOW,
  last_purchase_ms: SAMPLE_NOW,
  ...fields,
});

describe('buyerRows', () => {
  test('money in dollars to the cent, average price before credits, net after them', () => {
    expect(
      buyerRows([
        counts({
          buyer_id: 'b',
          leads: 3,
          exclusive: 1,
          shared: 2,
          revenue_cents: 4999,
          credits: 1,
          credit_cents: 1250,
          last_purchase_ms: SAMPLE_NOW + 90_061_001,
        }),
      ]),
    ).toEqual([
      {
        buyer_id: 'b',
        leads: 3,
        exclusive: 1,
        shared: 2,
        revenue_usd: 49.99,
        // 4999 cents over 3 leads: 1666.33 cents.
        avg_price_usd: 16.66,
        credits: 1,
        credits_usd: 12.5,
        net_revenue_usd: 37.49,
        first_purchase_at: '2025-06-02T15:00:00.000Z',
        last_purchase_at: '2025-06-03T16:01:01.001Z',
      },
    ]);
  });

  test('most revenue first, whatever was credited; a tie by buyer id', () => {
    const rows = buyerRows([
      counts({ buyer_id: 'c', revenue_cents: 500 }),
      counts({ buyer_id: 'b', revenue_cents: 3000, credit_cents: 3000, credits: 1 }),
      counts({ buyer_id: 'a', revenue_cents: 500 }),
    ]);
    expect(rows.map((r) => [r.buyer_id, r.revenue_usd, r.net_revenue_usd])).toEqual([
      ['b', 30, 0],
      ['a', 5, 5],
      ['c', 5, 5],
    ]);
  });
});

describe('buyersRange', () => {
  test('the last 30 days, today included, unless a day is given', () => {
    const now = Date.parse('2025-06-30T23:59:59Z');
    expect(buyersRange({}, now)).toEqual({ from: '2025-06-01' });
    expect(buyersRange({ to: DAY }, now)).toEqual({ to: DAY });
    expect(buyersRange({ from: DAY, to: NEXT_DAY }, now)).toEqual({ from: DAY, to: NEXT_DAY });
    expect(() => buyersRange({ from: NEXT_DAY, to: DAY }, now)).toThrow(/is after/);
  });
});

/** A lead sold by ping-post at `soldAt`, as match writes it to leads.sold. */
function sold(leadId: string, kind: SaleKind, buyers: [string, number][], soldAt: number): SoldLead {
  return {
    leadId,
    lead: testLead({
      leadId,
      receivedAt: soldAt - 1_000,
      campaign: 'spring',
      pricePaidCents: 1000,
      pricePaidRule: `bid:${kind}`,
    }),
    sale: {
      bidId: `bid-${leadId}`,
      kind,
      buyers: buyers.map(([buyerId, priceCents]) => ({ buyerId, priceCents })),
      vendorPriceCents: 1000,
      pingedAt: soldAt - 2_000,
    },
    soldAt,
  };
}

/** A credit to a buyer for a lead it bought (no stage writes one yet; a return would). */
const credit = (leadId: string, buyerId: string, amountCents: number, at: number): LedgerEntry => ({
  entryId: `${leadId}:returned:${buyerId}:credit`,
  leadId,
  kind: 'credit',
  party: 'buyer',
  partyId: buyerId,
  amountCents,
  rule: 'bid:shared',
  vendorId: 'acme-leads',
  campaign: 'spring',
  line: 'auto',
  state: 'CA',
  reason: 'returned:bad_phone',
  sourceEventId: `${leadId}:returned`,
  at,
});

/**
 * On 2025-06-02: L1 to buyer-a alone ($40), L2 shared by buyer-a and buyer-b ($15 each), L3 to
 * buyer-b alone ($50), credited back to buyer-b two days later. On 2025-06-03: L4 shared by
 * buyer-a and buyer-c ($12 each), buyer-a's credited back. Left out everywhere: an agent's
 * revenue and credit for A1, vendor costs, and a credit to buyer-c for a lead it never bought.
 */
function ledgerEntries(): LedgerEntry[] {
  const at = (day: number, minutes: number) => SAMPLE_NOW + day * DAY_MS + minutes * 60_000;
  const agentRevenue: LedgerEntry = {
    ...credit('A1', 'agent-7', 9000, at(0, 5)),
    entryId: 'A1:2:revenue',
    kind: 'revenue',
    party: 'agent',
    rule: 'rule:test',
    reason: null,
  };
  return [
    ...saleEntriesOf(sold('L1', 'exclusive', [['buyer-a', 4000]], at(0, 1))),
    ...saleEntriesOf(
      sold(
        'L2',
        'shared',
        [
          ['buyer-a', 1500],
          ['buyer-b', 1500],
        ],
        at(0, 2),
      ),
    ),
    ...saleEntriesOf(sold('L3', 'exclusive', [['buyer-b', 5000]], at(0, 3))),
    ...saleEntriesOf(
      sold(
        'L4',
        'shared',
        [
          ['buyer-a', 1200],
          ['buyer-c', 1200],
        ],
        at(1, 0),
      ),
    ),
    credit('L3', 'buyer-b', 5000, at(2, 0)),
    credit('L4', 'buyer-a', 1200, at(1, 30)),
    credit('L1', 'buyer-c', 4000, at(0, 30)),
    agentRevenue,
    { ...agentRevenue, entryId: 'A1:9:credit', kind: 'credit' },
  ];
}

const BUYER_B = {
  buyer_id: 'buyer-b',
  leads: 2,
  exclusive: 1,
  shared: 1,
  revenue_usd: 65,
  avg_price_usd: 32.5,
  credits: 1,
  credits_usd: 50,
  net_revenue_usd: 15,
  first_purchase_at: '2025-06-02T15:02:00.000Z',
  last_purchase_at: '2025-06-02T15:03:00.000Z',
};

const BUYER_A = {
  buyer_id: 'buyer-a',
  leads: 2,
  exclusive: 1,
  shared: 1,
  revenue_usd: 55,
  avg_price_usd: 27.5,
  credits: 0,
  credits_usd: 0,
  net_revenue_usd: 55,
  first_purchase_at: '2025-06-02T15:01:00.000Z',
  last_purchase_at: '2025-06-02T15:02:00.000Z',
};

for (const choice of databasesUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`buyers report on ${choice.kind}`, () => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });

    test('per buyer, the leads bought on the days asked for, their revenue and their credits', async () => {
      const { db, dispose } = await choice.open();
      try {
        const entries = ledgerEntries();
        await sinkBatch(
          db,
          'postgres-ledger',
          entries.map((entry, i) => consumed(TOPIC.ledger, entry.leadId, entry, i)),
        );

        // Sorted by revenue: buyer-b first although a credit leaves it the smaller net.
        const day = { from: DAY, to: DAY };
        expect(await buyersReport(db, day)).toEqual([BUYER_B, BUYER_A]);
        expect(await REPORTS.buyers!(db, day)).toEqual([BUYER_B, BUYER_A]);
        expect(
          toCsv(await REPORTS.buyers!(db, day))
            .split('\n')
            .slice(0, 2),
        ).toEqual([
          'buyer_id,leads,exclusive,shared,revenue_usd,avg_price_usd,credits,credits_usd,net_revenue_usd,' +
            'first_purchase_at,last_purchase_at',
          'buyer-b,2,1,1,65,32.5,1,50,15,2025-06-02T15:02:00.000Z,2025-06-02T15:03:00.000Z',
        ]);

        // The next day only L4, credited back to buyer-a: a tie on revenue, by buyer id.
        expect(await buyersReport(db, { from: NEXT_DAY })).toEqual([
          {
            buyer_id: 'buyer-a',
            leads: 1,
            exclusive: 0,
            shared: 1,
            revenue_usd: 12,
            avg_price_usd: 12,
            credits: 1,
            credits_usd: 12,
            net_revenue_usd: 0,
            first_purchase_at: '2025-06-03T15:00:00.000Z',
            last_purchase_at: '2025-06-03T15:00:00.000Z',
          },
          expect.objectContaining({ buyer_id: 'buyer-c', leads: 1, credits: 0, net_revenue_usd: 12 }),
        ]);

        // No range: the last 30 days, here ending the day after L4 was sold, so every purchase.
        const all = await buyersReport(db, {}, SAMPLE_NOW + 2 * DAY_MS);
        expect(all.map((r) => [r.buyer_id, r.leads, r.revenue_usd, r.net_revenue_usd])).toEqual([
          ['buyer-a', 3, 67, 55],
          ['buyer-b', 2, 65, 15],
          ['buyer-c', 1, 12, 12],
        ]);
        expect(all[0]!.last_purchase_at).toBe('2025-06-03T15:00:00.000Z');
        expect(await buyersReport(db, {}, SAMPLE_NOW + 40 * DAY_MS)).toEqual([]);
        expect(await buyersReport(db, { to: '2025-06-01' })).toEqual([]);
      } finally {
        await dispose();
      }
    });
  });
}
