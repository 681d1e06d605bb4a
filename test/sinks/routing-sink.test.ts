/**
 * The lead read models past intake: a lead's row and history follow it through score, match and
 * assign to a sale, agents follow their compacted topic, and assignment transitions and outcomes
 * are stored once each, on PGlite and on real PostgreSQL.
 */
import { reportedOutcome } from '../../processors/assign/outcomes';
import { testAgent } from '../../tools/routing-fixtures';
import { toLeadEvent } from '../../sinks/postgres/lead-events';
import { agentRanking, getLead, scoreAccuracy } from '../../sinks/postgres/read-models';
import { toRoutingChange, writeRoutingChanges } from '../../sinks/postgres/routing';
import { writeLeadEvents } from '../../sinks/postgres/writer';
import { TOPIC } from '../../topics/platform';
import { databasesUnderTest, removePgliteTemplate } from './databases';
import { consumed, leadJourney } from './records';

jest.setTimeout(120_000);
afterAll(() => removePgliteTemplate());

test('only outcome transitions report an outcome, with the premium of a sale', () => {
  const { assignments } = leadJourney('L-outcome');
  expect(assignments.map(reportedOutcome).map((o) => o && [o.status, o.premiumUsd, o.eventId])).toEqual([
    null,
    null,
    ['contacted', null, 'L-outcome:3'],
    ['sold', 1_240, 'L-outcome:4'],
  ]);
});

for (const choice of databasesUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`routing read models on ${choice.kind}`, () => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });

    test('a lead goes from received to converted; each table holds each event once', async () => {
      const { db, dispose } = await choice.open();
      try {
        const { scored, assignments, records } = leadJourney('L-sold');
        const outcomes = assignments.flatMap((e) => reportedOutcome(e) ?? []);
        const routing = [
          consumed(TOPIC.agents, 'agent-7', testAgent({ agentId: 'agent-7', updatedAt: 1 }), 3),
          consumed(TOPIC.agents, 'agent-8', testAgent({ agentId: 'agent-8', updatedAt: 1 }), 4),
          // A newer profile, then agent-8 removed; an older record arriving late changes nothing.
          consumed(
            TOPIC.agents,
            'agent-7',
            testAgent({ agentId: 'agent-7', status: 'paused', updatedAt: 2 }),
            5,
          ),
          consumed(TOPIC.agents, 'agent-8', null, 6),
          ...assignments.map((event, i) => consumed(TOPIC.assignments, event.leadId, event, i)),
          ...outcomes.map((outcome, i) => consumed(TOPIC.leadOutcomes, outcome.leadId, outcome, i)),
        ];
        for (let pass = 0; pass < 2; pass++) {
          await db.transaction((tx) => writeLeadEvents(tx, records.map(toLeadEvent)));
          await db.transaction((tx) => writeRoutingChanges(tx, routing.map(toRoutingChange)));
        }
        await db.transaction((tx) =>
          writeRoutingChanges(tx, [
            toRoutingChange(consumed(TOPIC.agents, 'agent-7', testAgent({ agentId: 'agent-7' }), 2)),
          ]),
        );

        const row = (
          await db.query<Record<string, unknown>>(
            'SELECT stage, score, tier, agent_id, assignment_status, line FROM leads WHERE lead_id = $1',
            ['L-sold'],
          )
        ).rows[0];
        expect(row).toEqual({
          stage: 'converted',
          score: Math.round(scored.score.score),
          tier: scored.score.tier,
          agent_id: 'agent-7',
          assignment_status: 'sold',
          line: 'home',
        });
        const stages = (
          await db.query<{ stage: string; line: string }>(
            'SELECT stage, line FROM lead_stages WHERE lead_id = $1 ORDER BY stage',
            ['L-sold'],
          )
        ).rows;
        expect(stages.map((s) => s.stage).sort()).toEqual(
          ['assigned', 'converted', 'enriched', 'matched', 'received', 'scored', 'valid'].sort(),
        );
        // Counted under the line it was received with at every stage.
        expect(new Set(stages.map((s) => s.line))).toEqual(new Set([scored.lead.line]));
        const count = async (table: string) =>
          (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
        expect(await count('lead_events')).toBe(records.length);
        expect(await count('assignments')).toBe(4);
        expect(await count('lead_outcomes')).toBe(2);
        const agents = (
          await db.query<{ agent_id: string; active: boolean }>('SELECT agent_id, active FROM agents')
        ).rows;
        expect(agents).toEqual([{ agent_id: 'agent-7', active: false }]);
        const sale = (
          await db.query<{ outcome: string; premium: number }>(
            "SELECT outcome, (payload->>'premiumUsd')::float AS premium FROM lead_outcomes WHERE outcome = 'sold'",
          )
        ).rows;
        expect(sale).toEqual([{ outcome: 'sold', premium: 1_240 }]);
        const [ranked] = await agentRanking(db);
        expect(ranked).toMatchObject({
          agent_id: 'agent-7',
          offers: 1,
          accepted: 1,
          sold: 1,
          lost: 0,
          acceptance_rate: 1,
          close_rate: 1,
          median_seconds_to_accept: 1,
        });
        expect((await scoreAccuracy(db)).at(-1)).toEqual({
          score_band: 'all',
          closed: 1,
          sold: 1,
          conversion_rate: 1,
          auc: null,
        });
        const lead = (await getLead(db, 'L-sold', {})) as { history: { stage: string }[] };
        expect(lead.history.map((h) => h.stage)).toEqual([
          'received',
          'valid',
          'enriched',
          'scored',
          'matched',
          'matched',
          'assigned',
          'assigned',
          'converted',
        ]);
      } finally {
        await dispose();
      }
    });
  });
}
