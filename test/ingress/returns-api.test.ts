/**
 * Returns over real HTTP with assign, the ledger stage and the routing read models behind them, on
 * both transports: an agent returns a bad lead (approved at once) and a lead for a reason that
 * needs review; a reviewer lists and approves it; the ledger credits the agent and charges the
 * vendor back once each; bad reasons and missing scopes are refused. And buyers' returns under
 * review, from their read model: listed for reviewers, decided when waiting, refused otherwise.
 */
import { issueToken, type Role, SCOPES } from '../../ingress/auth/tokens';
import { assignProcessor } from '../../processors/assign/processor';
import { parseEconomicsConfig } from '../../processors/ledger/economics';
import { ledgerProcessor } from '../../processors/ledger/processor';
import { DEFAULT_ROUTING_CONFIG } from '../../processors/match/routing-config';
import { Pipeline } from '../../runtime/pipeline';
import type { Processor } from '../../runtime/processor';
import type { LedgerEntry } from '../../schemas/ledger-records';
import type { BuyerReturnRequest } from '../../schemas/sale-records';
import { writeBuyerReturns } from '../../sinks/postgres/buyer-returns';
import { postgresSinks } from '../../sinks/postgres/processors';
import { returnOf } from '../../sinks/postgres/returns';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { testAgent, testMatched } from '../../tools/routing-fixtures';
import { databasesUnderTest, removePgliteTemplate } from '../sinks/databases';
import { codecFor, eventually, readValues, testLog, transportsUnderTest } from '../support/harness';
import { openTestVault } from '../support/privacy';
import { bearer, get, JWT_SECRET, post, startApi } from './support';

jest.setTimeout(240_000);
afterAll(() => removePgliteTemplate());

const as = (role: Role, subject: string, scopes: string[] = []) =>
  bearer(issueToken(JWT_SECRET, { subject, role, scopes, ttlSeconds: 600 }));

const pricing = parseEconomicsConfig(`
charged: { defaultPlan: flat, plans: { flat: { fixedCents: 4000 } } }
returns: { windowHours: 48, autoApprove: [bad_phone] }
`);

