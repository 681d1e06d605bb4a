import { defineProcessor } from '../../runtime/processor';
import { TOPIC } from '../../topics/platform';
import type { LeadOutcomeEvent } from '../../schemas/score-records';
import type { AssignmentEvent } from '../../schemas/assignment-records';

/**
 * The outcome an assignment transition reports, if any: agents report outcomes to assign (which
 * checks the lead is theirs), and what assign accepted becomes a lead.outcomes event. The event id
 * is the transition's, so a replay emits the same event and consumers ignore it.
 */
export function reportedOutcome(event: AssignmentEvent): LeadOutcomeEvent | null {
  if ((event.type !== 'progressed' && event.type !== 'completed') || event.outcome === null) return null;
  return {
    eventId: event.eventId,
    leadId: event.leadId,
    status: event.outcome,
    at: event.at,
    agentId: event.agentId,
    premiumUsd: event.premiumUsd ?? null,
    reason: null,
  };
}

/** report-outcomes: assignments -> lead.outcomes, which closes the loop to scoring and rewards. */
export const reportOutcomesProcessor = () =>
  defineProcessor<AssignmentEvent>({
    name: 'report-outcomes',
    inputs: [TOPIC.assignments],
    outputs: [TOPIC.leadOutcomes],
    process(record, ctx) {
      const outcome = reportedOutcome(record.value);
      if (outcome) ctx.emit(TOPIC.leadOutcomes, outcome.leadId, outcome);
    },
  });
