/**
 * The intake stages (validate, contact screens, enrich) end to end on both transports, fed with
 * generated leads whose deliberately bad records are known.
 */
import { EXPECTED_REASONS, generateLeads } from '../../tools/generator/generate';
import { toRawLead } from '../../schemas/raw-lead';
import { topology } from '../../app/topology';
import { Pipeline } from '../../runtime/pipeline';
import type { EnrichedLead, RejectedLead } from '../../schemas/lead';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { codecFor, readValues, testLog, transportsUnderTest } from '../support/harness';
import { TEST_PRIVACY_SETTINGS, testBlind } from '../support/privacy';
import { identityKey } from '../../processors/validate/identities';
import { phoneIdentity } from '../../processors/validate/identities';

jest.setTimeout(240_000);

for (const choice of transportsUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`intake stages: ${choice.kind}`, () => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });

    test('every lead ends valid or rejected with the expected reasons; duplicates and the do-not-contact list are caught', async () => {
      const harness = choice.create();
      try {
        const transport = harness.connect();
        const registry = harness.registry(transport);
        const processors = topology({
          LEADFLOW_DUPLICATE_WINDOW_DAYS: 30,
          ...TEST_PRIVACY_SETTINGS,
          LEADFLOW_CONSENT_MAX_AGE_DAYS: 90,
        });
        const count = choice.kind === 'kafka' ? 600 : 1500;
        const { leads, outcomes } = generateLeads({ count, seed: `intake-${choice.kind}`, badShare: 0.15 });
        const blocked = outcomes.findIndex((o) => !o.badKind);
        const blockedPhone = phoneIdentity(String(leads[blocked]!.contact.phone))!;

        const catalog = platformCatalog().withProcessors(harness.prefix, processors);
        await transport.applyTopics(catalog.all());
        const { codec, vault } = await codecFor(transport, catalog, [TOPIC.leadsRaw, TOPIC.doNotContact]);
        await transport.produce([
          codec.encode(TOPIC.doNotContact, identityKey('phone', blockedPhone, testBlind), {
            key: identityKey('phone', blockedPhone, testBlind),
            kind: 'phone',
            reason: 'asked not to be called',
            source: 'test',
            addedAt: Date.now(),
          }),
        ]);
        const pipeline = await Pipeline.start({
          appId: harness.prefix,
          transport,
          keys: vault,
          registry,
          catalog: platformCatalog(),
          processors,
          log: testLog,
        });
        const receivedAt = Date.now();
        await transport.produce(
          leads.map((body, i) =>
            codec.encode(
              TOPIC.leadsRaw,
              outcomes[i]!.externalId,
              toRawLead(body, {
                vendorId: outcomes[i]!.vendorId,
                channel: 'test',
                receivedAt,
                leadId: outcomes[i]!.externalId,
              }),
            ),
          ),
        );
        await pipeline.waitIdle(180_000);
        await pipeline.stop();

        const rejected = new Map(
          (await readValues<RejectedLead>(transport, codec, TOPIC.leadsRejected)).map((r) => [r.leadId, r]),
        );
        const valid = await transport.read(TOPIC.leadsValid);
        const enriched = await readValues<EnrichedLead>(transport, codec, TOPIC.leadsEnriched);
        expect(valid.length + rejected.size).toBe(count);
        expect(enriched).toHaveLength(valid.length);

        const duplicates = outcomes.filter((o) => o.badKind === 'duplicate').length;
        expect(duplicates).toBeGreaterThan(0);
        expect(
          [...rejected.values()].filter((r) => r.reasons.some((x) => x.code === 'duplicate_contact')),
        ).toHaveLength(duplicates);
        for (const outcome of outcomes) {
          const rejection = rejected.get(outcome.externalId);
          if (outcome.badKind && outcome.badKind !== 'duplicate') {
            expect({
              lead: outcome.externalId,
              kind: outcome.badKind,
              rejected: Boolean(rejection),
            }).toMatchObject({ rejected: true });
            const codes = rejection!.reasons.map((r) => r.code);
            expect(codes.some((c) => EXPECTED_REASONS[outcome.badKind!].includes(c))).toBe(true);
            for (const reason of rejection!.reasons) expect(reason.message.length).toBeGreaterThan(0);
          } else if (rejection) {
            // A clean lead is only turned away for who it contacts: the duplicate's original or the blocked phone.
            expect(rejection.reasons.map((r) => r.code)).toEqual([
              expect.stringMatching(/^(duplicate_contact|do_not_contact)$/),
            ]);
          }
        }
        expect(rejected.get(outcomes[blocked]!.externalId)?.reasons[0]).toMatchObject({
          code: 'do_not_contact',
          field: 'contact.phone',
        });
        const located = enriched.filter((e) => e.geo !== null);
        expect(located.length / enriched.length).toBeGreaterThan(0.95);
        for (const lead of located) expect(lead.contactWindow?.nextAllowedAt).toBeGreaterThan(0);
      } finally {
        await harness.dispose();
      }
    });
  });
}
