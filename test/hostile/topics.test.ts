/**
 * Poison records on leads.raw, on both transports: each one ends in the dead letter topic with a
 * reason, the validate stage keeps running, and every valid lead around them is processed.
 */
import { createVendor } from '../../ingress/auth/vendors';
import { toRawLead } from '../../schemas/raw-lead';
import { validateProcessor } from '../../processors/validate/processor';
import { Pipeline } from '../../runtime/pipeline';
import type { OutgoingRecord } from '../../runtime/records';
import { wire } from '../../schemas/avro';
import { sampleLeadBody } from '../../schemas/lead-samples';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { dlqTopic } from '../../runtime/topic-spec';
import { codecFor, readValues, testLog, transportsUnderTest } from '../support/harness';
import { testBlind } from '../support/privacy';
import { FUZZ_CASES, FUZZ_FULL } from './support';

jest.setTimeout(FUZZ_FULL ? 1_800_000 : 240_000);

interface DeadLetter {
  processor: string;
  errorType: string;
  error: string;
  sourceTopic: string;
  sourceOffset: number;
}

for (const choice of transportsUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`poison records: ${choice.kind}`, () => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });

    test('poison ends in the dead letter topic with a reason; the valid records around it are processed', async () => {
      const harness = choice.create();
      try {
        const transport = harness.connect();
        const registry = harness.registry(transport);
        const processors = [validateProcessor({ consentMaxAgeDays: 90, blind: testBlind })] as never[];
        const catalog = platformCatalog().withProcessors(harness.prefix, processors);
        await transport.applyTopics(catalog.all());
        const { codec, vault } = await codecFor(transport, catalog, [TOPIC.leadsRaw, TOPIC.vendors]);

        const validLead = (i: number) =>
          codec.encode(
            TOPIC.leadsRaw,
            `valid-${i}`,
            toRawLead(sampleLeadBody(), {
              vendorId: 'acme',
              channel: 'test',
              receivedAt: Date.now(),
              leadId: `valid-${i}`,
            }),
          );
        const poisons: [string, (i: number) => OutgoingRecord][] = [
          ['not wire format', (i) => ({ ...validLead(i), value: Buffer.from(`{"json":"not avro ${i}"}`) })],
          ['empty value', (i) => ({ ...validLead(i), value: Buffer.alloc(0) })],
          ['wire magic byte only', (i) => ({ ...validLead(i), value: Buffer.from([0]) })],
          [
            'unknown schema id',
            (i) => ({
              ...validLead(i),
              value: wire.encode(900_000 + i, wire.decode(validLead(i).value!).payload),
            }),
          ],
          [
            'valid Avro of another schema',
            (i) => ({
              ...validLead(i),
              value: codec.encode(
                TOPIC.vendors,
                `v-${i}`,
                createVendor({ vendorId: `v-${i}`, name: 'v', rateLimitPerMinute: null, now: 0 }).vendor,
              ).value,
            }),
          ],
          ['null value', (i) => ({ ...validLead(i), value: null })],
          [
            'truncated Avro',
            (i) => {
              const record = validLead(i);
              return {
                ...record,
                value: record.value!.subarray(0, Math.max(6, (record.value!.length * (i % 7)) / 8)),
              };
            },
          ],
        ];
        const rounds = Math.max(2, Math.ceil(FUZZ_CASES / 20));
        const batch: OutgoingRecord[] = [];
        const poisonKinds: string[] = [];
        let valid = 0;
        for (let round = 0; round < rounds; round++) {
          for (const [kind, make] of poisons) {
            batch.push(validLead(valid++));
            batch.push(make(round * poisons.length + poisonKinds.length));
            poisonKinds.push(kind);
          }
        }
        batch.push(validLead(valid++));

        const pipeline = await Pipeline.start({
          appId: harness.prefix,
          transport,
          keys: vault,
          registry,
          catalog: platformCatalog(),
          processors,
          log: testLog,
        });
        await transport.produce(batch);
        await pipeline.waitIdle(180_000);
        // Still running: a valid lead sent after all the poison is processed too.
        await transport.produce([validLead(valid++)]);
        await pipeline.waitIdle(60_000);
        await pipeline.stop();

        const dead = await readValues<DeadLetter>(transport, pipeline.codec, dlqTopic(TOPIC.leadsRaw));
        const outcomes =
          (await transport.read(TOPIC.leadsValid)).length +
          (await transport.read(TOPIC.leadsRejected)).length;
        const byType = new Map<string, number>();
        for (const d of dead) byType.set(d.errorType, (byType.get(d.errorType) ?? 0) + 1);
        console.log(
          `poison records (${choice.kind}): ${poisonKinds.length} poison among ${valid} valid -> ` +
            `${dead.length} dead-lettered (${[...byType].map(([t, n]) => `${t}:${n}`).join(' ')}), ${outcomes} processed`,
        );
        expect(outcomes).toBe(valid);
        expect(dead).toHaveLength(poisonKinds.length);
        for (const letter of dead) {
          expect(letter).toMatchObject({ processor: 'validate', sourceTopic: TOPIC.leadsRaw });
          // A reason that says what is wrong, not a crash inside the stage.
          expect(letter.error).toMatch(
            /wire format|magic byte|schema id .* is not registered|cannot be read as|truncated|has no value/,
          );
        }
      } finally {
        await harness.dispose();
      }
    });
  });
}
