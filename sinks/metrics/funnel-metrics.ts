import client from 'prom-client';
import { registry } from '../../runtime/metrics';
import { BoundedLabels } from './bounded-labels';
import type { Observation } from './observations';

/**
 * The funnel metrics the metrics sink keeps. Every label is bounded: stages, lines, tiers, reason
 * codes, assignment types and outcomes are fixed lists in code; vendors, channels and routing
 * groups pass through a cap (see BoundedLabels). No lead, agent or offer id is ever a label.
 */
const LATENCY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86_400];

export const funnelMetrics = {
  leads: new client.Counter({
    name: 'leadflow_leads_total',
    help: 'Leads that reached a funnel stage (received, valid, enriched, scored, matched, unroutable, offered, assigned, sold, rejected), by insurance line.',
    labelNames: ['stage', 'line'] as const,
    registers: [registry],
  }),
  sourceLeads: new client.Counter({
    name: 'leadflow_source_leads_total',
    help: 'Leads per stage by how they came in (channel) and who sent them (vendor, capped; beyond the cap "other"), for the stages whose records carry the source.',
    labelNames: ['stage', 'channel', 'vendor'] as const,
    registers: [registry],
  }),
  rejections: new client.Counter({
    name: 'leadflow_lead_rejections_total',
    help: 'Rejected leads by rejecting stage and reason code; a lead with several reasons counts under each.',
    labelNames: ['stage', 'reason'] as const,
    registers: [registry],
  }),
  stageLatency: new client.Histogram({
    name: 'leadflow_stage_latency_seconds',
    help: "Time from the previous stage's output to this stage's output (valid: from ingress receipt).",
    labelNames: ['stage'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
  endToEndLatency: new client.Histogram({
    name: 'leadflow_end_to_end_latency_seconds',
    help: "Time from ingress receipt (the lead's receivedAt) to each stage's output.",
    labelNames: ['stage'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
  score: new client.Histogram({
    name: 'leadflow_lead_score',
    help: 'Scores (0-100) of scored leads, by insurance line.',
    labelNames: ['line'] as const,
    buckets: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
    registers: [registry],
  }),
  tiers: new client.Counter({
    name: 'leadflow_scored_leads_total',
    help: 'Scored leads by quality tier (A best to D).',
    labelNames: ['tier'] as const,
    registers: [registry],
  }),
  unroutable: new client.Counter({
    name: 'leadflow_unroutable_leads_total',
    help: 'Leads match could not route, by reason (no_agents, not_licensed, no_active_agent, language_unsupported, outside_hours).',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  assignments: new client.Counter({
    name: 'leadflow_assignment_events_total',
    help: 'Assignment transitions (offered, accepted, declined, expired, escalated, ...) by routing group (capped).',
    labelNames: ['type', 'routing_group'] as const,
    registers: [registry],
  }),
  acceptance: new client.Histogram({
    name: 'leadflow_assignment_acceptance_seconds',
    help: 'Time from match to the accepting answer of an agent, re-offers included, by routing group (capped).',
    labelNames: ['routing_group'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 86_400],
    registers: [registry],
  }),
  outcomes: new client.Counter({
    name: 'leadflow_lead_outcomes_total',
    help: 'Outcomes agents reported (contacted, quoted, sold, lost).',
    labelNames: ['status'] as const,
    registers: [registry],
  }),
  premium: new client.Counter({
    name: 'leadflow_sold_premium_usd_total',
    help: 'Annual premium of sold policies, USD.',
    registers: [registry],
  }),
  predicted: new client.Histogram({
    name: 'leadflow_labelled_conversion_probability',
    help: 'Conversion probability the model gave leads whose final outcome (sold or lost) is now known, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1],
    registers: [registry],
  }),
  rewardPoints: new client.Counter({
    name: 'leadflow_reward_points_total',
    help: 'Reward points credited, by account kind (agent, partner) and reason.',
    labelNames: ['account_kind', 'reason'] as const,
    registers: [registry],
  }),
  rewardUsd: new client.Counter({
    name: 'leadflow_rewards_paid_usd_total',
    help: 'Commissions and rewards credited in USD, by account kind (agent, partner) and reason.',
    labelNames: ['account_kind', 'reason'] as const,
    registers: [registry],
  }),
  replays: new client.Counter({
    name: 'leadflow_replayed_records_total',
    help: 'Records re-run through a stage by replay; they are not counted in the funnel again.',
    labelNames: ['topic'] as const,
    registers: [registry],
  }),
};

export interface LabelCaps {
  /** Distinct vendors with their own series; the rest count as "other". */
  vendors: number;
}

/** Turns observations into metric updates, with the capped labels of one process. */
export class FunnelRecorder {
  private readonly vendors: BoundedLabels;
  private readonly channels = new BoundedLabels(20);
  private readonly routingGroups = new BoundedLabels(50);
  // Rejection and reward reasons and account kinds are fixed lists in code; the caps only guard
  // against a bug.
  private readonly reasons = new BoundedLabels(200);
  private readonly accountKinds = new BoundedLabels(10);

  constructor(caps: LabelCaps) {
    this.vendors = new BoundedLabels(caps.vendors);
  }

  record(observation: Observation): void {
    const m = funnelMetrics;
    switch (observation.kind) {
      case 'lead':
        m.leads.inc({ stage: observation.stage, line: observation.line });
        if (observation.source) {
          m.sourceLeads.inc({
            stage: observation.stage,
            channel: this.channels.label(observation.source.channel),
            vendor: this.vendors.label(observation.source.vendor),
          });
        }
        return;
      case 'rejection':
        m.rejections.inc({ stage: observation.stage, reason: this.reasons.label(observation.reason) });
        return;
      case 'latency':
        if (observation.stageSeconds !== null)
          m.stageLatency.observe({ stage: observation.stage }, observation.stageSeconds);
        m.endToEndLatency.observe({ stage: observation.stage }, observation.endToEndSeconds);
        return;
      case 'score':
        m.score.observe({ line: observation.line }, observation.score);
        m.tiers.inc({ tier: observation.tier });
        return;
      case 'unroutable':
        m.unroutable.inc({ reason: observation.reason });
        return;
      case 'assignment':
        m.assignments.inc({
          type: observation.type,
          routing_group: this.routingGroups.label(observation.routingGroup),
        });
        return;
      case 'acceptance':
        m.acceptance.observe(
          { routing_group: this.routingGroups.label(observation.routingGroup) },
          observation.seconds,
        );
        return;
      case 'outcome':
        m.outcomes.inc({ status: observation.status });
        if (observation.status === 'sold' && observation.premiumUsd !== null && observation.premiumUsd > 0)
          m.premium.inc(observation.premiumUsd);
        return;
      case 'labelled':
        m.predicted.observe({ outcome: observation.outcome }, observation.probability);
        return;
      case 'reward': {
        const labels = {
          account_kind: this.accountKinds.label(observation.accountKind),
          reason: this.reasons.label(observation.reason),
        };
        // Credits only: a debit (a clawback) is not a reward paid.
        if (observation.points > 0) m.rewardPoints.inc(labels, observation.points);
        if (observation.amountUsd > 0) m.rewardUsd.inc(labels, observation.amountUsd);
        return;
      }
      case 'replay':
        m.replays.inc({ topic: observation.topic });
        return;
    }
  }
}
