import type { ProcessorContext } from '../../runtime/processor';
import type { LeadDecision } from '../../schemas/decision-records';
import type { RejectedLead } from '../../schemas/lead-records';
import type { RoutableLead } from '../../schemas/routing-records';
import { TOPIC } from '../../topics/platform';

/**
 * Rejects a lead: the rejected record on leads.rejected and the decision on lead.decisions, in
 * the same step, so a vendor waiting for the answer hears exactly what the stage decided.
 */
export function rejectLead(ctx: ProcessorContext, rejected: RejectedLead): void {
  ctx.emit(TOPIC.leadsRejected, rejected.leadId, rejected);
  const decision: LeadDecision = {
    leadId: rejected.leadId,
    vendorId: rejected.vendorId,
    status: 'rejected',
    stage: rejected.stage,
    reasons: rejected.reasons,
    pricePaidCents: null,
    decidedAt: rejected.rejectedAt,
  };
  ctx.emit(TOPIC.leadDecisions, rejected.leadId, decision);
}

/** A lead that passed intake and was priced: the platform takes it, routed or not. */
export function acceptedDecision(lead: RoutableLead, decidedAt: number): LeadDecision {
  return {
    leadId: lead.leadId,
    vendorId: lead.vendorId,
    status: 'accepted',
    stage: 'match',
    reasons: [],
    pricePaidCents: lead.pricePaidCents ?? null,
    decidedAt,
  };
}
