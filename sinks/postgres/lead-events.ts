import type { ConsumedRecord } from '../../runtime/records';
import { HEADER } from '../../runtime/records';
import {
  type EnrichedLead,
  INSURANCE_LINES,
  type InsuranceLine,
  type RawLead,
  type Reason,
  type RejectedLead,
  type ValidLead,
} from '../../schemas/lead-records';
import { leadFieldSchemas } from '../../schemas/lead';
import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { LeadMatched, RoutableLead, SoldLead } from '../../schemas/routing-records';
import type { ScoredLead } from '../../schemas/score-records';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { sealingPlan, withholdPersonal } from '../../runtime/privacy/sealing';

/**
 * Lead stages and their rank in the flow. A lead's current stage is the highest-ranked one any of
 * its events reached, whatever order the events arrive in; `rejected` outranks every other stage
 * because it ends the flow. Ranks leave gaps so a stage can be inserted without renumbering the
 * ranks already stored.
 */
export const STAGE_RANK = {
  received: 10,
  valid: 20,
  enriched: 30,
  scored: 40,
  matched: 50,
  assigned: 60,
  converted: 70,
  rejected: 100,
} as const;

export type Stage = keyof typeof STAGE_RANK;

/** The stages a lead passes through when nothing stops it, in flow order. */
export const FUNNEL_STAGES = (Object.keys(STAGE_RANK) as Stage[])
  .filter((stage) => stage !== 'rejected')
  .sort((a, b) => STAGE_RANK[a] - STAGE_RANK[b]);

/** Funnel rows of leads whose line is not known (a body that did not parse). */
export const UNKNOWN_LINE = 'unknown';

/** What one record on a lead topic says about its lead. Times are epoch milliseconds. */
export interface LeadEvent {
  /** topic/partition/offset: stable across redeliveries, so writes keyed by it are idempotent. */
  eventId: string;
  leadId: string;
  stage: Stage;
  occurredAt: number;
  receivedAt: number;
  replay: boolean;
  facts: LeadFacts;
  /** The record's value, ready for a JSONB column. */
  payload: unknown;
}

/**
 * The columns of a lead's current-state row an event can set (null: this event does not know).
 * Later stages fill in score, tier and the assignment.
 */
export interface LeadFacts {
  vendorId: string;
  channel: string | null;
  /** The vendor's campaign (`source.campaign`), as the lead was received. */
  campaign: string | null;
  line: InsuranceLine | null;
  state: string | null;
  zip: string | null;
  score: number | null;
  tier: string | null;
  agentId: string | null;
  assignmentStatus: string | null;
  rejectionReasons: Reason[] | null;
  warnings: Reason[];
}

const noLaterStageFacts = { score: null, tier: null, agentId: null, assignmentStatus: null } as const;

type StageOf<V> = (value: V) => {
  stage: Stage;
  leadId: string;
  occurredAt: number;
  receivedAt: number;
  facts: LeadFacts;
};

const fromRaw: StageOf<RawLead> = (raw) => ({
  stage: 'received',
  leadId: raw.leadId,
  occurredAt: raw.receivedAt,
  receivedAt: raw.receivedAt,
  facts: {
    vendorId: raw.vendorId,
    channel: raw.channel,
    campaign: campaignAsReceived(raw),
    line: lineAsReceived(raw),
    state: raw.lead?.contact.state ?? null,
    zip: raw.lead?.contact.zip ?? null,
    ...noLaterStageFacts,
    rejectionReasons: null,
    warnings: [],
  },
});

/**
 * The insurance line a received lead names: the parsed lead's, or, when the body did not parse
 * (or a contact screen rejected the lead and kept the validated lead as the body), the line the
 * body names if it is one we know. Every event of a lead must agree on it: it is a funnel
 * dimension, and funnel rows only ever grow.
 */
export function lineAsReceived(raw: RawLead): InsuranceLine | null {
  if (raw.lead) return raw.lead.line;
  const line = bodyOf(raw)?.line;
  return typeof line === 'string' && (INSURANCE_LINES as readonly string[]).includes(line)
    ? (line as InsuranceLine)
    : null;
}

/**
 * The campaign a received lead names, found the same way as its line: a duplicate rejected by a
 * contact screen must still count under its campaign in the scorecards. From a body that did not
 * parse as a whole, what the input schema makes of its `source.campaign` alone.
 */
export function campaignAsReceived(raw: RawLead): string | null {
  if (raw.lead) return raw.lead.source.campaign;
  const source = bodyOf(raw)?.source;
  const campaign = leadFieldSchemas.campaign.safeParse(
    source !== null && typeof source === 'object' ? (source as { campaign?: unknown }).campaign : null,
  );
  return campaign.success ? campaign.data : null;
}

