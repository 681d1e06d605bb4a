/**
 * score-feedback through the runtime: a lead's outcome joined to its score counts once in the live
 * evaluation, however often a replay re-runs the lead's records.
 */
import { generateLeads } from '../../tools/generator/generate';
import { toRawLead } from '../../schemas/raw-lead';
import { Scorer } from '../../models/artifact';
import { loadDefaultModel } from '../../models/default-model';
import { registry } from '../../runtime/metrics';
import { Pipeline } from '../../runtime/pipeline';
import { HEADER } from '../../runtime/records';
import { codecFor, readValues, testLog, transportsUnderTest } from '../../test/support/harness';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { enrichLead } from '../enrich/enrich';
import { DEFAULT_CONSENT_MAX_AGE_DAYS, validateLead } from '../validate/rules';
import { scoreFeedbackProcessor } from './feedback';
import type { LeadOutcomeEvent, ScoredLead, TrainingExample } from '../../schemas/score-records';
import { scoreLead } from './score';

jest.setTimeout(120_000);

function scoredLead(leadId: string, now: number): ScoredLead {
  const { leads } = generateLeads({ count: 1, seed: leadId, badShare: 0, now });
  const raw = toRawLead(leads[0], { vendorId: 'acme-leads', channel: 'test', receivedAt: now, leadId });
  const valid = validateLead(raw, { now, consentMaxAgeDays: DEFAULT_CONSENT_MAX_AGE_DAYS });
  if (valid.status !== 'valid') throw new Error('generated lead did not validate');
  return scoreLead(enrichLead(valid.lead, now), new Scorer(loadDefaultModel()), now);
}

async function soldCounted(): Promise<number> {
  const { values } = await registry.getSingleMetric('leadflow_model_outcomes_total')!.get();
  return values.find((v) => v.labels.outcome === 'sold')?.value ?? 0;
}

const embedded = transportsUnderTest().find((choice) => choice.kind === 'embedded')!;

test('a replay of a joined lead does not count its outcome in the live evaluation again', async () => {
  const harness = embedded.create();
  try {
    const transport = harness.connect();
    const processors = [scoreFeedbackProcessor()] as never[];
    const catalog = platformCatalog();
    await transport.applyTopics(catalog.withProcessors(harness.prefix, processors).all());
    const { codec, vault } = await codecFor(transport, catalog, [TOPIC.leadsScored, TOPIC.leadOutcomes]);
    const pipeline = await Pipeline.start({
      appId: harness.prefix,
      transport,
      keys: vault,
      registry: harness.registry(transport),
      catalog,
      processors,
      log: testLog,
    });
    const lead = scoredLead('feedback-replay', Date.now());
    const sold: LeadOutcomeEvent = {
      eventId: `${lead.leadId}:3`,
      leadId: lead.leadId,
      status: 'sold',
      at: Date.now(),
      agentId: 'a',
      premiumUsd: 900,
      reason: null,
    };
    const send = (headers: Record<string, string> = {}) =>
      transport.produce([
        codec.encode(TOPIC.leadsScored, lead.leadId, lead, headers),
        codec.encode(TOPIC.leadOutcomes, lead.leadId, sold, headers),
      ]);
    const before = await soldCounted();
    await send();
    await pipeline.waitIdle();
    expect(await soldCounted()).toBe(before + 1);

    // What replays of score and of report-outcomes send again.
    await send({ [HEADER.replay]: '1' });
    await pipeline.waitIdle();
    await pipeline.stop();
    const examples = await readValues<TrainingExample>(transport, codec, TOPIC.modelTraining);
    expect(examples.length).toBeGreaterThan(1);
    expect(await soldCounted()).toBe(before + 1);
  } finally {
    await harness.dispose();
  }
});
