/**
 * The money an assignment transition moves, as ledger entries: a lead costs its price paid once,
 * with its first routing (it passed intake and was priced by match, routed or not), and earns its
 * price charged when an agent accepts it; an approved return credits the agent that price and
 * charges the vendor's price back. Entry ids derive from the lead and the transition, so a
 * redelivered event yields entries with the same ids.
 */
import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { LedgerEntry } from '../../schemas/ledger-records';

/** assign numbers a lead's events from 1 (`leadId:1`); a later routing's are `leadId:gG:n`. */
const isFirstRouting = (event: AssignmentEvent) => event.eventId === `${event.leadId}:1`;

export function ledgerEntriesOf(event: AssignmentEvent): LedgerEntry[] {
  const { lead } = event;
  const entry = (
    fields: Pick<LedgerEntry, 'entryId' | 'kind' | 'party' | 'partyId' | 'amountCents' | 'rule'>,
    reason: string | null = null,
  ) => ({
    ...fields,
    leadId: event.leadId,
    vendorId: lead.vendorId,
    campaign: lead.campaign ?? null,
    line: lead.line,
    state: lead.state,
    reason,
    sourceEventId: event.eventId,
    at: event.at,
  });
  const entries: LedgerEntry[] = [];
  if (isFirstRouting(event) && lead.pricePaidCents != null) {
    entries.push(
      entry({
        entryId: `${event.leadId}:cost`,
        kind: 'cost',
        party: 'vendor',
        partyId: lead.vendorId,
        amountCents: lead.pricePaidCents,
        rule: lead.pricePaidRule ?? 'unknown',
      }),
    );
  }
  if (event.type === 'accepted' && event.agentId !== null && event.priceChargedCents != null) {
    entries.push(
      entry({
        entryId: `${event.eventId}:revenue`,
        kind: 'revenue',
        party: 'agent',
        partyId: event.agentId,
        amountCents: event.priceChargedCents,
        rule: event.priceChargedRule ?? 'unknown',
      }),
    );
  }
  if (event.type === 'return_approved') {
    const why = `returned:${event.returnReason ?? 'unknown'}`;
    if (event.agentId !== null && event.priceChargedCents != null) {
      entries.push(
        entry(
          {
            entryId: `${event.eventId}:credit`,
            kind: 'credit',
            party: 'agent',
            partyId: event.agentId,
            amountCents: event.priceChargedCents,
            rule: event.priceChargedRule ?? 'unknown',
          },
          why,
        ),
      );
    }
    if (lead.pricePaidCents != null) {
      entries.push(
        entry(
          {
            entryId: `${event.eventId}:chargeback`,
            kind: 'chargeback',
            party: 'vendor',
            partyId: lead.vendorId,
            amountCents: lead.pricePaidCents,
            rule: lead.pricePaidRule ?? 'unknown',
          },
          why,
        ),
      );
    }
  }
  return entries;
}
