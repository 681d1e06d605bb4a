/**
 * The reward stages on both transports, writing the rewards read models: referrals converted and
 * clawed back, points and tiers, community content; then the reward input replayed from the start
 * under a fresh consumer group and fresh state, which must leave the ledger exactly as it was.
 */
import { rewardLeadsProcessor, rewardProcessor } from '../../processors/reward/processor';
import { DEFAULT_REWARDS_CONFIG } from '../../processors/reward/config';
import { communityKey, type RewardEvent } from '../../schemas/reward-records';
import type { Processor } from '../../runtime/processor';
import { Pipeline } from '../../runtime/pipeline';
import type { Database } from '../../sinks/postgres/database';
import { rewardSinks } from '../../sinks/postgres/rewards';
import { rewardFigures } from '../../sinks/postgres/rewards-figures';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { codecFor, readValues, testLog, transportsUnderTest } from '../support/harness';
import { databasesUnderTest, type TestDatabase } from '../sinks/databases';
import { community, DAY, MIN, NOV, offerAndAccept, outcome, partner, referral } from './fixtures';

jest.setTimeout(240_000);

const pipelineProcessors = (db: Database) =>
  [
    rewardLeadsProcessor(DEFAULT_REWARDS_CONFIG),
    rewardProcessor(DEFAULT_REWARDS_CONFIG),
    ...rewardSinks(db, (_log, write) => write()),
  ] as Processor<never>[];

const ledgerRows = async (db: Database) =>
  (
    await db.query<Record<string, unknown>>(
      `SELECT event_id, account_kind, account_id, points, (amount_usd * 100)::int AS cents, reason, period
       FROM rewards_ledger ORDER BY event_id`,
    )
  ).rows;

