/** Payout batches on PGlite and PostgreSQL: running a period twice pays once. */
import type { RewardEvent } from '../../schemas/reward-records';
import { writeLedger, writePartners } from '../../sinks/postgres/rewards';
import { runPayouts } from '../../sinks/postgres/rewards-payouts';
import { databasesUnderTest, removePgliteTemplate } from '../sinks/databases';
import { NOV, partner } from './fixtures';

jest.setTimeout(120_000);

afterAll(() => removePgliteTemplate());

const credit = (eventId: string, partnerId: string, amountCents: number, period: string): RewardEvent => ({
  eventId,
  accountKind: 'partner',
  accountId: partnerId,
  points: 0,
  amountCents,
  reason: amountCents < 0 ? 'clawback' : 'referral_commission',
  sourceEventId: eventId,
  leadId: null,
  period,
  at: NOV,
  detail: null,
});

describe.each(databasesUnderTest().map((choice) => [choice.kind, choice] as const))(
  'payouts: %s',
  (_kind, choice) => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });
    const maybe = choice.gate.run ? test : test.skip;

    maybe('one batch per partner and period from the ledger balance; a second run pays nothing', async () => {
      const { db, dispose } = await choice.open();
      try {
        await db.transaction(async (tx) => {
          await writePartners(tx, [partner('p1'), partner('p2'), partner('p3', 'suspended'), partner('p4')]);
          await writeLedger(tx, [
            credit('c1', 'p1', 8_500, '2026-10'),
            credit('c2', 'p1', 12_500, '2026-11'),
            credit('c3', 'p1', -2_000, '2026-11'),
            credit('c4', 'p2', 7_500, '2026-11'),
            credit('c5', 'p2', 9_999, '2026-12'),
            credit('c6', 'p3', 5_000, '2026-11'),
            credit('c7', 'p4', -100, '2026-11'),
          ]);
        });
        const published: RewardEvent[] = [];
        const publish = async (entries: RewardEvent[]) => void published.push(...entries);

        const first = await runPayouts(db, '2026-11', publish);
        expect(first.batches).toEqual([
          {
            batchId: 'payout:p1:2026-11',
            partnerId: 'p1',
            period: '2026-11',
            amountCents: 19_000,
            created: true,
          },
          {
            batchId: 'payout:p2:2026-11',
            partnerId: 'p2',
            period: '2026-11',
            amountCents: 7_500,
            created: true,
          },
        ]);
        expect(first.held).toEqual([{ partnerId: 'p3', status: 'suspended', balanceCents: 5_000 }]);
        expect(published.map((e) => [e.eventId, e.amountCents, e.reason])).toEqual([
          ['payout:p1:2026-11', -19_000, 'payout'],
          ['payout:p2:2026-11', -7_500, 'payout'],
        ]);

        const second = await runPayouts(db, '2026-11', publish);
        expect(second.batches).toEqual([]);
        expect(second.totalCents).toBe(0);
        expect(published).toHaveLength(2);
        // The sink delivering the published debits again changes nothing.
        await db.transaction((tx) => writeLedger(tx, published));

        const balances = await db.query<{ account_id: string; amount_cents: number }>(
          `SELECT account_id, amount_cents::int AS amount_cents FROM reward_balances ORDER BY account_id`,
        );
        expect(balances.rows).toEqual([
          { account_id: 'p1', amount_cents: 0 },
          { account_id: 'p2', amount_cents: 9_999 },
          { account_id: 'p3', amount_cents: 5_000 },
          { account_id: 'p4', amount_cents: -100 },
        ]);
        const { rows } = await db.query<{ n: number; status: string }>(
          `SELECT count(*)::int AS n, min(status) AS status FROM payouts`,
        );
        expect(rows).toEqual([{ n: 2, status: 'published' }]);
        await expect(runPayouts(db, '2026-13', publish)).rejects.toThrow(/YYYY-MM/);
      } finally {
        await dispose();
      }
    });
  },
);
