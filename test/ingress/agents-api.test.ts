/**
 * The agent API over real HTTP with assign, report-outcomes and the read-model sinks behind it,
 * on both transports: an admin creates an agent, the agent sets its availability, sees its offer,
 * accepts it and reports a sale; every denial and bad input on the way.
 */
import { issueToken, type Role, SCOPES } from '../../ingress/auth/tokens';
import { reportOutcomesProcessor } from '../../processors/assign/outcomes';
import { assignProcessor } from '../../processors/assign/processor';
import { DEFAULT_ROUTING_CONFIG } from '../../processors/match/routing-config';
import { testMatched } from '../../tools/routing-fixtures';
import type { LeadOutcomeEvent } from '../../schemas/score-records';
import { Pipeline } from '../../runtime/pipeline';
import type { Processor } from '../../runtime/processor';
import { postgresSinks } from '../../sinks/postgres/processors';
import { getLead } from '../../sinks/postgres/read-models';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { codecFor, eventually, readValues, testLog, transportsUnderTest } from '../support/harness';
import { databasesUnderTest, removePgliteTemplate } from '../sinks/databases';
import { openTestVault } from '../support/privacy';
import { bearer, get, JWT_SECRET, post, startApi } from './support';

jest.setTimeout(240_000);
afterAll(() => removePgliteTemplate());

const as = (role: Role, subject: string, scopes: string[] = []) =>
  bearer(issueToken(JWT_SECRET, { subject, role, scopes, ttlSeconds: 600 }));

