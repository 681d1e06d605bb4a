/**
 * Vendor scorecards over HTTP, from read models holding the hand-counted leads of
 * test/sinks/scorecard-fixture.ts (PGlite, and PostgreSQL when it is reachable): a vendor reads
 * its own scorecard, without the platform's revenue or margin; admins with analytics:read read
 * every vendor's, as JSON or CSV, the ping-post buyers report and the dashboard's vendors table;
 * everyone else is turned away.
 */
import { Registry } from 'prom-client';
import { transportsUnderTest } from '../support/harness';
import { databasesUnderTest, removePgliteTemplate } from '../sinks/databases';
import { SAMPLE_NOW } from '../../schemas/lead-samples';
import type { LedgerEntry } from '../../schemas/ledger-records';
import { TOPIC } from '../../topics/platform';
import { consumed } from '../sinks/records';
import { RECEIVED_ON, sinkBatch, writeScorecardFixture } from '../sinks/scorecard-fixture';
import { bearer, get, startApi, token } from './support';

jest.setTimeout(180_000);

afterAll(() => removePgliteTemplate());

const embedded = transportsUnderTest().find((c) => c.kind === 'embedded')!;

for (const database of databasesUnderTest()) {
  (database.gate.run ? describe : describe.skip)(`vendor scorecards over HTTP on ${database.kind}`, () => {
    test("a vendor reads only its own scorecard and never the platform's revenue; others are refused", async () => {
      if (database.gate.reason) throw new Error(database.gate.reason);
      const harness = embedded.create();
      const { db, dispose } = await database.open();
      const transport = harness.connect();
      const api = await startApi(transport, harness.registry(transport), {
        appId: harness.prefix,
        readModels: db,
        dashboard: { readModels: db, metrics: new Registry(), agentPerformance: new Map() },
      });
      try {
        await writeScorecardFixture(db);
        const acme = await api.vendor('acme-leads');
        const beta = await api.vendor('beta-leads');
        const path = `/v1/vendors/me/scorecard?from=${RECEIVED_ON}&to=${RECEIVED_ON}`;

        const own = await get(api.base, path, bearer(acme.apiKey));
        expect(own.status).toBe(200);
        expect(own.json).toEqual({
          vendor_id: 'acme-leads',
          totals: {
            leads: 6,
            rejected: 3,
            reject_rate: 0.5,
            rejections: [
              { code: 'duplicate_contact', leads: 2 },
              { code: 'invalid_phone', leads: 1 },
              { code: 'invalid_zip', leads: 1 },
            ],
            accepted: 2,
            contacted: 2,
            sold: 1,
            contact_rate: 1,
            sale_rate: 0.5,
            returned: 1,
            return_rate: 0.5,
            paid_usd: 55,
            paid_per_lead_usd: 9.17,
          },
          campaigns: [
            expect.objectContaining({ campaign: 'spring', leads: 4, paid_usd: 30 }),
            expect.objectContaining({ campaign: 'summer', leads: 2, paid_usd: 25, sale_rate: null }),
          ],
        });
        expect(own.text).not.toMatch(/revenue|margin|beta-leads/);

        const other = await get(api.base, path, bearer(beta.apiKey));
        expect(other.json).toMatchObject({
          vendor_id: 'beta-leads',
          totals: { leads: 2, paid_usd: 10 },
          campaigns: [expect.objectContaining({ campaign: null, leads: 2 })],
        });
        expect(other.text).not.toMatch(/acme-leads|spring|summer/);
        // All days: acme's lead of the next day counts too.
        expect(
          (await get(api.base, '/v1/vendors/me/scorecard', bearer(acme.apiKey))).json.totals,
        ).toMatchObject({ leads: 7, paid_usd: 80 });

        expect(await get(api.base, path)).toMatchObject({
          status: 401,
          json: { error: 'missing_credentials' },
        });
        expect((await get(api.base, path, bearer('lfk_not-a-key'))).status).toBe(401);
        expect(await get(api.base, path, bearer(token('admin', ['analytics:read'])))).toMatchObject({
          status: 403,
          json: { error: 'forbidden' },
        });
        expect((await get(api.base, path, bearer(token('agent', [])))).status).toBe(403);
        expect(
          (await get(api.base, '/v1/vendors/me/scorecard?from=2025-06-03&to=2025-06-02', bearer(acme.apiKey)))
            .json,
        ).toMatchObject({ error: 'invalid_request' });

        // Admins see every vendor with revenue and margin, as JSON or CSV; vendors cannot.
        const analyst = bearer(token('admin', ['analytics:read']));
        const report = await get(api.base, `/v1/analytics/scorecard?to=${RECEIVED_ON}`, analyst);
        expect(
          report.json.rows.map((r: { vendor_id: string; margin_usd: number }) => [r.vendor_id, r.margin_usd]),
        ).toEqual([
          ['acme-leads', 25],
          ['beta-leads', 40],
        ]);
        const csv = await get(api.base, `/v1/analytics/scorecard-campaigns/csv?to=${RECEIVED_ON}`, analyst);
        expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
        const lines = csv.text.trim().split('\n');
        expect(lines[0]).toBe(
          'vendor_id,campaign,leads,rejected,reject_rate,top_rejections,routed,accepted,contacted,sold,' +
            'contact_rate,sale_rate,cost_usd,cost_per_lead_usd,cost_per_sale_usd,revenue_usd,margin_usd,returned,return_rate',
        );
        expect(lines.slice(1)).toEqual([
          'acme-leads,spring,4,2,0.5,duplicate_contact:2,2,2,2,1,1,0.5,30,7.5,30,80,50,1,0.5',
          'acme-leads,summer,2,1,0.5,invalid_phone:1; invalid_zip:1,1,0,0,0,,,25,12.5,,0,-25,0,',
          'beta-leads,,2,1,0.5,invalid_phone:1,1,1,1,1,1,1,10,5,10,50,40,0,0',
        ]);
        expect((await get(api.base, '/v1/analytics/scorecard', bearer(acme.apiKey))).status).toBe(403);

        // The buyers report, by the day leads were bought: a lead shared by two ping-post buyers.
        const bought = (buyerId: string, cents: number, offset: number) => {
          const entry: LedgerEntry = {
            entryId: `P1:sold:${buyerId}:revenue`,
            leadId: 'P1',
            kind: 'revenue',
            party: 'buyer',
            partyId: buyerId,
            amountCents: cents,
            rule: 'bid:shared',
            vendorId: 'beta-leads',
            campaign: null,
            line: 'auto',
            state: 'CA',
            reason: null,
            sourceEventId: 'P1:sold',
            at: SAMPLE_NOW,
          };
          return consumed(TOPIC.ledger, 'P1', entry, offset);
        };
        await sinkBatch(db, 'postgres-ledger', [bought('buyer-a', 1500, 0), bought('buyer-b', 1800, 1)]);
        const buyers = await get(
          api.base,
          `/v1/analytics/buyers?from=${RECEIVED_ON}&to=${RECEIVED_ON}`,
          analyst,
        );
        expect(
          buyers.json.rows.map((r: { buyer_id: string; shared: number; revenue_usd: number }) => [
            r.buyer_id,
            r.shared,
            r.revenue_usd,
          ]),
        ).toEqual([
          ['buyer-b', 1, 18],
          ['buyer-a', 1, 15],
        ]);
        const buyersCsv = await get(api.base, `/v1/analytics/buyers/csv?to=${RECEIVED_ON}`, analyst);
        expect(buyersCsv.headers.get('content-type')).toMatch(/^text\/csv/);
        expect(buyersCsv.text.trim().split('\n')).toEqual([
          'buyer_id,leads,exclusive,shared,revenue_usd,avg_price_usd,credits,credits_usd,net_revenue_usd,' +
            'first_purchase_at,last_purchase_at',
          'buyer-b,1,0,1,18,18,0,0,18,2025-06-02T15:00:00.000Z,2025-06-02T15:00:00.000Z',
          'buyer-a,1,0,1,15,15,0,0,15,2025-06-02T15:00:00.000Z,2025-06-02T15:00:00.000Z',
        ]);
        // Without from and to, the last 30 days: these were bought long ago.
        expect((await get(api.base, '/v1/analytics/buyers', analyst)).json).toEqual({
          report: 'buyers',
          rows: [],
        });
        expect((await get(api.base, '/v1/analytics/buyers', bearer(acme.apiKey))).status).toBe(403);
        expect((await get(api.base, '/v1/analytics/buyers', bearer(token('admin', [])))).status).toBe(403);

        // The dashboard's vendors table covers the last 30 days: these leads were received long ago.
        const dashboard = await get(api.base, '/dashboard/data', bearer(token('admin', [])));
        expect(dashboard.status).toBe(200);
        expect(dashboard.json.vendors).toEqual([]);

        const openapi = await get(api.base, '/docs/json');
        expect(openapi.json.paths['/v1/analytics/{report}'].get.parameters).toContainEqual(
          expect.objectContaining({
            name: 'report',
            schema: expect.objectContaining({
              enum: expect.arrayContaining(['scorecard', 'scorecard-campaigns', 'buyers']),
            }),
          }),
        );
        expect(openapi.json.paths).toHaveProperty('/v1/vendors/me/scorecard');
      } finally {
        await api.close();
        await dispose();
        await harness.dispose();
      }
    });
  });
}
