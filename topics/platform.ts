import { loadSchema } from '../schemas/avro';
import { Catalog } from '../runtime/catalog';
import { RETENTION, shortestRetention, type TopicSpec } from '../runtime/topic-spec';

/** Partitions of the lead flow. Topics a processor reads together must share this count. */
export const LEAD_PARTITIONS = 6;

const avro = (
  name: string,
  schema: string,
  doc: string,
  options: Partial<Pick<TopicSpec, 'partitions' | 'cleanup' | 'retentionMs'>> = {},
): TopicSpec => ({
  name,
  partitions: options.partitions ?? LEAD_PARTITIONS,
  cleanup: options.cleanup ?? 'delete',
  retentionMs: options.retentionMs === undefined ? RETENTION.month : options.retentionMs,
  format: 'avro',
  keySchema: 'string',
  valueSchema: loadSchema(schema),
  doc,
});

/** Topic names, so code refers to a topic by a checked identifier rather than a string. */
export const TOPIC = {
  leadsRaw: 'leads.raw',
  leadsByPhone: 'leads.by-phone',
  leadsByEmail: 'leads.by-email',
  doNotContact: 'contacts.dnc',
  leadsValid: 'leads.valid',
  leadsRejected: 'leads.rejected',
  leadDecisions: 'lead.decisions',
  leadsEnriched: 'leads.enriched',
  leadsScored: 'leads.scored',
  models: 'models',
  leadOutcomes: 'lead.outcomes',
  modelTraining: 'model.training',
  vendors: 'vendors',
  uploads: 'uploads',
  vendorNotifications: 'vendors.notifications',
  agents: 'agents',
  agentFeatures: 'agent.features',
  agentPerformance: 'agent.performance',
  agentResponses: 'agent.responses',
  leadsMatched: 'leads.matched',
  leadsSold: 'leads.sold',
  buyerPurchases: 'buyer.purchases',
  buyerReturns: 'buyer.returns',
  buyerReturnDecisions: 'buyer.return-decisions',
  assignments: 'assignments',
  assignmentNotifications: 'assignments.notifications',
  ledger: 'ledger',
  partners: 'partners',
  referrals: 'referrals',
  communityEvents: 'community.events',
  rewardActivity: 'rewards.activity',
  rewards: 'rewards',
  agentTiers: 'agent.tiers',
  privacyKeys: 'privacy.keys',
  privacySubjects: 'privacy.subjects',
  privacyErasures: 'privacy.erasures',
} as const;

/**
 * The kinds of personal data leadflow keeps, each for a number of days of its own
 * (RETENTION_*_DAYS), on its topics (DATA_CLASS_TOPICS) and in its tables (sinks/postgres).
 */
export type DataClass = 'rawLeads' | 'rejectedLeads' | 'training';

export type RetentionDays = Readonly<Record<DataClass, number>>;

export const DEFAULT_RETENTION_DAYS: RetentionDays = { rawLeads: 90, rejectedLeads: 90, training: 365 };

/** Each class's retention: the one set, else the default. */
export function dataRetention(settings: Partial<RetentionDays> = {}): RetentionDays {
  return {
    rawLeads: settings.rawLeads ?? DEFAULT_RETENTION_DAYS.rawLeads,
    rejectedLeads: settings.rejectedLeads ?? DEFAULT_RETENTION_DAYS.rejectedLeads,
    training: settings.training ?? DEFAULT_RETENTION_DAYS.training,
  };
}

/**
 * The topics holding each data class: a record on them is dropped once its class's retention
 * (RETENTION_*_DAYS) has passed, or sooner where the topic's own retention is shorter. Raw leads
 * are the lead as received and every later copy of its contact details; from leads.matched on,
 * topics carry the routable lead (no contact details) and belong to no class. Dead letter and
 * retry topics hold copies of their inputs and never outlive them (`Catalog.withProcessors`).
 */
export const DATA_CLASS_TOPICS: Readonly<Record<DataClass, readonly string[]>> = {
  rawLeads: [
    TOPIC.leadsRaw,
    TOPIC.leadsByPhone,
    TOPIC.leadsByEmail,
    TOPIC.leadsValid,
    TOPIC.leadsEnriched,
    TOPIC.leadsScored,
  ],
  rejectedLeads: [TOPIC.leadsRejected],
  training: [TOPIC.modelTraining],
};

/**
 * The platform's topics, in flow order. Each stage adds its topics here; internal topics
 * (changelogs, dead letters) are derived from the processors by `Catalog.withProcessors`.
 * A topic that keeps a data class `forever` keeps it as long as its class allows.
 */
