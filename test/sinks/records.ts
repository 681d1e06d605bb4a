/**
 * Records of one lead as each intake stage writes them, built with the stages' own functions, for
 * the sink's tests.
 */
import { toRawLead } from '../../schemas/raw-lead';
import { enrichLead } from '../../processors/enrich/enrich';
import { rejectedLead, validateLead } from '../../processors/validate/rules';
import type { ConsumedRecord } from '../../runtime/records';
import type { EnrichedLead, RawLead, RejectedLead, ValidLead } from '../../schemas/lead-records';
import { sampleLeadBody, SAMPLE_NOW } from '../../schemas/lead-samples';
import { TOPIC } from '../../topics/platform';

export interface LeadRecords {
  raw: RawLead;
  valid: ValidLead;
  enriched: EnrichedLead;
  /** The same lead rejected by the phone screen, as a duplicate. */
  rejected: RejectedLead;
}

export function leadRecords(leadId: string, vendorId = 'acme-leads', receivedAt = SAMPLE_NOW): LeadRecords {
  const raw = toRawLead(sampleLeadBody(), { vendorId, channel: 'api', receivedAt, leadId });
  const result = validateLead(raw, { now: receivedAt + 1_000, consentMaxAgeDays: 90 });
  if (result.status !== 'valid') throw new Error(`sample lead rejected: ${JSON.stringify(result.reasons)}`);
  const valid = result.lead;
  const enriched = enrichLead(valid, receivedAt + 2_000);
  // What a contact screen writes: it has the validated lead, not the original record.
  const screened: RawLead = { ...raw, body: JSON.stringify(valid.lead), lead: null };
  const rejected = rejectedLead(
    screened,
    [{ code: 'duplicate_contact', field: 'contact.phone', message: 'seen within 30 days' }],
    { now: receivedAt + 1_500, stage: 'screen-phone', warnings: valid.warnings },
  );
  return { raw, valid, enriched, rejected };
}

/** A consumed record as a processor would get it. */
export function consumed<V>(
  topic: string,
  key: string,
  value: V,
  offset: number,
  options: { partition?: number; headers?: Record<string, string> } = {},
): ConsumedRecord<V> {
  return {
    topic,
    partition: options.partition ?? 0,
    offset,
    timestamp: SAMPLE_NOW,
    key,
    value,
    headers: options.headers ?? {},
  };
}

export const STAGE_TOPICS = {
  raw: TOPIC.leadsRaw,
  valid: TOPIC.leadsValid,
  enriched: TOPIC.leadsEnriched,
  rejected: TOPIC.leadsRejected,
} as const;
