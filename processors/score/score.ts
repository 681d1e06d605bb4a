/**
 * Scoring a lead with the local model: rules classification, the model's features, a calibrated
 * probability, a 0-100 score, a tier and the reasons in words. Plain function of the lead and the
 * model; no network, no clock (dates count from the lead's receive time).
 */
import type { LlmEnrichment } from '../../schemas/lead-insights';
import type { LocalView } from '../../schemas/lead-insights';
import type { Scorer } from '../../models/artifact';
import type { EnrichedLead } from '../../schemas/lead';
import { classifyLead } from './classify';
import { leadFeatures } from './features';
import type { LeadScore, ScoredLead, Tier } from '../../schemas/score-records';

/** Score cut-offs: A is the top fifth of leads like the training population, D the bottom fifth. */
export const TIER_CUTS: readonly [Tier, number][] = [
  ['A', 80],
  ['B', 50],
  ['C', 20],
];

export function tierOf(score: number): Tier {
  return TIER_CUTS.find(([, cut]) => score >= cut)?.[0] ?? 'D';
}

export function scoreLead(enriched: EnrichedLead, scorer: Scorer, scoredAt: number): ScoredLead {
  const classification = classifyLead(enriched);
  const row = leadFeatures(enriched, classification);
  const prediction = scorer.predict(row);
  const score: LeadScore = {
    probability: prediction.probability,
    score: prediction.score,
    tier: tierOf(prediction.score),
    reasons: scorer.reasons(row, prediction),
    modelVersion: scorer.model.version,
  };
  return { ...enriched, scoredAt, score, classification, llm: null };
}

/** What the LLM is told the local model concluded. */
export function localView(scored: ScoredLead): LocalView {
  return {
    line: scored.classification.line,
    intent: scored.classification.intent,
    urgency: scored.classification.urgency,
    score: scored.score.score,
    tier: scored.score.tier,
    reasons: scored.score.reasons.map((r) => `${r.direction === 'up' ? '+' : '-'} ${r.text}`),
  };
}

/**
 * Puts the LLM's answer on a scored lead. Its line, intent and urgency replace the rules' (it
 * reads free text better), while the score stays the local model's: the model was trained on the
 * rules' features, and a score must not change with an endpoint's mood. A failed call leaves the
 * local result and says so in a warning.
 */
export function applyLlm(scored: ScoredLead, enrichment: LlmEnrichment): ScoredLead {
  const { insight, answer } = enrichment;
  if (!answer) {
    return {
      ...scored,
      llm: insight,
      warnings: [
        ...scored.warnings,
        {
          code: 'llm_unavailable',
          field: '',
          message: `LLM insight not used (${insight.error ?? 'unknown'}); scored and classified locally`,
        },
      ],
    };
  }
  const changed = (['line', 'intent', 'urgency'] as const).filter(
    (f) => answer[f] !== scored.classification[f],
  );
  return {
    ...scored,
    llm: insight,
    classification: {
      ...scored.classification,
      line: answer.line,
      intent: answer.intent,
      urgency: answer.urgency,
      source: 'llm',
      signals: [
        ...scored.classification.signals,
        ...changed.map((f) => `llm: ${f} ${answer[f]} (rules said ${scored.classification[f]})`),
      ],
    },
  };
}
