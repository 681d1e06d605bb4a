/**
 * erase through the runtime, on both transports: leads written by ingress are indexed by their
 * identities' blind indexes; a request erases every lead of the subject it names (their keys
 * replaced by erased marks, so their records read as erased) and audits which; other subjects'
 * leads and a lead sent after the request stay readable.
 */
import { RawLeadWriter } from '../../ingress/lead-writer';
import { erasureDone, requestErasure } from '../../ingress/erasure-requests';
import { ERASED } from '../../runtime/privacy/sealing';
import { Pipeline } from '../../runtime/pipeline';
import type { RawLead } from '../../schemas/lead';
import { sampleLeadBody } from '../../schemas/lead-samples';
import { toRawLead } from '../../schemas/raw-lead';
import { codecFor, readValues, testLog, transportsUnderTest } from '../../test/support/harness';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { eraseProcessor } from './processor';

jest.setTimeout(120_000);

const DAY_MS = 24 * 3_600_000;

function lead(leadId: string, contact: { email: string; phone: string }, receivedAt: number): RawLead {
  const body = sampleLeadBody();
  return toRawLead(
    { ...body, contact: { ...body.contact, ...contact } },
    { vendorId: 'acme-leads', channel: 'api', receivedAt, leadId },
  );
}

describe.each(transportsUnderTest())('erase on $kind', (choice) => {
  test('erases every lead of the subject named, and only theirs, with an audit of what it did', async () => {
    const harness = choice.create();
    try {
      const transport = harness.connect();
      const processors = [eraseProcessor({ keepMs: 90 * DAY_MS })] as never[];
      const catalog = platformCatalog();
      await transport.applyTopics(catalog.withProcessors(harness.prefix, processors).all());
      const { codec, vault } = await codecFor(transport, catalog, [TOPIC.leadsRaw, TOPIC.privacySubjects]);
      const pipeline = await Pipeline.start({
        appId: harness.prefix,
        transport,
        keys: vault,
        registry: harness.registry(transport),
        catalog,
        processors,
        log: testLog,
      });
      try {
        const jane = { email: 'Jane.Doe+quotes@gmail.com', phone: '(415) 555-0101' };
        const now = Date.now();
        const writer = new RawLeadWriter(transport, codec, vault);
        await writer.write([
          lead('a-1', jane, now),
          // The same person with another phone: found by the email.
          lead('a-2', { email: 'janedoe@gmail.com', phone: '(415) 555-0109' }, now),
          // And by the phone alone, with another email.
          lead('a-3', { email: 'jd@example.org', phone: '415-555-0101' }, now),
          lead('other', { email: 'sam@example.org', phone: '(212) 555-0199' }, now),
        ]);
        await pipeline.waitIdle(60_000);

        const deps = { transport, codec, blind: vault.blind };
        const request = await requestErasure(jane, deps, 'test');
        expect(request.parts).toBe(2);
        const done = await erasureDone(deps, { ...request, requestedAt: now }, 60_000);
        expect(done).not.toBeNull();
        const erased = done!.flatMap((part) => part.leadIds).sort();
        expect([...new Set(erased)]).toEqual(['a-1', 'a-2', 'a-3']);
        // The audit says what was done, never whose data it was.
        expect(JSON.stringify(done)).not.toMatch(/doe|555-?0101|gmail/i);

        // A lead the subject sends after the request is a new one.
        await writer.write([lead('a-later', jane, Date.now())]);
        await pipeline.waitIdle(60_000);

        const raws = await readValues<RawLead>(transport, codec, TOPIC.leadsRaw);
        const byId = new Map(raws.map((raw) => [raw.leadId, raw]));
        for (const leadId of ['a-1', 'a-2', 'a-3']) {
          expect(byId.get(leadId)!.lead?.contact).toMatchObject({ firstName: ERASED, phone: ERASED });
          expect(byId.get(leadId)!.body).toBe(ERASED);
          expect(byId.get(leadId)!.vendorId).toBe('acme-leads');
        }
        expect(byId.get('other')!.lead?.contact.email).toBe('sam@example.org');
        expect(byId.get('a-later')!.lead?.contact.phone).toBe('(415) 555-0101');

        // No topic holds the subject in plaintext, internal ones included: keys, values, headers.
        for (const { name } of await transport.describeTopics()) {
          for (const record of await transport.read(name)) {
            const bytes = [record.key, record.value, Buffer.from(JSON.stringify(record.headers))]
              .map((b) => b?.toString('latin1') ?? '')
              .join(' ');
            expect([name, bytes.match(/jane|doe@|brien|555-?0101|4155550101|north main/i)?.[0]]).toEqual([
              name,
              undefined,
            ]);
          }
        }

        // Asking again erases only what came since.
        const again = await requestErasure({ email: jane.email }, deps, 'test');
        const second = await erasureDone(deps, { ...again, requestedAt: now }, 60_000);
        expect(second!.flatMap((part) => part.leadIds)).toEqual(['a-later']);
      } finally {
        await pipeline.stop();
      }
    } finally {
      await harness.dispose();
    }
  });
});