const anyTime = { timeZone: 'UTC', days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' };

for (const transportChoice of transportsUnderTest()) {
  const databaseChoice = databasesUnderTest().find(
    (d) => d.kind === (transportChoice.kind === 'embedded' ? 'pglite' : 'postgres'),
  )!;
  const gate = transportChoice.gate.run && databaseChoice.gate.run;
  (gate ? describe : describe.skip)(`returns API on ${transportChoice.kind}`, () => {
    beforeAll(() => {
      for (const reason of [transportChoice.gate.reason, databaseChoice.gate.reason])
        if (reason) throw new Error(reason);
    });

    test('return at once, return under review, approval; credits and chargebacks once; refusals', async () => {
      const harness = transportChoice.create();
      const { db, dispose } = await databaseChoice.open();
      const transport = harness.connect();
      const registry = harness.registry(transport);
      const processors = [
        assignProcessor(DEFAULT_ROUTING_CONFIG, pricing),
        ledgerProcessor(),
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
      const { codec } = await codecFor(transport, catalog, [TOPIC.agents, TOPIC.leadsMatched]);
      const a1 = as('agent', 'a1');
      const reviewer = as('admin', 'ops-1', [SCOPES.returnsReview]);
      try {
        await transport.produce([
          codec.encode(TOPIC.agents, 'a1', testAgent({ agentId: 'a1', workingHours: anyTime })),
        ]);
        await eventually(async () => (await get(api.base, '/v1/agents/me', a1)).status === 200, 60_000, 'a1');
        const leads = ['L-ret-1', 'L-ret-2'];
        await transport.produce(
          leads.map((leadId) => {
            const matched = testMatched(leadId, 'west', ['a1'], Date.now());
            matched.lead = { ...matched.lead, pricePaidCents: 2500, pricePaidRule: 'rule:test' };
            return codec.encode(TOPIC.leadsMatched, 'west', matched);
          }),
        );
        for (const leadId of leads) {
          await eventually(
            async () => (await post(api.base, `/v1/offers/${leadId}:1/accept`, {}, a1)).status === 202,
            60_000,
            `${leadId} accepted`,
          );
        }

        // Not a reason: 400 naming the field and saying why.
        const notAReason = await post(api.base, '/v1/leads/L-ret-1/return', { reason: 'not_interested' }, a1);
        expect(notAReason.status).toBe(400);
        expect(notAReason.json.problems).toEqual([
          expect.objectContaining({
            field: 'reason',
            message: expect.stringContaining('not interested is not a reason to return a lead'),
          }),
        ]);
        expect(
          (await post(api.base, '/v1/leads/L-ret-1/return', { reason: 'bad_phone' }, reviewer)).status,
        ).toBe(403);

        // A trusted reason: approved by assign at once.
        expect((await post(api.base, '/v1/leads/L-ret-1/return', { reason: 'bad_phone' }, a1)).status).toBe(
          202,
        );
        await eventually(
          async () => (await returnOf(db, 'L-ret-1'))?.status === 'approved',
          90_000,
          'the first return approved',
        );

        // Another reason waits for a reviewer, who alone may see and decide it.
        expect((await post(api.base, '/v1/leads/L-ret-2/return', { reason: 'no_consent' }, a1)).status).toBe(
          202,
        );
        let pending: { lead_id: string; status: string; return_reason: string }[] = [];
        await eventually(
          async () => {
            pending = (await get(api.base, '/v1/admin/returns', reviewer)).json.returns ?? [];
            return pending.length > 0;
          },
          90_000,
          'the second return under review',
        );
        expect(pending.map((r) => [r.lead_id, r.status, r.return_reason])).toEqual([
          ['L-ret-2', 'pending', 'no_consent'],
        ]);
        expect((await get(api.base, '/v1/admin/returns', as('admin', 'ops-2'))).status).toBe(403);
        expect((await get(api.base, '/v1/admin/returns', a1)).status).toBe(403);
        expect((await post(api.base, '/v1/admin/returns/L-ret-1/approve', {}, reviewer)).status).toBe(409);
        expect((await post(api.base, '/v1/admin/returns/L-none/approve', {}, reviewer)).status).toBe(404);
        expect((await post(api.base, '/v1/admin/returns/L-ret-2/approve', {}, reviewer)).status).toBe(202);
        await eventually(
          async () => (await returnOf(db, 'L-ret-2'))?.status === 'approved',
          90_000,
          'the second return approved',
        );
        expect((await returnOf(db, 'L-ret-2'))?.decision).toBe('reviewed_by:ops-1');

        // Each lead: its cost and revenue, then the credit and chargeback that undo them.
        await pipeline.waitIdle();
        const ledger = await readValues<LedgerEntry>(transport, codec, TOPIC.ledger);
        for (const leadId of leads) {
          expect(
            ledger
              .filter((e) => e.leadId === leadId)
              .map((e) => [e.kind, e.partyId, e.amountCents, e.reason]),
          ).toEqual([
            ['cost', 'acme-leads', 2500, null],
            ['revenue', 'a1', 4000, null],
            ['credit', 'a1', 4000, `returned:${leadId === 'L-ret-1' ? 'bad_phone' : 'no_consent'}`],
            [
              'chargeback',
              'acme-leads',
              2500,
              `returned:${leadId === 'L-ret-1' ? 'bad_phone' : 'no_consent'}`,
            ],
          ]);
        }

        // Buyers' returns as the postgres-buyer-returns sink leaves them: one waiting, one decided.
        const decidedAt = Date.parse('2026-11-02T10:00:00Z');
        const bought = { returnReason: 'bad_phone', priceCents: 5000, vendorId: 'acme-leads', decisions: 1 };
        await db.transaction((tx) =>
          writeBuyerReturns(tx, [
            {
              ...bought,
              leadId: 'L-sold-1',
              buyerId: 'west',
              status: 'pending',
              why: 'needs_review',
              decidedAt,
            },
            {
              ...bought,
              leadId: 'L-sold-2',
              buyerId: 'west',
              status: 'approved',
              why: 'auto_approved',
              decidedAt,
            },
          ]),
        );
        expect((await get(api.base, '/v1/admin/buyers/returns', a1)).status).toBe(403);
        expect((await get(api.base, '/v1/admin/buyers/returns', as('admin', 'ops-2'))).status).toBe(403);
        expect((await get(api.base, '/v1/admin/buyers/returns', reviewer)).json).toEqual({
          returns: [
            {
              lead_id: 'L-sold-1',
              buyer_id: 'west',
              status: 'pending',
              return_reason: 'bad_phone',
              why: 'needs_review',
              price_cents: 5000,
              vendor_id: 'acme-leads',
              at: '2026-11-02T10:00:00.000Z',
            },
          ],
        });
        const buyerReview = (buyer: string, leadId: string, decision: string) =>
          post(api.base, `/v1/admin/buyers/${buyer}/returns/${leadId}/${decision}`, {}, reviewer);
        expect((await buyerReview('east', 'L-sold-1', 'approve')).status).toBe(404);
        expect((await buyerReview('west', 'L-sold-2', 'deny')).status).toBe(409);
        expect((await buyerReview('west', 'L-sold-1', 'deny')).status).toBe(202);
        const requests = () => readValues<BuyerReturnRequest>(transport, codec, TOPIC.buyerReturns);
        await eventually(async () => (await requests()).length > 0, 60_000, "the buyer's return denied");
        expect((await requests()).map((r) => [r.buyerId, r.leadId, r.action, r.reason, r.by])).toEqual([
          ['west', 'L-sold-1', 'deny', null, 'ops-1'],
        ]);
      } finally {
        await api.close();
        await pipeline.stop();
        await dispose();
        await harness.dispose();
      }
    });
  });
}
