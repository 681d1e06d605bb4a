/**
 * Returns as the read models hold them: the latest return event of each lead (postgres-routing
 * keeps every assignment event in `assignments`). Reviewers list the returns waiting for them and
 * find where to send a decision (the lead's routing group and agent, from the event).
 */
import type { AgentResponse, AssignmentEvent } from '../../schemas/assignment-records';
import type { Queryable } from './database';

export interface ReturnView {
  leadId: string;
  agentId: string;
  routingGroup: string | null;
  status: 'approved' | 'pending' | 'denied';
  returnReason: string | null;
  /** Why it was decided so: auto_approved, needs_review, return_rate_over_max, reviewed_by:<who>, ... */
  decision: string | null;
  vendorId: string;
  priceChargedCents: number | null;
  pricePaidCents: number | null;
  at: string;
}

const RETURN_EVENTS = ['return_approved', 'return_pending', 'return_denied'];

async function latestReturns(db: Queryable, where: string, params: unknown[]): Promise<ReturnView[]> {
  const { rows } = await db.query<{
    lead_id: string;
    agent_id: string;
    status: string;
    occurred_at: Date;
    payload: AssignmentEvent;
  }>(
    `SELECT * FROM (
       SELECT DISTINCT ON (lead_id) lead_id, agent_id, status, occurred_at, payload FROM assignments
       WHERE status = ANY($1) ${where}
       ORDER BY lead_id, occurred_at DESC, event_id DESC
     ) latest ORDER BY occurred_at`,
    [RETURN_EVENTS, ...params],
  );
  return rows.map((row) => ({
    leadId: row.lead_id,
    agentId: row.agent_id,
    routingGroup: row.payload.routingGroup ?? null,
    status: row.status.slice('return_'.length) as ReturnView['status'],
    returnReason: row.payload.returnReason ?? null,
    decision: row.payload.reason ?? null,
    vendorId: row.payload.lead.vendorId,
    priceChargedCents: row.payload.priceChargedCents ?? null,
    pricePaidCents: row.payload.lead.pricePaidCents ?? null,
    at: row.occurred_at.toISOString(),
  }));
}

/** Returns waiting for a person's decision, oldest first. */
export async function returnsUnderReview(db: Queryable): Promise<ReturnView[]> {
  return (await latestReturns(db, '', [])).filter((r) => r.status === 'pending');
}

/** The lead's return as it stands, or null when none was asked for (or the read model has not caught up). */
export async function returnOf(db: Queryable, leadId: string): Promise<ReturnView | null> {
  return (await latestReturns(db, 'AND lead_id = $2', [leadId]))[0] ?? null;
}

export type ReviewDecision =
  | { ok: true; response: Omit<AgentResponse, 'responseId' | 'respondedAt' | 'channel'> }
  | { ok: false; problem: 'no_return' | 'already_decided'; message: string };

/**
 * A reviewer's decision on the lead's return as the record assign applies, addressed to the task
 * that holds the lead (its routing group, from the return event); or why there is nothing to decide.
 */
export async function reviewDecision(
  db: Queryable,
  leadId: string,
  decision: 'approve' | 'deny',
  decidedBy: string,
): Promise<ReviewDecision> {
  const current = await returnOf(db, leadId);
  if (!current) return { ok: false, problem: 'no_return', message: `lead ${leadId} has no return` };
  if (current.status !== 'pending' || current.routingGroup === null) {
    return {
      ok: false,
      problem: 'already_decided',
      message: `the return of lead ${leadId} is already ${current.status}`,
    };
  }
  return {
    ok: true,
    response: {
      routingGroup: current.routingGroup,
      leadId,
      offerId: '',
      agentId: current.agentId,
      response: decision === 'approve' ? 'approve_return' : 'deny_return',
      outcome: null,
      reason: null,
      premiumUsd: null,
      decidedBy,
    },
  };
}
