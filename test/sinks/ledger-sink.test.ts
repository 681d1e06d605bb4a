/**
 * The lead ledger's table and the vendor scorecards, on PGlite and on real PostgreSQL: the
 * `postgres-ledger` sink stores each entry once however often it is delivered, and the
 * scorecards computed from a small hand-counted set of leads equal the figures worked out by
 * hand, per vendor and per vendor and campaign.
 */
import { scorecard } from '../../sinks/postgres/scorecard';
import { REPORTS } from '../../sinks/postgres/reports';
import { databasesUnderTest, removePgliteTemplate } from './databases';
import { RECEIVED_ON, scorecardRecords, sinkBatch, writeScorecardFixture } from './scorecard-fixture';

jest.setTimeout(120_000);
afterAll(() => removePgliteTemplate());

/** Vendor acme-leads, leads received on 2025-06-02 (A1-A6; A7 came the day after). */
const ACME = {
  vendor_id: 'acme-leads',
  leads: 6,
  // A4 (two reasons), A5 and A6 (duplicates caught by the phone screen).
  rejected: 3,
  reject_rate: 0.5,
  top_rejections: 'duplicate_contact:2; invalid_phone:1; invalid_zip:1',
  routed: 3,
  accepted: 2,
  contacted: 2,
  sold: 1,
  contact_rate: 1,
  sale_rate: 0.5,
  // 30 (A1) + 30 - 30 charged back (A2) + 25 (A3).
  cost_usd: 55,
  // 5500 cents over 6 leads: 916.67 cents.
  cost_per_lead_usd: 9.17,
  cost_per_sale_usd: 55,
  // 80 (A1) + 80 - 80 credited (A2).
  revenue_usd: 80,
  margin_usd: 25,
  returned: 1,
  return_rate: 0.5,
};

const BETA = {
  vendor_id: 'beta-leads',
  leads: 2,
  rejected: 1,
  reject_rate: 0.5,
  top_rejections: 'invalid_phone:1',
  routed: 1,
  accepted: 1,
  // Only the sale was reported, and a sale was a contact.
  contacted: 1,
  sold: 1,
  contact_rate: 1,
  sale_rate: 1,
  cost_usd: 10,
  cost_per_lead_usd: 5,
  cost_per_sale_usd: 10,
  revenue_usd: 50,
  margin_usd: 40,
  returned: 0,
  return_rate: 0,
};

