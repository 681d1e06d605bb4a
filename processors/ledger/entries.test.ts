import type { AssignmentEvent } from '../../schemas/assignment-records';
import { marginEffectCents } from '../../schemas/ledger-records';
import { testMatched } from '../../tools/routing-fixtures';
import { ledgerEntriesOf, saleEntriesOf } from './entries';

const lead = {
  ...testMatched('L1', 'west', ['a'], 0).lead,
  campaign: 'spring',
  pricePaidCents: 2600,
  pricePaidRule: 'rule:acme',
};

function event(
  n: number,
  type: AssignmentEvent['type'],
  fields: Partial<AssignmentEvent> = {},
): AssignmentEvent {
  return {
    eventId: `L1:${n}`,
    leadId: 'L1',
    type,
    routingGroup: 'west',
    agentId: null,
    offerId: null,
    attempt: 1,
    strategy: 'best_match',
    at: 1_000 + n,
    matchedAt: 1_000,
    expiresAt: null,
    escalation: null,
    reason: null,
    outcome: null,
    premiumUsd: null,
    rankScore: null,
    lead,
    priceChargedCents: null,
    priceChargedRule: null,
    ...fields,
  };
}

describe('ledger entries of assignment events', () => {
  it("costs the lead's price paid once, with its first routing event, routed or not", () => {
    const [cost] = ledgerEntriesOf(event(1, 'offered', { agentId: 'a' }));
    expect(cost).toEqual({
      entryId: 'L1:cost',
      leadId: 'L1',
      kind: 'cost',
      party: 'vendor',
      partyId: lead.vendorId,
      amountCents: 2600,
      rule: 'rule:acme',
      vendorId: lead.vendorId,
      campaign: 'spring',
      line: lead.line,
      state: lead.state,
      reason: null,
      sourceEventId: 'L1:1',
      at: 1_001,
    });
    expect(ledgerEntriesOf(event(1, 'unroutable')).map((e) => e.kind)).toEqual(['cost']);
    expect(ledgerEntriesOf(event(2, 'expired', { agentId: 'a' }))).toEqual([]);
    // A later routing of a lead that was unroutable has been costed with its first.
    expect(ledgerEntriesOf({ ...event(1, 'offered'), eventId: 'L1:g2:1' })).toEqual([]);
  });

  it('earns the price charged when an agent accepts, and only then', () => {
    const accepted = event(3, 'accepted', {
      agentId: 'a',
      priceChargedCents: 4500,
      priceChargedRule: 'plan:p',
    });
    expect(ledgerEntriesOf(accepted)).toEqual([
      expect.objectContaining({
        entryId: 'L1:3:revenue',
        kind: 'revenue',
        party: 'agent',
        partyId: 'a',
        amountCents: 4500,
        rule: 'plan:p',
      }),
    ]);
    expect(ledgerEntriesOf({ ...accepted, type: 'completed', eventId: 'L1:4' })).toEqual([]);
  });

  it('writes nothing for an unpriced lead or an uncharged acceptance', () => {
    const unpriced = { ...lead, pricePaidCents: null, pricePaidRule: null };
    expect(ledgerEntriesOf({ ...event(1, 'offered'), lead: unpriced })).toEqual([]);
    expect(ledgerEntriesOf(event(2, 'accepted', { agentId: 'a' }))).toEqual([]);
  });

  it('credits the agent its price and charges the vendor its price back for an approved return', () => {
    const approved = event(5, 'return_approved', {
      agentId: 'a',
      priceChargedCents: 4500,
      priceChargedRule: 'plan:p',
      returnReason: 'bad_phone',
      reason: 'auto_approved',
    });
    expect(
      ledgerEntriesOf(approved).map((e) => [e.entryId, e.kind, e.party, e.partyId, e.amountCents, e.reason]),
    ).toEqual([
      ['L1:5:credit', 'credit', 'agent', 'a', 4500, 'returned:bad_phone'],
      ['L1:5:chargeback', 'chargeback', 'vendor', lead.vendorId, 2600, 'returned:bad_phone'],
    ]);
    expect(ledgerEntriesOf({ ...approved, type: 'return_pending' })).toEqual([]);
    expect(ledgerEntriesOf({ ...approved, type: 'return_denied' })).toEqual([]);
  });

  it('nets revenue and chargebacks against costs and credits', () => {
    expect(
      [
        { kind: 'cost', amountCents: 2600 },
        { kind: 'revenue', amountCents: 4500 },
        { kind: 'credit', amountCents: 4500 },
        { kind: 'chargeback', amountCents: 2600 },
      ].map((e) => marginEffectCents(e as Parameters<typeof marginEffectCents>[0])),
    ).toEqual([-2600, 4500, -4500, 2600]);
  });
});

describe('a ping-post sale', () => {
  it("costs the vendor's share once and earns each buyer's price, with ids from the lead and buyer", () => {
    const sold = {
      leadId: 'L1',
      lead: { ...lead, pricePaidCents: 2280, pricePaidRule: 'bid:shared' },
      sale: {
        bidId: 'b1',
        kind: 'shared' as const,
        buyers: [
          { buyerId: 'national', priceCents: 1500 },
          { buyerId: 'west', priceCents: 1400 },
        ],
        vendorPriceCents: 2280,
        pingedAt: 500,
      },
      soldAt: 2_000,
    };
    const entries = saleEntriesOf(sold);
    expect(entries.map((e) => [e.entryId, e.kind, e.party, e.partyId, e.amountCents, e.rule])).toEqual([
      ['L1:cost', 'cost', 'vendor', lead.vendorId, 2280, 'bid:shared'],
      ['L1:sold:national:revenue', 'revenue', 'buyer', 'national', 1500, 'bid:shared'],
      ['L1:sold:west:revenue', 'revenue', 'buyer', 'west', 1400, 'bid:shared'],
    ]);
    expect(entries.every((e) => e.at === 2_000 && e.campaign === 'spring')).toBe(true);
    expect(saleEntriesOf(sold)).toEqual(entries);
    expect(entries.reduce((sum, e) => sum + marginEffectCents(e), 0)).toBe(620);
  });
});
