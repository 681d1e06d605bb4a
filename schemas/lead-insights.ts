/**
 * What the score stage may ask of an LLM about a lead, and the answer it must give (checked with
 * zod, because an endpoint may ignore the schema it was sent). connectors/llm implements the ask.
 */
import { z } from 'zod';
import { INSURANCE_LINES, type EnrichedLead } from './lead';
import type { LlmInsight } from './score-records';

export const INSIGHT_INTENTS = ['shopping', 'switching', 'renewal', 'just_browsing'] as const;
export const INSIGHT_URGENCIES = ['immediate', 'soon', 'later', 'unknown'] as const;

const dateOnly = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');

export const leadInsightsSchema = z.object({
  line: z.enum(INSURANCE_LINES).describe('The insurance line the person actually needs.'),
  intent: z.enum(INSIGHT_INTENTS),
  urgency: z
    .enum(INSIGHT_URGENCIES)
    .describe('immediate: within a week; soon: within about six weeks; later: beyond; unknown.'),
  explanation: z
    .string()
    .min(1)
    .max(600)
    .describe('Two sentences for the agent: why this lead is (or is not) promising.'),
  extracted: z
    .object({
      currentInsurer: z.string().nullable(),
      policyExpiry: dateOnly.nullable(),
      desiredStartDate: dateOnly.nullable(),
      vehiclesMentioned: z.number().int().min(0).max(20).nullable(),
      householdSize: z.number().int().min(1).max(20).nullable(),
      preferredContactTime: z.string().max(60).nullable(),
      language: z.string().max(30).nullable(),
    })
    .describe('Facts stated in the notes; null when the notes do not say.'),
});
export type LeadInsights = z.infer<typeof leadInsightsSchema>;

/** What the local model concluded, shown to the LLM beside the lead. */
export interface LocalView {
  line: string;
  intent: string;
  urgency: string;
  score: number;
  tier: string;
  reasons: string[];
}

export interface LlmEnrichment {
  insight: LlmInsight;
  /** The validated answer when `insight.used`. */
  answer: LeadInsights | null;
}

/** The LLM as the score stage sees it: one call per lead, never throwing for an outage. */
export interface LeadEnricher {
  enrich(enriched: EnrichedLead, local: LocalView): Promise<LlmEnrichment>;
}
