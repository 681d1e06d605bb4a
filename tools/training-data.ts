/**
 * Labelled rows for the scoring model, each as the pipeline would see the lead: generated leads
 * run through the same pure validate and enrich functions as the stages (leads the stages would
 * reject are left out, and so are repeat contacts, which the duplicate screen rejects), joined to
 * the generator's outcomes by the vendor's lead id; or real outcomes from model.training.
 */
import { generateLeads } from './generator/generate';
import { toRawLead } from '../schemas/raw-lead';
import type { Row } from '../models/features';
import type { EnrichedLead } from '../schemas/lead';
import { enrichLead } from '../processors/enrich/enrich';
import { validateLead } from '../processors/validate/rules';
import { classifyLead } from '../processors/score/classify';
import { leadFeatures } from '../processors/score/features';
import type { Classification, TrainingExample } from '../schemas/score-records';

export const LABEL = 'converted';

export interface GeneratedTrainingOptions {
  count: number;
  seed: string;
  /** Generation instant; fixed so the same options give the same rows on any day. */
  now: number;
}

export function labelledRow(
  lead: EnrichedLead,
  converted: boolean,
  classification: Classification = classifyLead(lead),
): Row {
  return { ...leadFeatures(lead, classification), [LABEL]: converted ? 1 : 0 };
}

export function generatedTrainingRows(options: GeneratedTrainingOptions): {
  rows: Row[];
  /** The generator's hidden propensity of each row, for the best AUC any model could reach. */
  propensities: number[];
  skipped: number;
} {
  const { leads, outcomes } = generateLeads({ count: options.count, seed: options.seed, now: options.now });
  const outcomeByExternalId = new Map(outcomes.map((o) => [o.externalId, o]));
  const seenPhones = new Set<string>();
  const rows: Row[] = [];
  const propensities: number[] = [];
  let skipped = 0;
  leads.forEach((body, i) => {
    const raw = toRawLead(body, {
      vendorId: body.source.vendorId,
      channel: 'generator',
      receivedAt: options.now,
      leadId: `train-${i}`,
    });
    const result = validateLead(raw, { now: options.now, consentMaxAgeDays: 90 });
    const outcome = outcomeByExternalId.get(
      result.status === 'valid' ? (result.lead.lead.source.externalId ?? '') : '',
    );
    if (result.status !== 'valid' || !outcome || seenPhones.has(result.lead.identities.phone)) {
      skipped += 1;
      return;
    }
    seenPhones.add(result.lead.identities.phone);
    rows.push(labelledRow(enrichLead(result.lead, options.now), outcome.converted === 1));
    propensities.push(outcome.propensity);
  });
  return { rows, propensities, skipped };
}

export const trainingRowsFromExamples = (examples: readonly TrainingExample[]): Row[] =>
  examples.map((e) => labelledRow(e.lead, e.converted, e.classification ?? undefined));
