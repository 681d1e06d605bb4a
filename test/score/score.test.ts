/**
 * The score stage end to end on both transports: generated leads through validate, the screens,
 * enrich and score; the LLM path against the loopback OpenAI-compatible server (its failures
 * must not stop the line); a model published on the models topic taking over (hot swap); and
 * outcomes joined back into model.training, whichever side arrives first. On the embedded
 * transport the vectors sink also fills a pgvector index on PGlite.
 */
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import pino from 'pino';
import { generateLeads } from '../../tools/generator/generate';
import { CircuitBreaker } from '../../connectors/llm/breaker';
import { MemoryCache } from '../../connectors/llm/cache';
import { LlmClient } from '../../connectors/llm/client';
import { LlmEnricher } from '../../connectors/llm/enricher';
import { toRawLead } from '../../schemas/raw-lead';
import { loadDefaultModel } from '../../models/default-model';
import { trainModel } from '../../models/train';
import { LEAD_COLUMNS } from '../../processors/score/features';
import type {
  LeadOutcomeEvent,
  ModelRelease,
  ScoredLead,
  TrainingExample,
} from '../../schemas/score-records';
import { generatedTrainingRows, LABEL } from '../../tools/training-data';
import { topology } from '../../app/topology';
import { Pipeline } from '../../runtime/pipeline';
import { LocalEmbedder } from '../../sinks/vectors/embedding';
import { PgVectorIndex } from '../../sinks/vectors/pgvector';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { type Behaviour, startFakeOpenAi } from '../support/fake-openai';
import { TEST_PRIVACY_SETTINGS } from '../support/privacy';
import { codecFor, eventually, readValues, testLog, transportsUnderTest } from '../support/harness';

jest.setTimeout(300_000);

const settings = {
  LEADFLOW_DUPLICATE_WINDOW_DAYS: 30,
  LEADFLOW_CONSENT_MAX_AGE_DAYS: 90,
  ...TEST_PRIVACY_SETTINGS,
};

/** A second model, different from the default, for the hot swap. */
function alternativeModel() {
  const { rows } = generatedTrainingRows({ count: 1500, seed: 'hot-swap', now: Date.UTC(2025, 0, 15) });
  return trainModel(rows, { label: LABEL, columns: LEAD_COLUMNS, penalties: [30], folds: 3, source: 'test' })
    .model;
}

