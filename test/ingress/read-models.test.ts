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
        validateProcessor({ consentMaxAgeDays: 90 }),
        ...postgresSinks(db),
      ] as Processor<never>[];
      const pipeline = await Pipeline.start({
        appId: harness.prefix,
        transport,
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
      } finally {
        await api.close();
        await pipeline.stop();
        await dispose();
        await harness.dispose();
      }
    });
  });
}
