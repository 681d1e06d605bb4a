/** Records of the lead ledger (topic `ledger`, schemas/ledger-entry.avsc) and the prices they come from. */

/** A price and the rule or plan that set it (`rule:<name>`, `vendor-reported`, `plan:<name>...`). */
export interface Price {
  cents: number;
  rule: string;
}

/**
 * What an entry records, seen from the platform: `cost` (owed to the vendor for a lead),
 * `revenue` (owed by the agent or buyer the lead went to), and their reversals when a lead is
 * returned: `credit` (back to the agent or buyer) and `chargeback` (back from the vendor).
 */
export const LEDGER_KINDS = ['cost', 'revenue', 'credit', 'chargeback'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

export const LEDGER_PARTIES = ['vendor', 'agent', 'buyer'] as const;
export type LedgerParty = (typeof LEDGER_PARTIES)[number];

/** Topic `ledger`, keyed by lead id: one movement of money for one lead. Amounts are never negative. */
export interface LedgerEntry {
  /** Derived from the event that caused it, so a redelivered event yields the same id. */
  entryId: string;
  leadId: string;
  kind: LedgerKind;
  party: LedgerParty;
  partyId: string;
  /** US cents, >= 0; the kind says which way the money goes. */
  amountCents: number;
  /** The pricing rule or plan that set the amount. */
  rule: string;
  vendorId: string;
  campaign: string | null;
  line: string;
  state: string;
  reason: string | null;
  sourceEventId: string;
  /** Epoch ms of the event that caused it. */
  at: number;
}

/** Signed effect of an entry on the platform's margin: revenue and chargebacks add, costs and credits take away. */
export function marginEffectCents(entry: Pick<LedgerEntry, 'kind' | 'amountCents'>): number {
  return entry.kind === 'revenue' || entry.kind === 'chargeback' ? entry.amountCents : -entry.amountCents;
}