for (const choice of transportsUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`score stage: ${choice.kind}`, () => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });

    test('scores every enriched lead, survives LLM failures, hot-swaps the model and joins outcomes', async () => {
      const harness = choice.create();
      const llmServer = await startFakeOpenAi();
      const vectorDb = choice.kind === 'embedded' ? new PGlite({ extensions: { vector } }) : undefined;
      let pipeline: Pipeline | undefined;
      try {
        const garbage = 25;
        llmServer.queue.push(...Array.from({ length: garbage }, (): Behaviour => ({ kind: 'garbage' })));
        const llm = new LlmEnricher({
          client: new LlmClient({
            baseUrl: llmServer.baseUrl,
            model: 'test-model',
            embeddingModel: 'test-embedding',
            timeoutMs: 2000,
            budgetMs: 5000,
            maxRetries: 1,
          }),
          cache: new MemoryCache(),
          breaker: new CircuitBreaker({ failureThreshold: 1_000, cooldownMs: 1000 }),
          price: { input: 0.15, output: 0.6 },
          log: pino({ level: 'silent' }),
        });
        const index = vectorDb ? new PgVectorIndex(vectorDb) : undefined;
        const processors = topology(
          settings,
          {},
          { llm, vectors: index ? { index, embedder: new LocalEmbedder(64) } : undefined },
        );
        const transport = harness.connect();
        const registry = harness.registry(transport);
        const catalog = platformCatalog().withProcessors(harness.prefix, processors);
        await transport.applyTopics(catalog.all());
        const { codec, vault } = await codecFor(transport, catalog, [
          TOPIC.leadsRaw,
          TOPIC.models,
          TOPIC.leadOutcomes,
        ]);
        pipeline = await Pipeline.start({
          appId: harness.prefix,
          transport,
          keys: vault,
          registry,
          catalog: platformCatalog(),
          processors,
          log: testLog,
        });

        const count = choice.kind === 'kafka' ? 200 : 400;
        const { leads, outcomes } = generateLeads({
          count: count + 20,
          seed: `score-${choice.kind}`,
          badShare: 0.1,
        });
        const raw = (i: number) =>
          codec.encode(
            TOPIC.leadsRaw,
            outcomes[i]!.externalId,
            toRawLead(leads[i], {
              vendorId: outcomes[i]!.vendorId,
              channel: 'test',
              receivedAt: Date.now(),
              leadId: outcomes[i]!.externalId,
            }),
          );
        await transport.produce(Array.from({ length: count }, (_, i) => raw(i)));
        await pipeline.waitIdle(240_000);

        const enriched = await transport.read(TOPIC.leadsEnriched);
        const scored = await readValues<ScoredLead>(transport, codec, TOPIC.leadsScored);
        expect(scored).toHaveLength(enriched.length);
        expect(scored.length).toBeGreaterThan(count * 0.7);
        const defaultVersion = loadDefaultModel().version;
        for (const lead of scored) {
          expect(lead.score.modelVersion).toBe(defaultVersion);
          expect(['A', 'B', 'C', 'D']).toContain(lead.score.tier);
          expect(lead.score.reasons.length).toBeGreaterThan(0);
          expect(['shopping', 'switching', 'renewal', 'just_browsing']).toContain(lead.classification.intent);
        }
        // The tiers spread over the population the model was trained on.
        const tiers = new Set(scored.map((l) => l.score.tier));
        expect(tiers.size).toBe(4);
        // LLM: the garbage answers fell back to the local result with a warning; the rest were used.
        // At most `garbage` leads, not exactly: a request that times out on a loaded machine is
        // retried and takes the next queued answer, and a step that runs again (a busy commit on
        // the embedded log, a rebalance on Kafka) asks again and drops its first answers.
        const failed = scored.filter((l) => l.llm?.used === false);
        expect(failed.length).toBeGreaterThan(0);
        expect(failed.length).toBeLessThanOrEqual(garbage);
        for (const lead of failed) {
          expect(lead.llm?.error).toBe('invalid_answer');
          expect(lead.classification.source).toBe('rules');
          expect(lead.warnings.map((w) => w.code)).toContain('llm_unavailable');
        }
        const used = scored.filter((l) => l.llm?.used);
        expect(used).toHaveLength(scored.length - failed.length);
        // Leads with the same facts (contact details are never sent) share a cached answer.
        expect(
          used.filter((l) => l.classification.source !== 'llm' || !(l.llm!.cached || l.llm!.costUsd > 0)),
        ).toEqual([]);

        // Hot swap: publish another model; leads after it carry its version.
        const next = alternativeModel();
        expect(next.version).not.toBe(defaultVersion);
        const release: ModelRelease = {
          version: next.version,
          artifact: JSON.stringify(next),
          publishedAt: Date.now(),
          publishedBy: 'test',
          note: null,
        };
        await transport.produce([codec.encode(TOPIC.models, 'current', release)]);
        // The outcome of the next lead arrives before the lead itself.
        const late = count;
        const lateId = outcomes[late]!.externalId;
        const event = (leadId: string, status: LeadOutcomeEvent['status'], at: number): LeadOutcomeEvent => ({
          eventId: `${leadId}-${status}`,
          leadId,
          status,
          at,
          agentId: 'agent-1',
          premiumUsd: status === 'sold' ? 1200 : null,
          reason: null,
        });
        await transport.produce([
          codec.encode(TOPIC.leadOutcomes, lateId, event(lateId, 'sold', Date.now())),
        ]);
        let sent = count;
        await eventually(
          async () => {
            await transport.produce([raw(sent)]);
            sent += 1;
            await pipeline!.waitIdle(60_000);
            const latest = await readValues<ScoredLead>(transport, codec, TOPIC.leadsScored);
            return latest.some((l) => l.score.modelVersion === next.version);
          },
          120_000,
          'a lead scored by the published model',
        );

        // Outcomes for some scored leads: contacted (not final), sold, lost.
        const sample = scored.slice(0, 30);
        await transport.produce(
          sample.flatMap((lead, i) => [
            codec.encode(TOPIC.leadOutcomes, lead.leadId, event(lead.leadId, 'contacted', 1000)),
            codec.encode(
              TOPIC.leadOutcomes,
              lead.leadId,
              event(lead.leadId, i % 3 === 0 ? 'sold' : 'lost', 2000),
            ),
          ]),
        );
        await pipeline.waitIdle(120_000);
        const examples = await readValues<TrainingExample>(transport, codec, TOPIC.modelTraining);
        const byLead = new Map(examples.map((e) => [e.leadId, e]));
        const lateLeadScored = (await readValues<ScoredLead>(transport, codec, TOPIC.leadsScored)).some(
          (l) => l.leadId === lateId,
        );
        expect(byLead.size).toBe(sample.length + (lateLeadScored ? 1 : 0));
        sample.forEach((lead, i) => {
          const example = byLead.get(lead.leadId)!;
          expect(example).toMatchObject({ converted: i % 3 === 0, probability: lead.score.probability });
          expect(example.lead.leadId).toBe(lead.leadId);
        });
        if (lateLeadScored) expect(byLead.get(lateId)?.converted).toBe(true);

        if (index) {
          const first = sample[0]!;
          const own = await index.vectorOf(first.leadId);
          expect(own).toHaveLength(64);
          const hits = await index.nearest(own!, 10, first.leadId);
          expect(hits).toHaveLength(10);
          expect(hits.every((h) => h.leadId !== first.leadId)).toBe(true);
          const sold = await index.nearest((await index.vectorOf(sample[3]!.leadId))!, 400);
          expect(sold.find((h) => h.leadId === sample[3]!.leadId)?.outcome).toBe('sold');
        }
        await llm.close();
      } finally {
        await pipeline?.stop();
        await vectorDb?.close();
        await llmServer.close();
        await harness.dispose();
      }
    });
  });
}
