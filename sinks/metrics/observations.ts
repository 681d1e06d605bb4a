import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { LeadMatched, SoldLead } from '../../schemas/routing-records';
import type { LeadOutcomeEvent, ScoredLead, TrainingExample } from '../../schemas/score-records';
import { HEADER } from '../../runtime/records';
import type { EnrichedLead, RawLead, RejectedLead, ValidLead } from '../../schemas/lead-records';
import { TOPIC } from '../../topics/platform';
import { lineAsReceived, UNKNOWN_LINE } from '../postgres/lead-events';

/**
 * What the metrics sink counts, read off the records of the stage topics: plain functions from a
 * record to the facts it proves, so every number on a dashboard can be traced to a topic.
 */

/** Funnel stages as metrics name them: a lead topic's stage, or an assignment transition. */
export type MetricStage =
  | 'received'
  | 'valid'
  | 'enriched'
  | 'scored'
  | 'matched'
  | 'unroutable'
  | 'offered'
  | 'assigned'
  /** Sold by ping-post to its bid's buyers instead of routed. */
  | 'sold'
  | 'rejected';

export type Observation =
  /** A lead reached a stage; `source` only where the record still says how the lead came in. */
  | { kind: 'lead'; stage: MetricStage; line: string; source?: { channel: string; vendor: string } }
  | { kind: 'rejection'; stage: string; reason: string }
  /** Seconds since the previous stage's output (`stage`), and since ingress received the lead. */
  | { kind: 'latency'; stage: MetricStage; stageSeconds: number | null; endToEndSeconds: number }
  | { kind: 'score'; line: string; tier: string; score: number }
  | { kind: 'unroutable'; reason: string }
  | { kind: 'assignment'; type: string; routingGroup: string | null }
  | { kind: 'acceptance'; routingGroup: string | null; seconds: number }
  | { kind: 'outcome'; status: string; premiumUsd: number | null }
  /** A scored lead's final outcome next to the conversion probability the model gave it. */
  | { kind: 'labelled'; outcome: string; probability: number }
  | { kind: 'reward'; accountKind: string; reason: string; points: number; amountUsd: number }
  | { kind: 'replay'; topic: string };

export interface ObservedRecord {
  topic: string;
  value: unknown;
  headers: Readonly<Record<string, string>>;
}

/** The topic the rewards stage writes; the metrics sink reads it once the catalogue has it. */
export const REWARDS_TOPIC = 'rewards';

/** The lead topics and their facts; `observe` reads these and the rewards topic. */
const OBSERVERS: Record<string, (value: never) => Observation[]> = {
  [TOPIC.leadsRaw]: (raw: RawLead) => [
    { kind: 'lead', stage: 'received', line: lineOf(lineAsReceived(raw)), source: sourceOf(raw) },
  ],
  [TOPIC.leadsValid]: (valid: ValidLead) => [
    { kind: 'lead', stage: 'valid', line: valid.lead.line, source: sourceOf(valid) },
    latency('valid', valid.receivedAt, valid.receivedAt, valid.validatedAt),
  ],
  [TOPIC.leadsEnriched]: (enriched: EnrichedLead) => [
    { kind: 'lead', stage: 'enriched', line: enriched.lead.line, source: sourceOf(enriched) },
    latency('enriched', enriched.receivedAt, enriched.validatedAt, enriched.enrichedAt),
  ],
  [TOPIC.leadsScored]: (scored: ScoredLead) => [
    { kind: 'lead', stage: 'scored', line: scored.lead.line, source: sourceOf(scored) },
    latency('scored', scored.receivedAt, scored.enrichedAt, scored.scoredAt),
    { kind: 'score', line: scored.lead.line, tier: scored.score.tier, score: scored.score.score },
  ],
  [TOPIC.leadsRejected]: (rejected: RejectedLead) => [
    {
      kind: 'lead',
      stage: 'rejected',
      line: lineOf(lineAsReceived(rejected.raw)),
      source: { channel: rejected.raw.channel, vendor: rejected.vendorId },
    },
    latency('rejected', rejected.receivedAt, null, rejected.rejectedAt),
    ...[...new Set(rejected.reasons.map((r) => r.code))].map((reason): Observation => ({
      kind: 'rejection',
      stage: rejected.stage,
      reason,
    })),
  ],
  [TOPIC.leadsMatched]: (matched: LeadMatched) => {
    const stage = matched.outcome === 'routed' ? 'matched' : 'unroutable';
    return [
      { kind: 'lead', stage, line: matched.lead.line },
      latency(stage, matched.lead.receivedAt, null, matched.matchedAt),
      ...(matched.unroutable ? [{ kind: 'unroutable', reason: matched.unroutable.code } as const] : []),
    ];
  },
  [TOPIC.leadsSold]: (sold: SoldLead) => [
    { kind: 'lead', stage: 'sold', line: sold.lead.line },
    latency('sold', sold.lead.receivedAt, null, sold.soldAt),
  ],
  [TOPIC.assignments]: observeAssignment,
  [TOPIC.leadOutcomes]: (outcome: LeadOutcomeEvent) => [
    { kind: 'outcome', status: outcome.status, premiumUsd: outcome.premiumUsd },
  ],
  [TOPIC.modelTraining]: (example: TrainingExample) => [
    { kind: 'labelled', outcome: example.outcome, probability: example.probability },
  ],
  [REWARDS_TOPIC]: observeReward,
};