const platformTopics: TopicSpec[] = [
  avro(
    TOPIC.leadsRaw,
    'lead-raw',
    'Leads as received (HTTP, files, replays), keyed by lead id; the body is kept verbatim.',
    {
      retentionMs: RETENTION.forever,
    },
  ),
  avro(
    TOPIC.leadsByPhone,
    'lead-valid',
    'Leads that passed the field rules, re-keyed by phone identity for the duplicate and do-not-contact screen.',
    {
      retentionMs: RETENTION.week,
    },
  ),
  avro(
    TOPIC.leadsByEmail,
    'lead-valid',
    'Leads that passed the phone screen, re-keyed by email identity (or lead id when there is no email).',
    {
      retentionMs: RETENTION.week,
    },
  ),
  avro(
    TOPIC.doNotContact,
    'do-not-contact',
    'The do-not-contact list, keyed by identity (phone:+1..., email:...).',
    {
      cleanup: 'compact',
      retentionMs: RETENTION.forever,
    },
  ),
  avro(TOPIC.leadsValid, 'lead-valid', 'Validated, normalised leads, keyed by lead id.'),
  avro(
    TOPIC.leadsRejected,
    'lead-rejected',
    'Leads that failed a rule, with every reason; keyed by lead id.',
    {
      retentionMs: RETENTION.forever,
    },
  ),
  avro(
    TOPIC.leadsEnriched,
    'lead-enriched',
    'Validated leads with geography, contact window, age and data quality.',
  ),
  avro(
    TOPIC.leadsScored,
    'lead-scored',
    'Enriched leads with score, tier, reason codes, line/intent/urgency and model version, keyed by lead id.',
  ),
  avro(TOPIC.models, 'model-release', 'The scoring model in use, key "current"; read as a global table.', {
    partitions: 1,
    cleanup: 'compact',
    retentionMs: RETENTION.forever,
  }),
  avro(
    TOPIC.leadOutcomes,
    'lead-outcome',
    'What happened to each lead after assignment (contacted, quoted, sold, lost), keyed by lead id.',
    { retentionMs: 365 * 24 * 3_600_000 },
  ),
  avro(
    TOPIC.modelTraining,
    'training-example',
    'Scored leads joined with their final outcome, keyed by lead id: what `model train --from-topic` learns from.',
    { cleanup: 'compact,delete', retentionMs: RETENTION.forever },
  ),
  avro(TOPIC.vendors, 'vendor', 'Lead vendors and their hashed API keys, keyed by vendor id.', {
    partitions: 1,
    cleanup: 'compact',
    retentionMs: RETENTION.forever,
  }),
  avro(
    TOPIC.vendorNotifications,
    'vendor-notification',
    'Delivery log of status webhooks to vendors (accepted, rejected, assigned, converted), keyed by lead id.',
    { retentionMs: 30 * 24 * 3_600_000 },
  ),
  avro(TOPIC.uploads, 'upload', 'Bulk upload progress and unreadable-row reports, keyed by upload id.', {
    partitions: 1,
    cleanup: 'compact',
    retentionMs: RETENTION.forever,
  }),
  // Routing. Every routing topic has LEAD_PARTITIONS partitions: leads.matched and agent.responses
  // are read together by assign, keyed by routing group, and must stay co-partitioned.
  avro(TOPIC.agents, 'agent', 'Agent routing profiles, keyed by agent id; a tombstone removes an agent.', {
    cleanup: 'compact',
    retentionMs: RETENTION.forever,
  }),
  avro(
    TOPIC.agentFeatures,
    'agent-features',
    'Graph-derived routing factors per agent (referral ties, team strength, similar-lead success), keyed by agent id.',
    { cleanup: 'compact', retentionMs: RETENTION.forever },
  ),
  avro(
    TOPIC.agentPerformance,
    'agent-performance',
    'Acceptance, response time, conversion and current load per agent, written by assign; keyed by agent id.',
    { cleanup: 'compact', retentionMs: RETENTION.forever },
  ),
  avro(
    TOPIC.leadsMatched,
    'lead-matched',
    'Scored leads with ranked eligible agents and per-factor contributions, keyed by routing group (unroutable: by lead id).',
  ),
  avro(
    TOPIC.leadsSold,
    'lead-sold',
    "Posted leads sold to their ping-post bid's buyers instead of routed to agents, keyed by lead id; no contact details.",
  ),
  avro(
    TOPIC.buyerPurchases,
    'buyer-purchase',
    "Each buyer's share of a lead sold by ping-post, keyed by buyer id (co-partitioned with buyer.returns).",
  ),
  avro(
    TOPIC.buyerReturns,
    'buyer-return',
    'Buyers giving back leads they bought, and reviewers deciding returns under review, keyed by buyer id.',
  ),
  avro(
    TOPIC.buyerReturnDecisions,
    'buyer-return-decision',
    "What became of each buyer's return (approved, pending review, denied) and why, keyed by buyer id.",
    { retentionMs: RETENTION.forever },
  ),
  avro(
    TOPIC.agentResponses,
    'agent-response',
    'Agents accepting or declining offers and reporting outcomes, keyed by routing group (co-partitioned with leads.matched).',
  ),
  avro(
    TOPIC.assignments,
    'assignment-event',
    'Every assignment transition (offered, accepted, expired, escalated, ...), keyed by lead id.',
    { retentionMs: 90 * 24 * 3_600_000 },
  ),
  avro(
    TOPIC.leadDecisions,
    'lead-decision',
    'What the pipeline decided about each lead (rejected with reasons, or accepted with its price), keyed by lead id; synchronous submissions wait for it.',
    { retentionMs: RETENTION.week },
  ),
  avro(
    TOPIC.ledger,
    'ledger-entry',
    'What each lead cost and earned: owed to its vendor, owed by the agent or buyer it went to, and the reversals of a return, keyed by lead id.',
    { retentionMs: RETENTION.forever },
  ),
  avro(
    TOPIC.assignmentNotifications,
    'assignment-notification',
    'Delivery log of offer notifications (webhook, email, SMS), keyed by lead id; no recipient addresses.',
  ),
  // Rewards. referrals, rewards.activity and community.events have LEAD_PARTITIONS partitions:
  // reward-leads reads referrals with the lead topics (keyed by lead id), reward reads
  // rewards.activity with community.events (keyed by account id).
  avro(TOPIC.partners, 'partner', 'Referral partners, keyed by partner id; payout details stay out of it.', {
    partitions: 1,
    cleanup: 'compact',
    retentionMs: RETENTION.forever,
  }),
  avro(
    TOPIC.referrals,
    'referral',
    'Referral submissions and every later step (qualified, converted, rewarded, expired, ...), keyed by the referred lead id.',
    { retentionMs: RETENTION.forever },
  ),
  avro(
    TOPIC.communityEvents,
    'community-event',
    'Posts, comments, likes, stories and featured stories, keyed by the agent the action may earn points for.',
    { retentionMs: RETENTION.forever },
  ),
  avro(
    TOPIC.rewardActivity,
    'reward-activity',
    'Internal: lead events that may earn an agent or partner something, re-keyed by account id for reward.',
    { retentionMs: RETENTION.forever },
  ),
  avro(
    TOPIC.rewards,
    'reward-event',
    'The rewards ledger: every credit and debit of points or money, keyed by account id; balances are derived.',
    { retentionMs: RETENTION.forever },
  ),
  avro(
    TOPIC.agentTiers,
    'agent-tier',
    "Each agent's VIP tier with its routing priority boost and daily cap bonus, keyed by agent id.",
    { cleanup: 'compact', retentionMs: RETENTION.forever },
  ),
  {
    name: TOPIC.privacyKeys,
    partitions: LEAD_PARTITIONS,
    cleanup: 'compact',
    retentionMs: RETENTION.forever,
    format: 'raw',
    keySchema: 'string',
    valueSchema: 'bytes',
    doc:
      "Each lead's data key, wrapped with LEADFLOW_PRIVACY_KEY, keyed by lead id; an erasure replaces " +
      'it with an erased mark, and compaction drops the key itself (runtime/privacy).',
  },
  avro(
    TOPIC.privacySubjects,
    'privacy-subject',
    "Which leads carried each subject's identity, and requests to erase them, keyed by a blind index of the identity (never the identity itself).",
  ),
  avro(
    TOPIC.privacyErasures,
    'privacy-erasure',
    'The erasure audit: each part of each request with the leads it erased, keyed by request id; what was erased, never whose.',
    { retentionMs: RETENTION.forever },
  ),
];

const DAY_MS = 24 * 3_600_000;

/** The data class whose records a topic holds, if any. */
export function dataClassOf(topic: string): DataClass | undefined {
  return (Object.keys(DATA_CLASS_TOPICS) as DataClass[]).find((dataClass) =>
    DATA_CLASS_TOPICS[dataClass].includes(topic),
  );
}

/**
 * The platform's catalogue, each data class's topics kept no longer than its retention (the
 * configuration's, `retentionSettings(config)`, else the default).
 */
export function platformCatalog(retention: Partial<RetentionDays> = {}): Catalog {
  const days = dataRetention(retention);
  return new Catalog(
    platformTopics.map((spec) => {
      const dataClass = dataClassOf(spec.name);
      return dataClass
        ? { ...spec, retentionMs: shortestRetention(spec.retentionMs, days[dataClass] * DAY_MS) }
        : spec;
    }),
  );
}