function bodyOf(raw: RawLead): Record<string, unknown> | null {
  try {
    const body: unknown = JSON.parse(raw.body);
    return body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function fromValidated<V extends ValidLead | EnrichedLead>(
  stage: 'valid' | 'enriched' | 'scored',
  at: (lead: V) => number,
): StageOf<V> {
  return (valid) => ({
    stage,
    leadId: valid.leadId,
    occurredAt: at(valid),
    receivedAt: valid.receivedAt,
    facts: {
      vendorId: valid.vendorId,
      channel: valid.channel,
      campaign: valid.lead.source.campaign,
      line: valid.lead.line,
      state: valid.lead.contact.state,
      zip: valid.lead.contact.zip,
      ...noLaterStageFacts,
      rejectionReasons: null,
      warnings: valid.warnings,
    },
  });
}

const fromRejected: StageOf<RejectedLead> = (rejected) => ({
  stage: 'rejected',
  leadId: rejected.leadId,
  occurredAt: rejected.rejectedAt,
  receivedAt: rejected.receivedAt,
  facts: {
    vendorId: rejected.vendorId,
    channel: rejected.raw.channel,
    campaign: campaignAsReceived(rejected.raw),
    line: lineAsReceived(rejected.raw),
    state: rejected.raw.lead?.contact.state ?? null,
    zip: rejected.raw.lead?.contact.zip ?? null,
    ...noLaterStageFacts,
    rejectionReasons: rejected.reasons,
    warnings: rejected.warnings,
  },
});

const scoredAsValidated = fromValidated<ScoredLead>('scored', (lead) => lead.scoredAt);

const fromScored: StageOf<ScoredLead> = (scored) => {
  const event = scoredAsValidated(scored);
  return {
    ...event,
    facts: { ...event.facts, score: Math.round(scored.score.score), tier: scored.score.tier },
  };
};

/** Facts of a routing record: the routable lead carries the classified line and the score. */
function routingFacts(lead: RoutableLead): LeadFacts {
  return {
    vendorId: lead.vendorId,
    channel: null,
    campaign: lead.campaign ?? null,
    line: lead.line,
    state: lead.state,
    zip: lead.zip,
    score: lead.score,
    tier: lead.tier,
    agentId: null,
    assignmentStatus: null,
    rejectionReasons: null,
    warnings: [],
  };
}

const fromMatched: StageOf<LeadMatched> = (matched) => ({
  stage: 'matched',
  leadId: matched.leadId,
  occurredAt: matched.matchedAt,
  receivedAt: matched.lead.receivedAt,
  facts: {
    ...routingFacts(matched.lead),
    assignmentStatus: matched.outcome === 'unroutable' ? 'unroutable' : 'matching',
  },
});

/** Transitions of a lead an agent has taken: the outcomes reported after it and its return. */
const AFTER_ACCEPTANCE = new Set<AssignmentEvent['type']>([
  'accepted',
  'progressed',
  'completed',
  'return_pending',
  'return_approved',
  'return_denied',
]);

/**
 * An assignment transition: an accepted offer (and the outcomes and returns after it) means
 * assigned, a completed sale converted; offers, declines, expiries and escalations are steps
 * within matched. The status is the transition, or the outcome it reports.
 */
const fromAssignment: StageOf<AssignmentEvent> = (event) => ({
  stage:
    event.type === 'completed' && event.outcome === 'sold'
      ? 'converted'
      : AFTER_ACCEPTANCE.has(event.type)
        ? 'assigned'
        : 'matched',
  leadId: event.leadId,
  occurredAt: event.at,
  receivedAt: event.lead.receivedAt,
  facts: {
    ...routingFacts(event.lead),
    agentId: event.agentId,
    assignmentStatus: event.outcome ?? event.type,
  },
});

/** A lead sold by ping-post reached its takers, the buyers, as an accepted offer reaches an agent. */
const fromSold: StageOf<SoldLead> = (sold) => ({
  stage: 'assigned',
  leadId: sold.leadId,
  occurredAt: sold.soldAt,
  receivedAt: sold.lead.receivedAt,
  facts: { ...routingFacts(sold.lead), assignmentStatus: `sold_${sold.sale.kind}` },
});

/** How each lead topic the sink reads maps to a stage; a new stage adds its topic here. */
const LEAD_TOPICS: Record<string, StageOf<never>> = {
  [TOPIC.leadsRaw]: fromRaw,
  [TOPIC.leadsValid]: fromValidated<ValidLead>('valid', (lead) => lead.validatedAt),
  [TOPIC.leadsEnriched]: fromValidated<EnrichedLead>('enriched', (lead) => lead.enrichedAt),
  [TOPIC.leadsRejected]: fromRejected,
  [TOPIC.leadsScored]: fromScored,
  [TOPIC.leadsMatched]: fromMatched,
  [TOPIC.leadsSold]: fromSold,
  [TOPIC.assignments]: fromAssignment,
};

export const LEAD_EVENT_TOPICS = Object.keys(LEAD_TOPICS);

/** Where each lead topic's personal fields are: rows keep none of them (docs/compliance.md). */
const PERSONAL = new Map(
  LEAD_EVENT_TOPICS.map((topic) => [topic, sealingPlan(platformCatalog().get(topic).valueSchema)]),
);

export const eventId = (record: Pick<ConsumedRecord, 'topic' | 'partition' | 'offset'>) =>
  `${record.topic}/${record.partition}/${record.offset}`;

/**
 * The lead event a record carries. Throws (and the record goes to the dead letter topic) when it
 * could never be stored: an unknown topic, or a time outside what a timestamp column holds.
 */
export function toLeadEvent(record: ConsumedRecord<unknown>): LeadEvent {
  const stageOf = LEAD_TOPICS[record.topic];
  if (!stageOf) throw new Error(`${record.topic} is not a lead topic the postgres sink reads`);
  if (record.value === null) throw new Error(`${eventId(record)} has no value (a tombstone on a lead topic)`);
  const { stage, leadId, occurredAt, receivedAt, facts } = stageOf(record.value as never);
  for (const [field, time] of [
    ['occurred at', occurredAt],
    ['receivedAt', receivedAt],
  ] as const) {
    if (!storableTime(time)) throw new Error(`${eventId(record)}: ${field} ${time} is not a storable time`);
  }
  return {
    eventId: eventId(record),
    leadId: withoutNul(leadId),
    stage,
    occurredAt,
    receivedAt,
    replay: record.headers[HEADER.replay] === '1',
    facts: withoutNul(facts),
    payload: withoutNul(withholdPersonal(PERSONAL.get(record.topic)!, record.value)),
  };
}

// Epoch ms from 1900 to 9999: beyond what any lead carries, within what timestamptz stores.
export const storableTime = (ms: number) =>
  Number.isFinite(ms) && ms >= -2_208_988_800_000 && ms < 253_402_300_800_000;

/**
 * PostgreSQL text and jsonb cannot hold U+0000, which a vendor's body may contain; a write that
 * can never succeed would stop the sink for good, so it becomes U+FFFD.
 */
export function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '\uFFFD') as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [withoutNul(key), withoutNul(inner)]),
    ) as T;
  }
  return value;
}

