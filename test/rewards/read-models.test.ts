/** The rewards read models on PGlite and PostgreSQL: referral folding, leaderboards, idempotent writes. */
import type { ReferralEvent, RewardEvent } from '../../schemas/reward-records';
import { writeLedger, writeReferrals, writeTiers } from '../../sinks/postgres/rewards';
import { leaderboard, partnerReferrals } from '../../sinks/postgres/rewards-figures';
import { databasesUnderTest, removePgliteTemplate } from '../sinks/databases';
import { NOV, referral } from './fixtures';

jest.setTimeout(120_000);

afterAll(() => removePgliteTemplate());

const points = (eventId: string, agentId: string, n: number, period: string): RewardEvent => ({
  eventId,
  accountKind: 'agent',
  accountId: agentId,
  points: n,
  amountCents: 0,
  reason: 'community_post',
  sourceEventId: eventId,
  leadId: null,
  period,
  at: NOV,
  detail: null,
});

const stepOf = (
  leadId: string,
  type: ReferralEvent['type'],
  extra: Partial<ReferralEvent> = {},
): ReferralEvent => ({
  ...referral(leadId, 'p1'),
  eventId: `${leadId}:${type}`,
  type,
  at: NOV + 1000,
  ...extra,
});

describe.each(databasesUnderTest().map((choice) => [choice.kind, choice] as const))(
  'rewards read models: %s',
  (_kind, choice) => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });
    const maybe = choice.gate.run ? test : test.skip;

    maybe(
      'referral steps fold into one status that never moves back, written twice or out of order',
      async () => {
        const { db, dispose } = await choice.open();
        try {
          const steps = [
            referral('L1', 'p1'),
            stepOf('L1', 'rewarded', { commissionCents: 8_500 }),
            stepOf('L1', 'converted', { premiumCents: 120_000, agentId: 'a1' }),
            referral('L2', 'p1'),
            stepOf('L2', 'qualified'),
          ];
          await db.transaction((tx) => writeReferrals(tx, steps.slice(0, 2)));
          await db.transaction((tx) => writeReferrals(tx, steps));
          await db.transaction((tx) => writeReferrals(tx, steps));
          const referrals = await partnerReferrals(db, 'p1');
          expect(referrals.map((r) => [r.leadId, r.status, r.premiumCents, r.commissionCents])).toEqual(
            expect.arrayContaining([
              ['L1', 'rewarded', 120_000, 8_500],
              ['L2', 'qualified', null, null],
            ]),
          );
          const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM referral_events');
          expect(rows[0]!.n).toBe(5);
        } finally {
          await dispose();
        }
      },
    );

    maybe('leaderboards: global, per routing group, per period; ledger rows written once', async () => {
      const { db, dispose } = await choice.open();
      try {
        await db.query(
          `INSERT INTO agents (agent_id, routing_group, active, payload, updated_at, source_offset) VALUES
         ('a1', 'east', true, '{}', now(), 0), ('a2', 'west', true, '{}', now(), 1), ('a3', 'east', true, '{}', now(), 2)`,
        );
        const entries = [
          points('e1', 'a1', 30, '2026-11'),
          points('e2', 'a2', 50, '2026-11'),
          points('e3', 'a3', 10, '2026-11'),
          points('e4', 'a3', 100, '2026-10'),
        ];
        await db.transaction((tx) => writeLedger(tx, entries));
        await db.transaction((tx) => writeLedger(tx, entries));
        await db.transaction((tx) =>
          writeTiers(tx, [
            {
              agentId: 'a2',
              tier: 'gold',
              priorityBoost: 0.5,
              dailyCapBonus: 2,
              period: '2026-11',
              periodPoints: 50,
              change: 'promoted',
              at: NOV,
            },
          ]),
        );
        const board = (rows: Awaited<ReturnType<typeof leaderboard>>) =>
          rows.map((r) => [r.rank, r.agentId, r.points, r.tier]);
        expect(board(await leaderboard(db, { period: '2026-11' }))).toEqual([
          [1, 'a2', 50, 'gold'],
          [2, 'a1', 30, null],
          [3, 'a3', 10, null],
        ]);
        expect(board(await leaderboard(db, { period: '2026-11', routingGroup: 'east' }))).toEqual([
          [1, 'a1', 30, null],
          [2, 'a3', 10, null],
        ]);
        expect(board(await leaderboard(db, { period: '2026-10' }))).toEqual([[1, 'a3', 100, null]]);
      } finally {
        await dispose();
      }
    });
  },
);