for (const choice of databasesUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`ledger and scorecards on ${choice.kind}`, () => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });

    test('each ledger entry is stored once, however often its batch is delivered', async () => {
      const { db, dispose } = await choice.open();
      try {
        const { ledger } = scorecardRecords();
        // A redelivery inside one batch (same entry, later offset), then the whole batch again.
        const batch = [...ledger, { ...ledger[0]!, offset: ledger.length }];
        await sinkBatch(db, 'postgres-ledger', batch);
        const stored = async () =>
          (
            await db.query<{ entry_id: string; kind: string; amount_cents: number; at: Date }>(
              'SELECT entry_id, kind, amount_cents::float8 AS amount_cents, at FROM ledger_entries ORDER BY entry_id',
            )
          ).rows;
        const once = await stored();
        await sinkBatch(db, 'postgres-ledger', batch);
        expect(await stored()).toEqual(once);
        expect(once.map((r) => r.entry_id)).toEqual(ledger.map((r) => r.value.entryId).sort());
        expect(once.find((r) => r.entry_id === 'A2:chargeback')).toEqual({
          entry_id: 'A2:chargeback',
          kind: 'chargeback',
          amount_cents: 3000,
          at: new Date(ledger.find((r) => r.value.entryId === 'A2:chargeback')!.value.at),
        });
        const { rows } = await db.query<{ reason: string | null; campaign: string | null }>(
          "SELECT reason, campaign FROM ledger_entries WHERE entry_id = 'A2:credit'",
        );
        expect(rows).toEqual([{ reason: 'returned:bad_phone', campaign: 'spring' }]);
      } finally {
        await dispose();
      }
    });

    test('the scorecard per vendor equals the figures counted by hand', async () => {
      const { db, dispose } = await choice.open();
      try {
        await writeScorecardFixture(db);
        const { rows: campaigns } = await db.query<{ lead_id: string; campaign: string | null }>(
          "SELECT lead_id, campaign FROM leads WHERE lead_id IN ('A4', 'A5', 'B1') ORDER BY lead_id",
        );
        // From the parsed lead (A4), from the body a contact screen kept (A5), none named (B1).
        expect(campaigns).toEqual([
          { lead_id: 'A4', campaign: 'summer' },
          { lead_id: 'A5', campaign: 'spring' },
          { lead_id: 'B1', campaign: null },
        ]);

        const range = { from: RECEIVED_ON, to: RECEIVED_ON };
        expect(await scorecard(db, 'vendor', range)).toEqual([ACME, BETA]);
        expect(await REPORTS.scorecard!(db, range)).toEqual([ACME, BETA]);

        // All days: A7 joins acme, with its cost and no sale.
        const [allDays] = await scorecard(db, 'vendor');
        expect(allDays).toMatchObject({
          leads: 7,
          routed: 4,
          cost_usd: 80,
          // 8000 cents over 7 leads: 1142.86 cents.
          cost_per_lead_usd: 11.43,
          cost_per_sale_usd: 80,
          margin_usd: 0,
        });
        expect(await scorecard(db, 'vendor', { from: '2025-06-04' })).toEqual([]);
      } finally {
        await dispose();
      }
    });

    test('the scorecard per campaign splits each vendor by the campaign its leads came with', async () => {
      const { db, dispose } = await choice.open();
      try {
        await writeScorecardFixture(db);
        const rows = await scorecard(db, 'campaign', { to: RECEIVED_ON });
        expect(await REPORTS['scorecard-campaigns']!(db, { to: RECEIVED_ON })).toEqual(rows);
        expect(rows).toEqual([
          {
            vendor_id: 'acme-leads',
            campaign: 'spring',
            leads: 4,
            rejected: 2,
            reject_rate: 0.5,
            top_rejections: 'duplicate_contact:2',
            routed: 2,
            accepted: 2,
            contacted: 2,
            sold: 1,
            contact_rate: 1,
            sale_rate: 0.5,
            cost_usd: 30,
            cost_per_lead_usd: 7.5,
            cost_per_sale_usd: 30,
            revenue_usd: 80,
            margin_usd: 50,
            returned: 1,
            return_rate: 0.5,
          },
          {
            vendor_id: 'acme-leads',
            campaign: 'summer',
            leads: 2,
            rejected: 1,
            reject_rate: 0.5,
            top_rejections: 'invalid_phone:1; invalid_zip:1',
            routed: 1,
            accepted: 0,
            contacted: 0,
            sold: 0,
            // Nothing accepted, sold or sold on: nothing to divide by.
            contact_rate: null,
            sale_rate: null,
            cost_usd: 25,
            cost_per_lead_usd: 12.5,
            cost_per_sale_usd: null,
            revenue_usd: 0,
            margin_usd: -25,
            returned: 0,
            return_rate: null,
          },
          { ...BETA, campaign: null },
        ]);
        // The campaigns add up to their vendor.
        const byVendor = await scorecard(db, 'vendor', { to: RECEIVED_ON });
        const acme = rows.filter((r) => r.vendor_id === 'acme-leads');
        for (const column of ['leads', 'rejected', 'sold', 'cost_usd', 'revenue_usd', 'margin_usd'] as const)
          expect(acme.reduce((sum, r) => sum + r[column], 0)).toBe(byVendor[0]![column]);
      } finally {
        await dispose();
      }
    });
  });
}
