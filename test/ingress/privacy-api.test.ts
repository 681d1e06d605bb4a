/**
 * The erasure API over real HTTP, with the erase stage and the read-model sinks behind it, on both
 * transports: who may ask, a 400 naming the field that cannot be read, 202 with a request id, and
 * the request's status until it is done.
 */
import { issueToken, type Role, SCOPES } from '../../ingress/auth/tokens';
import { eraseProcessor } from '../../processors/erase/processor';
import { Pipeline } from '../../runtime/pipeline';
import type { Processor } from '../../runtime/processor';
import { sampleLeadBody } from '../../schemas/lead-samples';
import { toRawLead } from '../../schemas/raw-lead';
import { postgresSinks } from '../../sinks/postgres/processors';
import { platformCatalog } from '../../topics/platform';
import { eventually, testLog, transportsUnderTest } from '../support/harness';
import { databasesUnderTest, removePgliteTemplate } from '../sinks/databases';
import { get, JWT_SECRET, post, startApi } from './support';

jest.setTimeout(240_000);
afterAll(() => removePgliteTemplate());

const as = (role: Role, scopes: string[] = []) => ({
  authorization: `Bearer ${issueToken(JWT_SECRET, { subject: `${role}-1`, role, scopes, ttlSeconds: 600 })}`,
});

for (const transportChoice of transportsUnderTest()) {
  const databaseChoice = databasesUnderTest().find(
    (d) => d.kind === (transportChoice.kind === 'embedded' ? 'pglite' : 'postgres'),
  )!;
  const gate = transportChoice.gate.run && databaseChoice.gate.run;
  (gate ? describe : describe.skip)(`erasure API on ${transportChoice.kind}`, () => {
    beforeAll(() => {
      for (const reason of [transportChoice.gate.reason, databaseChoice.gate.reason])
        if (reason) throw new Error(reason);
    });

    test('admins with privacy:erase ask for an erasure and follow it to done', async () => {
      const harness = transportChoice.create();
      const { db, dispose } = await databaseChoice.open();
      try {
        const transport = harness.connect();
        const registry = harness.registry(transport);
        const processors = [
          eraseProcessor({ keepMs: 86_400_000 }),
          ...postgresSinks(db),
        ] as Processor<never>[];
        await transport.applyTopics(platformCatalog().withProcessors(harness.prefix, processors).all());
        const api = await startApi(transport, registry, { appId: harness.prefix, readModels: db });
        const pipeline = await Pipeline.start({
          appId: harness.prefix,
          transport,
          registry,
          catalog: platformCatalog(),
          processors,
          log: testLog,
          keys: api.vault,
        });
        try {
          const path = '/v1/admin/privacy/erasures';
          const base = api.base;
          const body = sampleLeadBody();
          await api.ingress.api.writer.write([
            toRawLead(body, {
              vendorId: 'acme-leads',
              channel: 'api',
              receivedAt: Date.now(),
              leadId: 'erase-me',
            }),
          ]);
          const subject = { email: String(body.contact.email), phone: String(body.contact.phone) };

          expect((await post(base, path, subject)).status).toBe(401);
          expect((await post(base, path, subject, as('agent', [SCOPES.privacyErase]))).status).toBe(403);
          expect((await post(base, path, subject, as('admin'))).status).toBe(403);
          const admin = as('admin', [SCOPES.privacyErase]);
          const bad = await post(base, path, { email: 'not-an-email', phone: subject.phone }, admin);
          expect(bad.status).toBe(400);
          expect(bad.json.problems).toEqual([expect.objectContaining({ field: 'email' })]);
          // The answer never echoes what it could not read.
          expect(JSON.stringify(bad.json)).not.toContain('not-an-email');
          expect((await post(base, path, {}, admin)).status).toBe(400);

          const accepted = await post(base, path, subject, admin);
          expect(accepted.status).toBe(202);
          expect(accepted.json).toMatchObject({ parts: 2 });
          const statusPath = String(accepted.json.status_url);
          await eventually(
            async () => (await get(base, statusPath, admin)).json.status === 'done',
            60_000,
            'erasure done',
          );
          expect((await get(base, statusPath, admin)).json).toMatchObject({
            request_id: accepted.json.request_id,
            parts: 2,
            parts_done: 2,
            leads_erased: 1,
          });
          expect((await get(base, `${path}/erasure-unknown`, admin)).status).toBe(404);
          expect((await get(base, statusPath, as('admin'))).status).toBe(403);
        } finally {
          await pipeline.stop();
          await api.close();
        }
      } finally {
        await dispose();
        await harness.dispose();
      }
    });
  });
}
