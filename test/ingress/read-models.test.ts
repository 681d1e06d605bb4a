/**
 * GET /v1/leads/:id against the read models the Postgres sink keeps (PGlite, and PostgreSQL when
 * it is reachable): a vendor reads its own leads only.
 */
import { validateProcessor } from '../../processors/validate/processor';
import { Pipeline } from '../../runtime/pipeline';
import type { Processor } from '../../runtime/processor';
import { sampleLeadBody } from '../../schemas/lead-samples';
import { postgresSinks } from '../../sinks/postgres/processors';
import { platformCatalog } from '../../topics/platform';
import { eventually, testLog, transportsUnderTest } from '../support/harness';
import { databasesUnderTest, removePgliteTemplate } from '../sinks/databases';
import { openTestVault, testBlind } from '../support/privacy';
import { bearer, get, post, startApi, token } from './support';

jest.setTimeout(180_000);

afterAll(() => removePgliteTemplate());

const embedded = transportsUnderTest().find((c) => c.kind === 'embedded')!;

for (const database of databasesUnderTest()) {
  (database.gate.run ? describe : describe.skip)(`lead read API on ${database.kind}`, () => {
    test('a vendor reads its own lead as the read models hold it; others get 404; tokens need leads:read', async () => {
      if (database.gate.reason) throw new Error(database.gate.reason);
      const harness = embedded.create();
      const { db, dispose } = await database.open();
      const transport = harness.connect();
      const registry = harness.registry(transport);
      const processors = [
        validateProcessor({ consentMaxAgeDays: 90, blind: testBlind }),
        ...postgresSinks(db),
      ] as Processor<never>[];
      const pipeline = await Pipeline.start({
        appId: harness.prefix,
        transport,
        keys: await openTestVault(transport),
        registry,
        catalog: platformCatalog(),
        processors,
        log: testLog,
      });
      const api = await startApi(transport, registry, { appId: harness.prefix, readModels: db });
      try {
        const owner = await api.vendor('reader');
        const other = await api.vendor('nosy');
        const sent = await post(api.base, '/v1/leads', sampleLeadBody(), bearer(owner.apiKey));
        const path = `/v1/leads/${sent.json.lead_id}`;
        let found = await get(api.base, path, bearer(owner.apiKey));
        await eventually(
          async () => {
            found = await get(api.base, path, bearer(owner.apiKey));
            return found.status === 200 && found.json.stage !== 'received';
          },
          60_000,
          'the lead in the read models',
        );
        expect(found.json).toMatchObject({ leadId: sent.json.lead_id, vendorId: 'reader', channel: 'api' });
        expect(found.json.history.length).toBeGreaterThan(0);

        expect(await get(api.base, path, bearer(other.apiKey))).toMatchObject({
          status: 404,
          json: { error: 'not_found' },
        });
        expect((await get(api.base, path, bearer(token('admin', ['leads:read'])))).json.leadId).toBe(
          sent.json.lead_id,
        );
        expect((await get(api.base, path, bearer(token('agent', [])))).status).toBe(403);
        expect((await get(api.base, path, bearer(token('partner', ['leads:read'])))).status).toBe(403);
        expect((await get(api.base, '/v1/leads/no-such-lead', bearer(owner.apiKey))).status).toBe(404);
        expect(
          (await get(api.base, '/v1/leads/bad%20id', bearer(owner.apiKey))).json.problems[0],
        ).toMatchObject({ field: 'id' });
        expect((await get(api.base, '/readyz')).json.checks).toMatchObject({ read_models: 'ok' });

        // Analytics: admins with analytics:read; JSON rows or CSV; names and dates checked.
        const analyst = bearer(token('admin', ['analytics:read']));
        const report = await get(api.base, '/v1/analytics/funnel', analyst);
        expect(report.status).toBe(200);
        expect(report.json.rows.find((r: { stage: string }) => r.stage === 'received')).toMatchObject({
          leads: 1,
          share_of_received: 1,
        });
        const csv = await get(api.base, '/v1/analytics/by-vendor/csv?from=2020-01-01', analyst);
        expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
        expect(csv.text.split('\n')[0]).toMatch(/^vendor_id,received,/);
        expect(csv.text).toContain('reader,1,');
        expect((await get(api.base, '/v1/analytics/funnel', bearer(token('admin', [])))).status).toBe(403);
        expect((await get(api.base, '/v1/analytics/funnel', bearer(owner.apiKey))).status).toBe(403);
        expect((await get(api.base, '/v1/analytics/funnel')).status).toBe(401);
        expect((await get(api.base, '/v1/analytics/nonsense', analyst)).json.problems[0]).toMatchObject({
          field: 'report',
        });
        expect((await get(api.base, '/v1/analytics/funnel?from=2026-02-30', analyst)).status).toBe(400);
        expect(
          (await get(api.base, '/v1/analytics/funnel?from=2026-02-02&to=2026-02-01', analyst)).json,
        ).toMatchObject({
          error: 'invalid_request',
        });
      } finally {
        await api.close();
        await pipeline.stop();
        await dispose();
        await harness.dispose();
      }
    });
  });
}
