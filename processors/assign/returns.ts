/**
 * Whether an agent may give back a lead it took: a return is for a bad lead (a dead phone, a
 * duplicate, someone who never asked), asked for within the window after the acceptance. Returns
 * for the reasons the policy trusts are approved at once while the agent's return rate stays low;
 * the rest wait for a person (approve_return / deny_return).
 */
import { RETURN_REASONS, type Outcome, type ReturnReason } from '../../schemas/assignment-records';
import type { ReturnPolicy } from '../ledger/economics';

export interface ReturnFacts {
  reason: string;
  acceptedAt: number;
  now: number;
  outcomes: readonly Outcome[];
  /** The agent's accepted leads and approved returns so far, this one not counted. */
  agentAccepted: number;
  agentReturned: number;
}

export type ReturnDecision =
  | { status: 'approved'; why: 'auto_approved' }
  | { status: 'pending'; why: 'needs_review' | 'return_rate_over_max' }
  | { status: 'denied'; why: 'not_a_return_reason' | 'lead_sold' | 'return_window_closed' };

const HOUR_MS = 3_600_000;

export const isReturnReason = (reason: string): reason is ReturnReason =>
  (RETURN_REASONS as readonly string[]).includes(reason);

export function decideReturn(policy: ReturnPolicy, facts: ReturnFacts): ReturnDecision {
  if (!isReturnReason(facts.reason)) return { status: 'denied', why: 'not_a_return_reason' };
  // A sale proves the lead was good.
  if (facts.outcomes.includes('sold')) return { status: 'denied', why: 'lead_sold' };
  if (facts.now > facts.acceptedAt + policy.windowHours * HOUR_MS) {
    return { status: 'denied', why: 'return_window_closed' };
  }
  if (!policy.autoApprove.includes(facts.reason)) return { status: 'pending', why: 'needs_review' };
  const rate = (facts.agentReturned + 1) / Math.max(1, facts.agentAccepted);
  if (facts.agentAccepted >= policy.minAcceptedForRate && rate > policy.maxReturnRate) {
    return { status: 'pending', why: 'return_rate_over_max' };
  }
  return { status: 'approved', why: 'auto_approved' };
}
