/**
 * POST /v1/leads?mode=sync over real HTTP with the intake, score and match stages behind it, on
 * both transports: the answer is the decision the stages made, once they made it: accepted with
 * the price, rejected by validate or a screen with the reasons; 202 pending when it takes longer
 * than the vendor waits.
 */
import { parseEconomicsConfig } from '../../processors/ledger/economics';
import { transportsUnderTest } from '../support/harness';
import { bearer, freshLead as lead, post, startApi, startDecidingStages } from './support';

jest.setTimeout(240_000);

const pricing = parseEconomicsConfig(`
paid: { rules: [{ name: acme-auto, vendor: acme-leads, line: auto, priceCents: 2750 }] }
`);

for (const choice of transportsUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`synchronous submission on ${choice.kind}`, () => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });

    test('accepted with its price, rejected with reasons by validate and by a screen, pending past the wait', async () => {
      const harness = choice.create();
      const transport = harness.connect();
      const registry = harness.registry(transport);
      const pipeline = await startDecidingStages(harness, transport, registry, pricing);
      const api = await startApi(transport, registry, { appId: harness.prefix });
      let stopped = false;
      try {
        const acme = bearer((await api.vendor('acme-leads')).apiKey);
        const sync = (body: unknown, query = '') => post(api.base, `/v1/leads?mode=sync${query}`, body, acme);

        const accepted = await sync(lead(1));
        expect(accepted.status).toBe(200);
        expect(accepted.json).toMatchObject({
          status: 'accepted',
          stage: 'match',
          reasons: [],
          price_usd: 27.5,
        });
        expect(accepted.json.status_url).toBe(`/v1/leads/${accepted.json.lead_id}`);

        const invalid = await sync(lead(2, (body) => (body.contact.zip = '10001')));
        expect(invalid.status).toBe(200);
        expect(invalid.json).toMatchObject({ status: 'rejected', stage: 'validate', price_usd: null });
        expect(
          invalid.json.reasons.map((r: { code: string; field: string }) => [r.code, r.field]),
        ).toContainEqual(['zip_state_mismatch', 'contact.zip']);

        const duplicate = await sync(lead(1));
        expect(duplicate.status).toBe(200);
        expect(duplicate.json).toMatchObject({ status: 'rejected', stage: 'screen-phone' });
        expect(duplicate.json.reasons.map((r: { code: string }) => r.code)).toEqual(['duplicate_contact']);

        // Bad wait, and the asynchronous answer is unchanged.
        expect((await sync(lead(3), '&wait_ms=5')).status).toBe(400);
        const asynchronous = await post(api.base, '/v1/leads', lead(4), acme);
        expect([asynchronous.status, asynchronous.json.status]).toEqual([202, 'accepted']);

        // Nothing decides while the stages are down: the vendor hears pending, and the lead is kept.
        await pipeline.stop();
        stopped = true;
        const waited = await sync(lead(5), '&wait_ms=300');
        expect(waited.status).toBe(202);
        expect(waited.json).toMatchObject({
          status: 'pending',
          status_url: `/v1/leads/${waited.json.lead_id}`,
        });
      } finally {
        await api.close();
        if (!stopped) await pipeline.stop();
        await harness.dispose();
      }
    });
  });
}
