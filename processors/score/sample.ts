/** Enriched sample leads for the score stage's tests, made by the real validate and enrich functions. */
import { SAMPLE_NOW, sampleLeadBody, sampleRawLead } from '../../schemas/lead-samples';
import type { EnrichedLead } from '../../schemas/lead';
import { enrichLead } from '../enrich/enrich';
import { validateLead } from '../validate/rules';

type Body = ReturnType<typeof sampleLeadBody>;

/** The sample auto lead with `change` applied to its body, validated and enriched at SAMPLE_NOW. */
export function enrichedSample(
  change: (body: Body) => void = () => undefined,
  leadId = 'lead-0001',
): EnrichedLead {
  const body = sampleLeadBody();
  change(body);
  const result = validateLead(sampleRawLead(body, { leadId }), { now: SAMPLE_NOW, consentMaxAgeDays: 90 });
  if (result.status !== 'valid') {
    throw new Error(`sample is not valid: ${result.reasons.map((r) => r.code).join(', ')}`);
  }
  return enrichLead(result.lead, SAMPLE_NOW);
}