async function send(method: 'PUT' | 'PATCH', url: string, body: unknown, headers: Record<string, string>) {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const profile = {
  name: 'Ana Ruiz',
  routingGroup: 'west',
  licences: { auto: ['CA', 'NV'] },
  location: { zip: '94103' },
  capacity: { daily: 10, concurrent: 3 },
  // Always open, so the offer is made whenever the test runs.
  workingHours: { timeZone: 'UTC', days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' },
};

for (const transportChoice of transportsUnderTest()) {
  const databaseChoice = databasesUnderTest().find(
    (d) => d.kind === (transportChoice.kind === 'embedded' ? 'pglite' : 'postgres'),
  )!;
  const gate = transportChoice.gate.run && databaseChoice.gate.run;
  (gate ? describe : describe.skip)(`agent API on ${transportChoice.kind}`, () => {
    beforeAll(() => {
      for (const reason of [transportChoice.gate.reason, databaseChoice.gate.reason])
        if (reason) throw new Error(reason);
    });

    test('profile, availability, offer, accept and sale; denials and bad input', async () => {
      const harness = transportChoice.create();
      const { db, dispose } = await databaseChoice.open();
      const transport = harness.connect();
      const registry = harness.registry(transport);
      const processors = [
        assignProcessor(DEFAULT_ROUTING_CONFIG),
        reportOutcomesProcessor(),
        ...postgresSinks(db).filter((p) => ['postgres-leads', 'postgres-routing'].includes(p.name)),
      ] as Processor<never>[];
      const catalog = platformCatalog().withProcessors(harness.prefix, processors);
      await transport.applyTopics(catalog.all());
      const pipeline = await Pipeline.start({
        appId: harness.prefix,
        transport,
        registry,
        catalog: platformCatalog(),
        processors,
        log: testLog,
        keys: await openTestVault(transport),
      });
      const api = await startApi(transport, registry, { appId: harness.prefix, readModels: db });
      const { codec } = await codecFor(transport, catalog, [TOPIC.leadsMatched, TOPIC.leadOutcomes]);
      const url = (path: string) => `${api.base}${path}`;
      const admin = as('admin', 'ops-1', [SCOPES.agentsWrite]);
      const a1 = as('agent', 'a1');
      const a2 = as('agent', 'a2');
      try {
        // Creating agents: admins with agents:write only; a bad profile names each field.
        expect((await send('PUT', url('/v1/agents/a1'), profile, {})).status).toBe(401);
        expect((await send('PUT', url('/v1/agents/a1'), profile, a1)).status).toBe(403);
        expect((await send('PUT', url('/v1/agents/a1'), profile, as('admin', 'ops-2'))).status).toBe(403);
        const bad = await send(
          'PUT',
          url('/v1/agents/a1'),
          { ...profile, licences: { auto: ['ZZ'] }, capacity: { daily: 0, concurrent: 1 } },
          admin,
        );
        expect(bad.status).toBe(400);
        expect(bad.json.error).toBe('invalid_agent');
        expect(bad.json.problems.map((p: { field: string }) => p.field).sort()).toEqual([
          'capacity.daily',
          'licences.auto.0',
        ]);
        const created = await send('PUT', url('/v1/agents/a1'), profile, admin);
        expect(created.status).toBe(200);
        expect(created.json).toMatchObject({ agentId: 'a1', status: 'active', routingGroup: 'west' });

        // Reading: an agent itself ('me' or its id) or an admin; never another agent.
        await eventually(async () => (await get(api.base, '/v1/agents/me', a1)).status === 200, 60_000, 'a1');
        expect((await get(api.base, '/v1/agents/a1', admin)).json.name).toBe('Ana Ruiz');
        expect((await get(api.base, '/v1/agents/a1', a2)).status).toBe(403);
        expect((await get(api.base, '/v1/agents/me', admin)).status).toBe(400);
        expect((await get(api.base, '/v1/agents/nobody', admin)).status).toBe(404);
        expect((await get(api.base, '/v1/agents/me')).status).toBe(401);

        // Availability.
        const paused = await send('PATCH', url('/v1/agents/me/availability'), { status: 'paused' }, a1);
        expect([paused.status, paused.json.status]).toEqual([200, 'paused']);
        const badHours = await send(
          'PATCH',
          url('/v1/agents/me/availability'),
          { working_hours: { days: [1], start: '18:00', end: '09:00' } },
          a1,
        );
        expect(badHours.status).toBe(400);
        expect(badHours.json.problems.map((p: { field: string }) => p.field)).toEqual(['working_hours.end']);
        expect((await send('PATCH', url('/v1/agents/me/availability'), {}, a1)).status).toBe(400);
        expect(
          (await send('PATCH', url('/v1/agents/a1/availability'), { status: 'active' }, a2)).status,
        ).toBe(403);
        const active = await send('PATCH', url('/v1/agents/a1/availability'), { status: 'active' }, admin);
        expect([active.status, active.json.status]).toEqual([200, 'active']);
        await eventually(
          async () => (await get(api.base, '/v1/agents/me', a1)).json.status === 'active',
          60_000,
          'a1 active again',
        );

        // An offer reaches a1 through assign and the read models.
        await transport.produce([
          codec.encode(TOPIC.leadsMatched, 'west', testMatched('L-api-1', 'west', ['a1'], Date.now())),
        ]);
        let offerId = '';
        await eventually(
          async () => {
            const offers = (await get(api.base, '/v1/agents/me/offers', a1)).json.offers ?? [];
            offerId = offers[0]?.offer_id ?? '';
            return offerId !== '';
          },
          90_000,
          'the offer in the read model',
        );
        expect(offerId).toBe('L-api-1:1');
        expect((await get(api.base, '/v1/agents/me/offers', a2)).json.offers).toEqual([]);

        // Answers: agents only; offer ids are checked for shape.
        expect((await post(api.base, `/v1/offers/${offerId}/accept`, {}, admin)).status).toBe(403);
        expect((await post(api.base, '/v1/offers/not-an-offer/accept', {}, a1)).status).toBe(400);
        const accepted = await post(api.base, `/v1/offers/${offerId}/accept`, {}, a1);
        expect(accepted.status).toBe(202);
        await eventually(
          async () => (await getLead(db, 'L-api-1'))?.stage === 'assigned',
          90_000,
          'the lead assigned to a1',
        );

        // Outcomes: a premium only with a sale.
        const wrong = await post(
          api.base,
          '/v1/leads/L-api-1/outcome',
          { outcome: 'contacted', premium_usd: 900 },
          a1,
        );
        expect(wrong.status).toBe(400);
        expect(wrong.json.problems.map((p: { field: string }) => p.field)).toEqual(['premium_usd']);
        expect((await post(api.base, '/v1/leads/L-api-1/outcome', { outcome: 'won' }, a1)).status).toBe(400);
        const sold = await post(
          api.base,
          '/v1/leads/L-api-1/outcome',
          { outcome: 'sold', premium_usd: 1_450 },
          a1,
        );
        expect(sold.status).toBe(202);
        await eventually(
          async () => (await getLead(db, 'L-api-1'))?.stage === 'converted',
          90_000,
          'the lead converted',
        );
        // The read model follows the assignment; the outcome event comes from a separate
        // processor reading the same assignment, so it may land a moment later.
        let outcomes: LeadOutcomeEvent[] = [];
        await eventually(
          async () => {
            outcomes = await readValues<LeadOutcomeEvent>(transport, codec, TOPIC.leadOutcomes);
            return outcomes.length > 0;
          },
          60_000,
          'the sale on lead.outcomes',
        );
        expect(outcomes.map((o) => [o.leadId, o.status, o.agentId, o.premiumUsd])).toEqual([
          ['L-api-1', 'sold', 'a1', 1_450],
        ]);
      } finally {
        await api.close();
        await pipeline.stop();
        await harness.dispose();
        await dispose();
      }
    });
  });
}
