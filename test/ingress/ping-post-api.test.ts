/**
 * Ping-post over real HTTP, on both transports, with two API processes of one deployment sharing
 * Redis and the intake, score, match and ledger stages behind them: a ping gets the best bid of
 * the buyers whose filters, schedules and caps take the lead (exclusive or shared, whichever pays
 * more) and is refused with contact details; a post wins its bid once, in either process, or says
 * why not; a lead the intake rejects gives its buyers their places back; a sold lead is routed to
 * no agent, and the ledger holds the vendor's cost and each buyer's revenue once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadEconomicsConfig } from '../../processors/ledger/economics';
import { ledgerProcessor } from '../../processors/ledger/processor';
import { buyerReturnsProcessor } from '../../processors/buyer-returns/processor';
import { issueToken, SCOPES } from '../../ingress/auth/tokens';
import type { BuyerReturnDecision } from '../../schemas/sale-records';
import type { Processor } from '../../runtime/processor';
import type { LedgerEntry } from '../../schemas/ledger-records';
import type { LeadMatched, SoldLead } from '../../schemas/routing-records';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { codecFor, eventually, readValues, transportsUnderTest } from '../support/harness';
import { redisGate, redisUrl } from '../support/services';
import { uncommittedInputs } from '../crash/checks';
import {
  bearer,
  freshLead as lead,
  get,
  JWT_SECRET,
  type Json,
  post,
  startApi,
  startDecidingStages,
} from './support';

const as = (role: 'buyer' | 'admin', subject: string, scopes: string[] = []) =>
  bearer(issueToken(JWT_SECRET, { subject, role, scopes, ttlSeconds: 600 }));

jest.setTimeout(300_000);

const gate = redisGate();

// The sample lead is an auto lead in CA 94103. golden-gate pays most for it alone, but only once a
// day; without it, three buyers sharing it pay more than national alone.
const ECONOMICS = `
buyers:
  - { id: golden-gate, line: auto, state: CA, zipPrefix: '941', exclusiveCents: 5000 }
  - { id: national, line: [auto, home], exclusiveCents: 3000, sharedCents: 1500 }
  - { id: west, line: [auto, home, renters], state: [CA, OR], sharedCents: 1400 }
  - { id: budget, line: [auto, home], sharedCents: 900 }
caps:
  buyers:
    golden-gate: { daily: 1, timeZone: America/Los_Angeles }
pingPost: { vendorShare: 0.6, bidTtlSeconds: 120, maxSharedBuyers: 3 }
`;

const PING = { line: 'auto', state: 'CA', zip: '94103', campaign: 'google-search-auto' };

for (const choice of transportsUnderTest()) {
  (choice.gate.run && gate.run ? describe : describe.skip)(`ping-post on ${choice.kind}`, () => {
    beforeAll(() => {
      for (const reason of [choice.gate.reason, gate.reason]) if (reason) throw new Error(reason);
    });

    test('bids, posts won once across processes or refused with reasons, sales in the ledger', async () => {
      const harness = choice.create();
      const transport = harness.connect();
      const registry = harness.registry(transport);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-ping-post-'));
      const economicsConfig = path.join(dir, 'economics.yaml');
      fs.writeFileSync(economicsConfig, ECONOMICS);
      const economics = loadEconomicsConfig(economicsConfig);
      const buyerReturns = buyerReturnsProcessor(economics);
      const pipeline = await startDecidingStages(harness, transport, registry, economics, [
        ledgerProcessor(),
        buyerReturns,
      ] as Processor<never>[]);
      const options = { appId: harness.prefix, redisUrl, economicsConfig };
      const first = await startApi(transport, registry, options);
      const second = await startApi(harness.connect(), registry, options);
      try {
        const acme = bearer((await first.vendor('acme-leads')).apiKey);
        const harbor = bearer((await first.vendor('harbor')).apiKey);
        await eventually(
          async () => (await post(second.base, '/v1/ping', PING, acme)).status === 200,
          30_000,
          'the vendor known to the second API',
        );
        const ping = async (base: string, body: unknown = PING, key = acme) => {
          const answer = await post(base, '/v1/ping', body, key);
          expect(answer.status).toBe(200);
          return answer.json;
        };
        const postsRefused = async (code: string) => {
          const metrics = (await get(first.base, '/metrics')).text;
          return Number(
            new RegExp(`leadflow_posts_total\\{outcome="${code}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0,
          );
        };
        const postLead = (base: string, bidId: string, body: unknown, key = acme) =>
          post(base, '/v1/post', { bid_id: bidId, lead: body }, key);

        // Contact details have no place in a ping; each is named.
        const withContact = await post(
          first.base,
          '/v1/ping',
          { ...PING, phone: '4155550100', contact: {} },
          acme,
        );
        expect(withContact.status).toBe(400);
        expect(withContact.json.problems.map((p: Json) => [p.field, p.code])).toEqual([
          ['contact', 'not_allowed'],
          ['phone', 'not_allowed'],
        ]);
        expect((await post(first.base, '/v1/ping', { ...PING, state: 'XX' }, acme)).status).toBe(400);

        // golden-gate alone pays most: $50, of which the vendor is offered 60%.
        const exclusive = await ping(first.base);
        expect(exclusive.bid).toMatchObject({ price_usd: 30, sale: 'exclusive', buyers: 1 });
        expect(Date.parse(exclusive.bid.expires_at)).toBeGreaterThan(Date.now() + 100_000);
        const life = await ping(first.base, { ...PING, line: 'life' });
        expect(life).toMatchObject({ bid: null, reason: 'no buyer takes life leads in CA 94103 now' });

        // A lead the intake rejects (its phone cannot be real) is not sold, and golden-gate keeps its place.
        const rejected = await postLead(
          second.base,
          exclusive.bid.bid_id,
          lead(1, (b) => (b.contact.phone = '555-0100')),
        );
        expect(rejected.status).toBe(200);
        expect(rejected.json).toMatchObject({
          status: 'rejected',
          stage: 'validate',
          price_usd: null,
          sale: null,
        });
        const usedBefore = await postsRefused('bid_used');
        const reposted = await postLead(first.base, exclusive.bid.bid_id, lead(2));
        expect([reposted.status, reposted.json.error]).toEqual([409, 'bid_used']);
        // A posted lead has its bid's id: the vendor learns which lead holds the bid.
        expect(reposted.json).toMatchObject({
          lead_id: rejected.json.lead_id,
          status_url: `/v1/leads/${rejected.json.lead_id}`,
        });
        expect(await postsRefused('bid_used')).toBe(usedBefore + 1);

        const again = await ping(second.base);
        expect(again.bid).toMatchObject({ price_usd: 30, sale: 'exclusive' });
        // Refusals before anything is written: not the pinged lead, not this vendor's bid, not a bid.
        const elsewhere = await postLead(
          first.base,
          again.bid.bid_id,
          lead(3, (b) => (b.contact.zip = '90210')),
        );
        expect(elsewhere.status).toBe(409);
        expect(elsewhere.json).toMatchObject({ error: 'lead_differs_from_ping' });
        expect(elsewhere.json.problems.map((p: Json) => p.field)).toEqual(['lead.contact.zip']);
        const stolen = await postLead(first.base, again.bid.bid_id, lead(3), harbor);
        expect([stolen.status, stolen.json.error]).toEqual([403, 'bid_not_yours']);
        const forged = await postLead(
          first.base,
          again.bid.bid_id.replace(/.$/, (c: string) => (c === 'A' ? 'B' : 'A')),
          lead(3),
        );
        expect([forged.status, forged.json.error]).toEqual([400, 'invalid_bid']);

        // Won, in the other process from the ping.
        const soldAlone = await postLead(first.base, again.bid.bid_id, lead(3));
        expect(soldAlone.status).toBe(200);
        expect(soldAlone.json).toMatchObject({
          status: 'sold',
          stage: 'match',
          price_usd: 30,
          sale: 'exclusive',
          buyers: 1,
        });

        // golden-gate's day is full: three buyers share the lead for $15 + $14 + $9.
        const shared = await ping(first.base);
        expect(shared.bid).toMatchObject({ price_usd: 22.8, sale: 'shared', buyers: 3 });
        const soldShared = await postLead(second.base, shared.bid.bid_id, lead(4));
        expect(soldShared.json).toMatchObject({ status: 'sold', price_usd: 22.8, sale: 'shared', buyers: 3 });

        // Sold leads go to their buyers, never to agents, and their money is in the ledger once.
        const { codec } = await codecFor(transport, platformCatalog(), []);
        const sold = [soldAlone.json.lead_id as string, soldShared.json.lead_id as string];
        await eventually(
          async () => (await readValues<LedgerEntry>(transport, codec, TOPIC.ledger)).length >= 6,
          60_000,
          'the ledger entries of both sales',
        );
        const soldLeads = await readValues<SoldLead>(transport, codec, TOPIC.leadsSold);
        expect(soldLeads.map((s) => [s.leadId, s.sale.kind, s.lead.pricePaidCents]).sort()).toEqual(
          [
            [sold[0], 'exclusive', 3000],
            [sold[1], 'shared', 2280],
          ].sort(),
        );
        const matched = await readValues<LeadMatched>(transport, codec, TOPIC.leadsMatched);
        expect(matched.filter((m) => sold.includes(m.leadId))).toEqual([]);
        const ledger = await readValues<LedgerEntry>(transport, codec, TOPIC.ledger);
        expect(
          ledger
            .map((e) => [
              e.leadId === sold[0] ? 'alone' : 'shared',
              e.kind,
              e.party,
              e.partyId,
              e.amountCents,
            ])
            .sort(),
        ).toEqual(
          [
            ['alone', 'cost', 'vendor', 'acme-leads', 3000],
            ['alone', 'revenue', 'buyer', 'golden-gate', 5000],
            ['shared', 'cost', 'vendor', 'acme-leads', 2280],
            ['shared', 'revenue', 'buyer', 'national', 1500],
            ['shared', 'revenue', 'buyer', 'west', 1400],
            ['shared', 'revenue', 'buyer', 'budget', 900],
          ].sort(),
        );
        expect(new Set(ledger.map((e) => e.entryId)).size).toBe(ledger.length);

        // Buyers give back bad leads: a trusted reason is approved at once, another waits for a
        // reviewer, a lead the buyer did not buy is denied; each approval credits the buyer and
        // charges the vendor back its share, once.
        // (Once buyer-returns has the purchases: a return it reads before its purchase is denied.)
        await eventually(
          async () => (await uncommittedInputs(transport, harness.prefix, [buyerReturns])).length === 0,
          60_000,
          'buyer-returns to take the purchases in',
        );
        const goldenGate = as('buyer', 'golden-gate');
        const returnLead = (leadId: string, reason: string, key: Record<string, string>) =>
          post(first.base, `/v1/leads/${leadId}/return`, { reason }, key);
        expect((await returnLead(sold[0]!, 'bad_phone', goldenGate)).status).toBe(202);
        expect((await returnLead(sold[1]!, 'other', as('buyer', 'west'))).status).toBe(202);
        expect((await returnLead(sold[1]!, 'bad_phone', goldenGate)).status).toBe(202);
        expect((await returnLead(sold[0]!, 'not_interested', goldenGate)).status).toBe(400);
        const decisions = () => readValues<BuyerReturnDecision>(transport, codec, TOPIC.buyerReturnDecisions);
        await eventually(async () => (await decisions()).length >= 3, 60_000, 'three return decisions');
        const reviewer = as('admin', 'ops-1', [SCOPES.returnsReview]);
        expect(
          (await post(second.base, `/v1/admin/buyers/west/returns/${sold[1]}/approve`, {}, goldenGate))
            .status,
        ).toBe(403);
        const approve = await post(
          second.base,
          `/v1/admin/buyers/west/returns/${sold[1]}/approve`,
          {},
          reviewer,
        );
        expect(approve.status).toBe(202);
        await eventually(async () => (await decisions()).length >= 4, 60_000, 'the review');
        expect(
          (await decisions())
            .map((d) => [
              d.eventId.replace(d.leadId, d.leadId === sold[0] ? 'alone' : 'shared'),
              d.status,
              d.why,
            ])
            .sort(),
        ).toEqual(
          [
            ['alone:golden-gate:return:1', 'approved', 'auto_approved'],
            ['shared:west:return:1', 'pending', 'needs_review'],
            ['shared:golden-gate:return:1', 'denied', 'not_bought'],
            ['shared:west:return:2', 'approved', 'reviewed_by:ops-1'],
          ].sort(),
        );
        await eventually(
          async () => (await readValues<LedgerEntry>(transport, codec, TOPIC.ledger)).length >= 10,
          60_000,
          'the returns in the ledger',
        );
        const returns = (await readValues<LedgerEntry>(transport, codec, TOPIC.ledger)).filter(
          (e) => e.kind === 'credit' || e.kind === 'chargeback',
        );
        expect(returns.map((e) => [e.entryId, e.party, e.partyId, e.amountCents]).sort()).toEqual(
          [
            [`${sold[0]}:sold:golden-gate:credit`, 'buyer', 'golden-gate', 5000],
            [`${sold[0]}:sold:golden-gate:chargeback`, 'vendor', 'acme-leads', 3000],
            [`${sold[1]}:sold:west:credit`, 'buyer', 'west', 1400],
            [`${sold[1]}:sold:west:chargeback`, 'vendor', 'acme-leads', 840],
          ].sort(),
        );
      } finally {
        await first.close();
        await second.close();
        await pipeline.stop();
        await harness.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
