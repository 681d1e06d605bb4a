/**
 * score-feedback: joins each lead's final outcome (sold or lost, from lead.outcomes) back to the
 * lead as the score stage saw it, contact details withheld, and writes the labelled example to
 * model.training, which
 * `leadflow model train --from-topic` learns from. leads.scored and lead.outcomes are both keyed
 * by lead id with the same partition count, so both sides of a lead meet in one task, in whichever
 * order they arrive. Live AUC and calibration gap over recent outcomes are exported as metrics;
 * each lead counts in them once: records re-run by a replay do not count (see drift.ts for restarts).
 */
import { defineProcessor, type ProcessorContext } from '../../runtime/processor';
import { HEADER, type Headers } from '../../runtime/records';
import type { EnrichedLead } from '../../schemas/lead';
import { TOPIC } from '../../topics/platform';
import { recordOutcome, RollingEvaluation } from './drift';
import type {
  Classification,
  LeadOutcomeEvent,
  ScoredLead,
  TrainingExample,
} from '../../schemas/score-records';
import { withContactDetailsWithheld } from './withheld';

/** How long either side waits for the other. */
export const JOIN_WINDOW_MS = 180 * 24 * 3_600_000;

/** What the join keeps of a scored lead for up to JOIN_WINDOW_MS: no contact details. */
interface ScoredSide {
  lead: EnrichedLead;
  classification: Classification;
  probability: number;
  modelVersion: string;
  scoredAt: number;
}

const isFinal = (status: string): status is 'sold' | 'lost' => status === 'sold' || status === 'lost';

/** The enriched lead inside a scored one (what the features are computed from). */
export function enrichedPart(scored: ScoredLead): EnrichedLead {
  const { scoredAt: _s, score: _score, classification: _c, llm: _l, ...enriched } = scored;
  return enriched;
}

export function trainingExample(
  side: ScoredSide,
  outcome: LeadOutcomeEvent,
  leadId: string,
): TrainingExample {
  return {
    leadId,
    lead: side.lead,
    classification: side.classification,
    converted: outcome.status === 'sold',
    outcome: outcome.status,
    probability: side.probability,
    modelVersion: side.modelVersion,
    scoredAt: side.scoredAt,
    labelledAt: outcome.at,
  };
}

export const scoreFeedbackProcessor = () => {
  const live = new RollingEvaluation();
  const emit = (ctx: ProcessorContext, example: TrainingExample, headers: Headers) => {
    ctx.emit(TOPIC.modelTraining, example.leadId, example);
    // A replay re-runs joins already counted, possibly long ago (outside the window), and a replay
    // of this stage starts with empty stores, so no state can tell; the header can. The rare first
    // join a replayed record completes is left out: the evaluation is a sample of recent outcomes.
    if (headers[HEADER.replay] !== '1')
      recordOutcome(live, example.leadId, example.probability, example.converted);
  };
  return defineProcessor<ScoredLead | LeadOutcomeEvent>({
    name: 'score-feedback',
    inputs: [TOPIC.leadsScored, TOPIC.leadOutcomes],
    outputs: [TOPIC.modelTraining],
    stores: ['scored', 'outcomes'],
    process(record, ctx) {
      const scoredStore = ctx.store<ScoredSide>('scored');
      const outcomeStore = ctx.store<LeadOutcomeEvent>('outcomes');
      const leadId = record.key;
      if (record.topic === TOPIC.leadsScored) {
        const scored = record.value as ScoredLead;
        const side: ScoredSide = {
          lead: withContactDetailsWithheld(enrichedPart(scored)),
          classification: scored.classification,
          probability: scored.score.probability,
          modelVersion: scored.score.modelVersion,
          scoredAt: scored.scoredAt,
        };
        scoredStore.put(leadId, side);
        const waiting = outcomeStore.get(leadId);
        if (waiting) {
          emit(ctx, trainingExample(side, waiting, leadId), record.headers);
          outcomeStore.delete(leadId);
        }
      } else {
        const outcome = record.value as LeadOutcomeEvent;
        if (!isFinal(outcome.status)) return;
        const side = scoredStore.get(leadId);
        if (side) emit(ctx, trainingExample(side, outcome, leadId), record.headers);
        else outcomeStore.put(leadId, outcome);
      }
      ctx.schedule(ctx.now() + JOIN_WINDOW_MS, leadId);
    },
    onTimer(timer, ctx) {
      ctx.store('scored').delete(timer.key);
      ctx.store('outcomes').delete(timer.key);
    },
  });
};
