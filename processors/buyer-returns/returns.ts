/**
 * A buyer's returns of leads it bought by ping-post, as plain functions: the same policy as
 * agents' returns (a reason that says the lead was bad, within the window after the purchase,
 * approved at once for the trusted reasons while the buyer's return rate stays within the
 * maximum, otherwise reviewed by a person), judged over all of the buyer's purchases.
 */
import type { BuyerPurchase, BuyerReturnDecision, BuyerReturnRequest } from '../../schemas/sale-records';
import { decideReturn } from '../assign/returns';
import type { ReturnPolicy } from '../ledger/economics';

/** What the buyer-returns stage keeps of one purchase (store `purchases`, key `<buyer>/<lead>`). */
export interface PurchaseState {
  purchase: BuyerPurchase;
  status: 'bought' | 'pending' | 'approved' | 'denied';
  returnReason: string | null;
  /** Decisions made on its return so far: numbers the next one's event id. */
  decisions: number;
}

/** A buyer's purchases and approved returns, all time (store `buyer-counts`, key buyer id). */
export interface BuyerCounts {
  bought: number;
  returned: number;
}

export interface ReturnStep {
  state: PurchaseState | undefined;
  counts: BuyerCounts;
  /** The decision this request led to; null when it changes nothing (a repeat, a stale review). */
  decision: BuyerReturnDecision | null;
}

export const purchaseKey = (buyerId: string, leadId: string) => `${buyerId}/${leadId}`;

/** A new purchase: bought, and counted in the buyer's purchases. */
export function recordPurchase(
  counts: BuyerCounts,
  purchase: BuyerPurchase,
): { state: PurchaseState; counts: BuyerCounts } {
  return {
    state: { purchase, status: 'bought', returnReason: null, decisions: 0 },
    counts: { ...counts, bought: counts.bought + 1 },
  };
}

/** What a return, or a review of one, does to a purchase and the buyer's counts. */
export function applyReturnRequest(
  policy: ReturnPolicy,
  state: PurchaseState | undefined,
  counts: BuyerCounts,
  request: BuyerReturnRequest,
  now: number,
): ReturnStep {
  const unchanged: ReturnStep = { state, counts, decision: null };
  if (!state) {
    if (request.action !== 'return') return unchanged;
    // Never bought, or bought so long ago that its purchase was forgotten: past any window.
    return { ...unchanged, decision: decision(request, null, 'denied', 'not_bought', 1, now) };
  }
  const decide = (status: BuyerReturnDecision['status'], why: string, reason: string | null) => {
    const next: PurchaseState = { ...state, status, returnReason: reason, decisions: state.decisions + 1 };
    return {
      state: next,
      counts: status === 'approved' ? { ...counts, returned: counts.returned + 1 } : counts,
      decision: decision(request, state.purchase, status, why, next.decisions, now, reason),
    };
  };
  if (request.action === 'return') {
    // One return per purchase: asking again changes nothing.
    if (state.status !== 'bought' || request.reason === null) return unchanged;
    const verdict = decideReturn(policy, {
      reason: request.reason,
      acceptedAt: state.purchase.soldAt,
      now,
      outcomes: [],
      agentAccepted: counts.bought,
      agentReturned: counts.returned,
    });
    return decide(verdict.status, verdict.why, request.reason);
  }
  // A review decides a return that waits for one, once.
  if (state.status !== 'pending') return unchanged;
  const why = `reviewed_by:${request.by ?? 'unknown'}`;
  return decide(request.action === 'approve' ? 'approved' : 'denied', why, state.returnReason);
}

function decision(
  request: BuyerReturnRequest,
  purchase: BuyerPurchase | null,
  status: BuyerReturnDecision['status'],
  why: string,
  n: number,
  now: number,
  reason: string | null = request.reason,
): BuyerReturnDecision {
  return {
    eventId: `${request.leadId}:${request.buyerId}:return:${n}`,
    buyerId: request.buyerId,
    leadId: request.leadId,
    status,
    returnReason: reason,
    why,
    priceCents: purchase?.priceCents ?? null,
    vendorId: purchase?.vendorId ?? null,
    at: now,
  };
}
