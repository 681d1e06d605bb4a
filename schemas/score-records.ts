/**
 * Shapes of the records the score stage writes and reads: leads.scored, models, lead.outcomes
 * and model.training. They match `schemas/lead-scored.avsc`, `model-release.avsc`,
 * `lead-outcome.avsc` and `training-example.avsc` (built by `schema.ts`), with the same
 * conventions as the lead records: optional fields are `T | null`, times are epoch milliseconds.
 */
import type { EnrichedLead, InsuranceLine } from './lead';

export const INTENTS = ['shopping', 'switching', 'renewal', 'just_browsing'] as const;
export type Intent = (typeof INTENTS)[number];

/** immediate: within a week; soon: within about six weeks; later: beyond; unknown: no clue. */
export const URGENCIES = ['immediate', 'soon', 'later', 'unknown'] as const;
export type Urgency = (typeof URGENCIES)[number];

export const CLASSIFICATION_SOURCES = ['rules', 'llm'] as const;
export type ClassificationSource = (typeof CLASSIFICATION_SOURCES)[number];

export interface Classification {
  line: InsuranceLine;
  /** The line the vendor sent; differs from `line` when the details or notes say otherwise. */
  statedLine: InsuranceLine;
  intent: Intent;
  urgency: Urgency;
  source: ClassificationSource;
  /** Why, in short phrases: "notes: need coverage today", "policy expires in 12 days". */
  signals: string[];
}

/** One factor behind a model's score. */
export interface ModelReason {
  /** The column, plus the level for categorical ones: "vendor=acme-leads", "dataQuality". */
  code: string;
  direction: 'up' | 'down';
  /** In words: "Came from Acme Leads", "Many fields missing". */
  text: string;
  /** Log-odds this factor adds relative to the average lead. */
  impact: number;
}

/** What the optional LLM added to a lead's scoring, and what it cost. */
export interface LlmInsight {
  /** Whether the LLM's answer was used (false: it failed and the local result stands). */
  used: boolean;
  model: string;
  /** Answered from the cache (no tokens spent). */
  cached: boolean;
  explanation: string | null;
  /** Fields the LLM read out of the notes, by name; values as text. */
  extracted: Record<string, string>;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  latencyMs: number;
  /** Why the answer was not used: timeout, rate_limited, invalid_answer, circuit_open, unavailable. */
  error: string | null;
}

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
  /** Contact details withheld (processors/score/withheld.ts). */
  lead: EnrichedLead;
  /** Null in examples written before it was kept: classify the lead then. */
  classification: Classification | null;
  converted: boolean;
  outcome: OutcomeStatus;
  probability: number;
  modelVersion: string;
  scoredAt: number;
  labelledAt: number;
}
