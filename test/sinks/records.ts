/**
 * Records of one lead as each intake stage writes them, built with the stages' own functions, for
 * the sink's tests.
 */
import { Scorer } from '../../models/artifact';
import { loadDefaultModel } from '../../models/default-model';
import { routableLead } from '../../processors/match/routable-lead';
import { scoreLead } from '../../processors/score/score';
import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { LeadMatched } from '../../schemas/routing-records';
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

/**
 * One lead's records from receipt to a sale: intake's, then scored, matched and four assignment
 * transitions (offered, accepted, contacted, sold), as the sink reads them.
 */
export function leadJourney(leadId: string, receivedAt = SAMPLE_NOW) {
  const { raw, valid, enriched } = leadRecords(leadId, 'acme-leads', receivedAt);
  const scored = scoreLead(enriched, new Scorer(loadDefaultModel()), enriched.enrichedAt + 1_000);
  // The classifier's line for routing differs from the vendor's: the funnel keeps the vendor's.
  const lead = { ...routableLead(scored), line: 'home' as const };
  const matchedAt = scored.scoredAt + 1_000;
  const matched: LeadMatched = {
    leadId,
    matchedAt,
    outcome: 'routed',
    routingGroup: 'west',
    lead,
    candidates: [],
    reserve: [],
    unroutable: null,
  };
  const transition = (n: number, type: AssignmentEvent['type'], extra: Partial<AssignmentEvent> = {}) => ({
    eventId: `${leadId}:${n}`,
    leadId,
    type,
    routingGroup: 'west',
    agentId: 'agent-7',
    offerId: `${leadId}:offer:1`,
    attempt: 1,
    strategy: 'best_match' as const,
    at: matchedAt + n * 1_000,
    matchedAt,
    expiresAt: null,
    escalation: null,
    reason: null,
    outcome: null,
    premiumUsd: null,
    rankScore: 0.8,
    lead,
    ...extra,
  });
  const assignments: AssignmentEvent[] = [
    transition(1, 'offered'),
    transition(2, 'accepted'),
    transition(3, 'progressed', { outcome: 'contacted' }),
    transition(4, 'completed', { outcome: 'sold', premiumUsd: 1_240 }),
  ];
  const records: ConsumedRecord<unknown>[] = [
    consumed(TOPIC.leadsRaw, leadId, raw, 0),
    consumed(TOPIC.leadsValid, leadId, valid, 0),
    consumed(TOPIC.leadsEnriched, leadId, enriched, 0),
    consumed(TOPIC.leadsScored, leadId, scored, 0),
    consumed(TOPIC.leadsMatched, 'west', matched, 0),
    ...assignments.map((event, i) => consumed(TOPIC.assignments, leadId, event, i)),
  ];
  return { scored, assignments, records };
}
