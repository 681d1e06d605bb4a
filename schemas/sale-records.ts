/** The ping-post sale a posted lead carries (leads.raw to leads.scored; leads.sold in routing-records.ts). */

export const SALE_KINDS = ['exclusive', 'shared'] as const;
/** exclusive: one buyer has the lead alone; shared: several buyers each pay less for it. */
export type SaleKind = (typeof SALE_KINDS)[number];

export interface SaleBuyer {
  buyerId: string;
  /** What the buyer pays, US cents. */
  priceCents: number;
}

/** The bid a posted lead was won with, as ingress checked it: who buys the lead and at what price. */
export interface Sale {
  bidId: string;
  kind: SaleKind;
  buyers: SaleBuyer[];
  /** What the vendor is paid, US cents. */
  vendorPriceCents: number;
  /** Epoch ms of the ping the bid answered. */
  pingedAt: number;
}

/**
 * Topic `buyer.purchases`, keyed by buyer id: one buyer's share of a sold lead, for the stage that
 * decides the buyer's returns (processors/buyer-returns), which needs all of a buyer's purchases
 * in one task to judge its return rate.
 */
export interface BuyerPurchase {
  buyerId: string;
  leadId: string;
  kind: SaleKind;
  /** What the buyer paid, US cents: credited back if its return is approved. */
  priceCents: number;
  /** The part of the vendor's price this buyer's purchase stands for, charged back on a return. */
  vendorShareCents: number;
  vendorId: string;
  campaign: string | null;
  line: string;
  state: string;
  soldAt: number;
}

export const BUYER_RETURN_ACTIONS = ['return', 'approve', 'deny'] as const;

/**
 * Topic `buyer.returns`, keyed by buyer id: a buyer giving back a lead it bought, with the reason,
 * or a reviewer's decision on a return waiting for review.
 */
export interface BuyerReturnRequest {
  requestId: string;
  buyerId: string;
  leadId: string;
  action: (typeof BUYER_RETURN_ACTIONS)[number];
  /** return: why (schemas/assignment-records.ts RETURN_REASONS). */
  reason: string | null;
  /** approve, deny: who reviewed. */
  by: string | null;
  at: number;
}

/** Topic `buyer.return-decisions`, keyed by buyer id: what became of a buyer's return, with why. */
export interface BuyerReturnDecision {
  /** `<lead>:<buyer>:return:<n>`: the n-th decision on this purchase's return. */
  eventId: string;
  buyerId: string;
  leadId: string;
  status: 'approved' | 'pending' | 'denied';
  returnReason: string | null;
  /** auto_approved, needs_review, return_rate_over_max, return_window_closed, not_bought, reviewed_by:<who>, ... */
  why: string;
  priceCents: number | null;
  vendorId: string | null;
  at: number;
}