/** The topics `observe` understands. */
export const OBSERVED_TOPICS = Object.keys(OBSERVERS);

/**
 * The facts one record proves. Records re-run by a replay count only as replays: the lead was
 * already counted, and its receipt time is long past, which would wreck the latency histograms.
 */
export function observe(record: ObservedRecord): Observation[] {
  const observer = OBSERVERS[record.topic];
  if (!observer || record.value === null || record.value === undefined) return [];
  if (record.headers[HEADER.replay] === '1') return [{ kind: 'replay', topic: record.topic }];
  return observer(record.value as never);
}

function observeAssignment(event: AssignmentEvent): Observation[] {
  const observations: Observation[] = [
    { kind: 'assignment', type: event.type, routingGroup: event.routingGroup },
  ];
  // The first offer is when the lead reached an agent; re-offers are part of assignment.
  if (event.type === 'offered' && event.attempt === 1) {
    observations.push(
      { kind: 'lead', stage: 'offered', line: event.lead.line },
      latency('offered', event.lead.receivedAt, event.matchedAt, event.at),
    );
  }
  if (event.type === 'accepted') {
    observations.push(
      { kind: 'lead', stage: 'assigned', line: event.lead.line },
      latency('assigned', event.lead.receivedAt, null, event.at),
    );
    const seconds = (event.at - event.matchedAt) / 1000;
    if (seconds >= 0) observations.push({ kind: 'acceptance', routingGroup: event.routingGroup, seconds });
  }
  return observations.filter((o) => o.kind !== 'latency' || o.endToEndSeconds >= 0);
}

/**
 * A rewards ledger entry (topic rewards, see schemas/reward-event.avsc): who is credited (agent or
 * partner), why, points and cents. Read loosely, so a change elsewhere in the record's shape never
 * stops the funnel metrics.
 */
function observeReward(value: {
  accountKind?: unknown;
  reason?: unknown;
  points?: unknown;
  amountCents?: unknown;
}): Observation[] {
  const text = (field: unknown) => (typeof field === 'string' ? field : 'unknown');
  const number = (field: unknown) => (typeof field === 'number' && Number.isFinite(field) ? field : 0);
  return [
    {
      kind: 'reward',
      accountKind: text(value.accountKind),
      reason: text(value.reason),
      points: number(value.points),
      amountUsd: number(value.amountCents) / 100,
    },
  ];
}

function latency(
  stage: MetricStage,
  receivedAt: number,
  previousAt: number | null,
  at: number,
): Extract<Observation, { kind: 'latency' }> {
  const stageSeconds = previousAt === null ? null : Math.max(0, (at - previousAt) / 1000);
  return { kind: 'latency', stage, stageSeconds, endToEndSeconds: Math.max(0, (at - receivedAt) / 1000) };
}

const lineOf = (line: string | null) => line ?? UNKNOWN_LINE;

const sourceOf = (lead: { channel: string; vendorId: string }) => ({
  channel: lead.channel,
  vendor: lead.vendorId,
});
