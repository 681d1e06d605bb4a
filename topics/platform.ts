import { loadSchema } from '../schemas/avro';
import { Catalog } from '../runtime/catalog';
import { RETENTION, type TopicSpec } from '../runtime/topic-spec';

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
  assignments: 'assignments',
  assignmentNotifications: 'assignments.notifications',
  partners: 'partners',
  referrals: 'referrals',
  communityEvents: 'community.events',
  rewardActivity: 'rewards.activity',
  rewards: 'rewards',
  agentTiers: 'agent.tiers',
} as const;

/**
 * The platform's topics, in flow order. Each stage adds its topics here; internal topics
 * (changelogs, dead letters) are derived from the processors by `Catalog.withProcessors`.
 */
export const platformTopics: TopicSpec[] = [
  avro(
    TOPIC.leadsRaw,
    'lead-raw',
    'Leads as received (HTTP, files, replays), keyed by lead id; the body is kept verbatim.',
    {
      retentionMs: 90 * 24 * 3_600_000,
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
      retentionMs: 90 * 24 * 3_600_000,
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
    { cleanup: 'compact', retentionMs: RETENTION.forever },
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
];

export const platformCatalog = () => new Catalog(platformTopics);