for (const choice of transportsUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`reward: ${choice.kind}`, () => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });

    test('referrals, points, tiers and community into the read models; a replay leaves the ledger unchanged', async () => {
      const harness = choice.create();
      // Embedded runs write to PGlite, Kafka runs to PostgreSQL (as in a deployment).
      const database = databasesUnderTest().find(
        (d) => d.kind === (choice.kind === 'kafka' ? 'postgres' : 'pglite'),
      )!;
      let test: TestDatabase | undefined;
      try {
        test = await database.open();
        const { db } = test;
        const transport = harness.connect();
        const catalog = platformCatalog();
        const inputs = [
          TOPIC.partners,
          TOPIC.referrals,
          TOPIC.assignments,
          TOPIC.leadOutcomes,
          TOPIC.communityEvents,
        ];
        await transport.applyTopics(catalog.all());
        const { codec, vault } = await codecFor(transport, catalog, [...inputs, TOPIC.rewards]);
        await transport.produce(
          [partner('p1'), partner('p2')].map((p) => codec.encode(TOPIC.partners, p.partnerId, p)),
        );

        const run = async (appId: string) => {
          const pipeline = await Pipeline.start({
            appId,
            transport,
            keys: vault,
            registry: harness.registry(transport),
            catalog,
            processors: pipelineProcessors(db),
            log: testLog,
          });
          return pipeline;
        };
        const pipeline = await run(harness.prefix);
        const lead = (n: number) => `lead-${n}`;
        await transport.produce([
          codec.encode(TOPIC.referrals, lead(1), referral(lead(1), 'p1')),
          codec.encode(TOPIC.referrals, lead(2), referral(lead(2), 'p1')),
          codec.encode(TOPIC.referrals, lead(3), referral(lead(3), 'p2')),
          codec.encode(TOPIC.referrals, lead(3), { ...referral(lead(3), 'p1'), eventId: 'sub-lead-3-again' }),
          codec.encode(TOPIC.referrals, lead(4), referral(lead(4), 'nobody')),
        ]);
        await pipeline.waitIdle();
        await transport.produce([
          ...offerAndAccept(lead(1), 'a1', NOV + MIN, 30_000).map((e) =>
            codec.encode(TOPIC.assignments, e.leadId, e),
          ),
          ...offerAndAccept(lead(2), 'a2', NOV + MIN, 600_000).map((e) =>
            codec.encode(TOPIC.assignments, e.leadId, e),
          ),
          codec.encode(TOPIC.leadOutcomes, lead(1), outcome(lead(1), 'sold', NOV + DAY, 1_200, 'a1')),
          codec.encode(TOPIC.leadOutcomes, lead(2), outcome(lead(2), 'sold', NOV + DAY, 2_000, 'a2')),
          codec.encode(
            TOPIC.leadOutcomes,
            lead(2),
            outcome(lead(2), 'cancelled', NOV + 10 * DAY, null, 'a2'),
          ),
          ...[
            community('c1', 'post', 'a1', 'a1', 'post-1'),
            community('c2', 'like', 'a1', 'a1', 'post-1'),
            community('c3', 'like', 'a2', 'a1', 'post-1'),
            community('c4', 'comment', 'a2', 'a1', 'post-1'),
            community('c5', 'story', 'a2', 'a2', 'story-1'),
            community('c6', 'featured', 'moderator', 'a2', 'story-1'),
          ].map((e) => codec.encode(TOPIC.communityEvents, communityKey(e), e)),
        ]);
        await pipeline.waitIdle();
        await pipeline.stop();

        const ledger = await ledgerRows(db);
        expect(ledger.filter((r) => r.account_kind === 'partner')).toEqual([
          // lead-1: 2500 + 5% of 120 000; lead-2: 2500 + 5% of 200 000, then clawed back.
          expect.objectContaining({
            event_id: 'clawback:referral:lead-2:cancelled',
            account_id: 'p1',
            cents: -12_500,
          }),
          expect.objectContaining({
            event_id: 'referral_commission:referral:lead-1:converted',
            cents: 8_500,
          }),
          expect.objectContaining({
            event_id: 'referral_commission:referral:lead-2:converted',
            cents: 12_500,
          }),
        ]);
        const points = (agent: string) =>
          ledger.filter((r) => r.account_id === agent).reduce((sum, r) => sum + Number(r.points), 0);
        // a1: accepted 10 + fast 5 + converted 50 + post 5 (its own like earns nothing).
        expect(points('a1')).toBe(70);
        // a2: accepted 10 (slow) + converted 50 + like 1 + comment 2 + story 10 + featured 25.
        expect(points('a2')).toBe(98);

        const figures = await rewardFigures(db);
        expect(figures.referralsByStatus).toEqual({ clawed_back: 1, rejected: 2, rewarded: 1, submitted: 1 });
        expect(figures.commissionsOwedCents).toBe(8_500);
        expect(figures.tierCounts).toEqual({ silver: 2 });
        const posts = await db.query('SELECT post_id, kind, featured FROM community_posts ORDER BY post_id');
        expect(posts.rows).toEqual([
          { post_id: 'post-1', kind: 'post', featured: false },
          { post_id: 'story-1', kind: 'story', featured: true },
        ]);
        const { rows: partners } = await db.query('SELECT partner_id, payout_last4 FROM partners ORDER BY 1');
        expect(partners).toEqual([
          { partner_id: 'p1', payout_last4: '6789' },
          { partner_id: 'p2', payout_last4: '6789' },
        ]);

        // Replay: the same input from the start, fresh consumer groups, fresh state.
        const firstIds = new Set(
          (await readValues<RewardEvent>(transport, codec, TOPIC.rewards)).map((e) => e.eventId),
        );
        const replay = await run(`${harness.prefix}-replay`);
        await replay.waitIdle();
        await replay.stop();
        const entries = await readValues<RewardEvent>(transport, codec, TOPIC.rewards);
        expect(entries.length).toBe(2 * firstIds.size);
        expect(new Set(entries.map((e) => e.eventId))).toEqual(firstIds);
        expect(await ledgerRows(db)).toEqual(ledger);
      } finally {
        await test?.dispose();
        await harness.dispose();
      }
    });
  });
}
