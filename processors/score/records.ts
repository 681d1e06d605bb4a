/**
 * Shapes of the records the score stage writes and reads: leads.scored, models, lead.outcomes
 * and model.training. They match `schemas/lead-scored.avsc`, `model-release.avsc`,
 * `lead-outcome.avsc` and `training-example.avsc` (built by `schema.ts`), with the same
 * conventions as the lead records: optional fields are `T | null`, times are epoch milliseconds.
 */
import type { LlmInsight } from '../../connectors/llm/enricher';
import type { Reason as ModelReason } from '../../models/artifact';
import type { EnrichedLead } from '../../schemas/lead';
import type { Classification } from './classify';

export const TIERS = ['A', 'B', 'C', 'D'] as const;
export type Tier = (typeof TIERS)[number];

export interface LeadScore {
  /** Calibrated probability that the lead converts. */
  probability: number;
  /** 0-100: the share of the model's training leads this lead outscores. */
  score: number;
  tier: Tier;
  reasons: ModelReason[];
  modelVersion: string;
}

export interface ScoredLead extends EnrichedLead {
  scoredAt: number;
  score: LeadScore;
  classification: Classification;
  /** Null when no LLM is configured. */
  llm: LlmInsight | null;
}

/** A model version on the compacted `models` topic (key "current"). */
export interface ModelRelease {
  version: string;
  /** The model artifact as JSON text. */
  artifact: string;
  publishedAt: number;
  /** Who or what published it: cli, retrain job, ... */
  publishedBy: string;
  note: string | null;
}

/** cancelled: a sold policy cancelled later (the rewards stage claws its referral commission back). */
export const OUTCOME_STATUSES = ['contacted', 'quoted', 'sold', 'lost', 'cancelled'] as const;
export type OutcomeStatus = (typeof OUTCOME_STATUSES)[number];

/** What happened to a lead after it was handed to an agent (topic lead.outcomes, keyed by lead id). */
export interface LeadOutcomeEvent {
  /** Unique per event: sinks and joins use it to ignore redeliveries. */
  eventId: string;
  leadId: string;
  status: OutcomeStatus;
  at: number;
  agentId: string | null;
  /** Annual premium sold, USD. */
  premiumUsd: number | null;
  /** Free text, e.g. why it was lost. */
  reason: string | null;
}

/** A scored lead with its final outcome: one labelled row for retraining (topic model.training). */
export interface TrainingExample {
  leadId: string;
  lead: EnrichedLead;
  converted: boolean;
  outcome: OutcomeStatus;
  probability: number;
  modelVersion: string;
  scoredAt: number;
  labelledAt: number;
}