/**
 * The stages an event proves its lead reached: its own and every funnel stage before it (an
 * enriched lead was valid and received; a rejected one was received), so the funnel never shows
 * more leads at a later stage than an earlier one, even while events arrive out of order.
 */
export function stagesReached(stage: Stage): Stage[] {
  if (stage === 'rejected') return ['received', 'rejected'];
  return FUNNEL_STAGES.filter((s) => STAGE_RANK[s] <= STAGE_RANK[stage]);
}

/** UTC calendar day (YYYY-MM-DD) of an epoch-ms time. */
export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface StageReached {
  leadId: string;
  stage: Stage;
  receivedOn: string;
  vendorId: string;
  line: string;
  firstEventId: string;
}

/**
 * Each (lead, stage) the events prove reached, once, attributed to the first event that proves it.
 * A lead's day, vendor and line come from its earliest-stage event here: later stages may say
 * another line (score corrects vendors' lines), and a lead is counted under the one it came with.
 */
export function stagesReachedBy(events: readonly LeadEvent[]): StageReached[] {
  const earliest = new Map<string, LeadEvent>();
  for (const event of events) {
    const known = earliest.get(event.leadId);
    if (!known || STAGE_RANK[event.stage] < STAGE_RANK[known.stage]) earliest.set(event.leadId, event);
  }
  const reached = new Map<string, StageReached>();
  for (const event of events) {
    const dimensions = earliest.get(event.leadId)!;
    for (const stage of stagesReached(event.stage)) {
      const key = `${event.leadId}\u0000${stage}`;
      if (reached.has(key)) continue;
      reached.set(key, {
        leadId: event.leadId,
        stage,
        receivedOn: utcDay(dimensions.receivedAt),
        vendorId: dimensions.facts.vendorId,
        line: dimensions.facts.line ?? UNKNOWN_LINE,
        firstEventId: event.eventId,
      });
    }
  }
  return [...reached.values()];
}

/**
 * Splits events into rounds holding at most one event per lead, keeping each lead's events in
 * order: one upsert statement cannot touch the same row twice, and a round is one statement.
 */
export function inRounds<E extends { leadId: string }>(events: readonly E[]): E[][] {
  const rounds: E[][] = [];
  const seen = new Map<string, number>();
  for (const event of events) {
    const round = seen.get(event.leadId) ?? 0;
    seen.set(event.leadId, round + 1);
    (rounds[round] ??= []).push(event);
  }
  return rounds;
}

/** Orders a lead's history: by time, and by stage where two events share a millisecond. */
export function compareHistory(
  a: { occurredAt: number; stage: string },
  b: { occurredAt: number; stage: string },
): number {
  return a.occurredAt - b.occurredAt || rankOf(a.stage) - rankOf(b.stage);
}

/** Rank of a stage read back from the database; one this version does not know sorts last. */
export const rankOf = (stage: string) =>
  stage in STAGE_RANK ? STAGE_RANK[stage as Stage] : Number.MAX_SAFE_INTEGER;
