/**
 * The money an assignment transition moves, as ledger entries: a lead costs its price paid once,
 * with its first routing (it passed intake and was priced by match, routed or not), and earns its
 * price charged when an agent accepts it; an approved return credits the agent that price and
 * charges the vendor's price back. Entry ids derive from the lead and the transition, so a
 * redelivered event yields entries with the same ids.
 */
import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { LedgerEntry, LedgerKind, LedgerParty } from '../../schemas/ledger-records';
import type { SoldLead } from '../../schemas/routing-records';
import type { BuyerPurchase, BuyerReturnDecision } from '../../schemas/sale-records';

/** assign numbers a lead's events from 1 (`leadId:1`); a later routing's are `leadId:gG:n`. */
const isFirstRouting = (event: AssignmentEvent) => event.eventId === `${event.leadId}:1`;

type Party = [party: LedgerParty, partyId: string | null];
/** A price on the event, if it has one, and the rule that set it. */
type Amount = [cents: number | null | undefined, rule: string | null | undefined];

export function ledgerEntriesOf(event: AssignmentEvent): LedgerEntry[] {
  const { lead } = event;
  const entries: LedgerEntry[] = [];
  /** An entry of `cents` set by `rule`, if there is a price and someone to owe it. */
  const add = (
    entryId: string,
    kind: LedgerKind,
    [party, partyId]: Party,
    [cents, rule]: Amount,
    reason: string | null = null,
  ) => {
    if (partyId === null || cents == null) return;
    entries.push({
      entryId,
      leadId: event.leadId,
      kind,
      party,
      partyId,
      amountCents: cents,
      rule: rule ?? 'unknown',
      vendorId: lead.vendorId,
      campaign: lead.campaign ?? null,
      line: lead.line,
      state: lead.state,
      reason,
      sourceEventId: event.eventId,
      at: event.at,
    });
  };
  const vendor: Party = ['vendor', lead.vendorId];
  const agent: Party = ['agent', event.agentId];
  const paid: Amount = [lead.pricePaidCents, lead.pricePaidRule];
  const charged: Amount = [event.priceChargedCents, event.priceChargedRule];
  if (isFirstRouting(event)) add(`${event.leadId}:cost`, 'cost', vendor, paid);
  if (event.type === 'accepted') add(`${event.eventId}:revenue`, 'revenue', agent, charged);
  if (event.type === 'return_approved') {
    const why = `returned:${event.returnReason ?? 'unknown'}`;
    add(`${event.eventId}:credit`, 'credit', agent, charged, why);
    add(`${event.eventId}:chargeback`, 'chargeback', vendor, paid, why);
  }
  return entries;
}

/**
 * The money of a ping-post sale: the lead costs the vendor's share of the bid, and earns each
 * buyer's price. Ids derive from the lead (sold once) and the buyer.
 */
export function saleEntriesOf(sold: SoldLead): LedgerEntry[] {
  const { lead, sale } = sold;
  const entry = (entryId: string, kind: LedgerKind, party: LedgerParty, partyId: string, cents: number) => ({
    entryId,
    leadId: sold.leadId,
    kind,
    party,
    partyId,
    amountCents: cents,
    rule: `bid:${sale.kind}`,
    vendorId: lead.vendorId,
    campaign: lead.campaign ?? null,
    line: lead.line,
    state: lead.state,
    reason: null,
    sourceEventId: `${sold.leadId}:sold`,
    at: sold.soldAt,
  });
  return [
    entry(`${sold.leadId}:cost`, 'cost', 'vendor', lead.vendorId, sale.vendorPriceCents),
    ...sale.buyers.map((buyer) =>
      entry(
        `${sold.leadId}:sold:${buyer.buyerId}:revenue`,
        'revenue',
        'buyer',
        buyer.buyerId,
        buyer.priceCents,
      ),
    ),
  ];
}

/**
 * An approved buyer return: the buyer is credited what it paid and the vendor charged back the
 * part of its price that purchase stood for. A purchase is returned at most once, so the ids
 * derive from the lead and the buyer.
 */
export function buyerReturnEntries(purchase: BuyerPurchase, decision: BuyerReturnDecision): LedgerEntry[] {
  const entry = (kind: LedgerKind, party: LedgerParty, partyId: string, cents: number): LedgerEntry => ({
    entryId: `${purchase.leadId}:sold:${purchase.buyerId}:${kind}`,
    leadId: purchase.leadId,
    kind,
    party,
    partyId,
    amountCents: cents,
    rule: `bid:${purchase.kind}`,
    vendorId: purchase.vendorId,
    campaign: purchase.campaign,
    line: purchase.line,
    state: purchase.state,
    reason: `returned:${decision.returnReason ?? 'unknown'}`,
    sourceEventId: decision.eventId,
    at: decision.at,
  });
  return [
    entry('credit', 'buyer', purchase.buyerId, purchase.priceCents),
    entry('chargeback', 'vendor', purchase.vendorId, purchase.vendorShareCents),
  ];
}
