import { DEFAULT_RETURN_POLICY } from '../ledger/economics';
import { purchasesOf } from '../ledger/bids';
import { buyerReturnEntries } from '../ledger/entries';
import type { BuyerPurchase, BuyerReturnRequest } from '../../schemas/sale-records';
import { testLead } from '../../tools/routing-fixtures';
import { applyReturnRequest, type BuyerCounts, type PurchaseState, recordPurchase } from './returns';

const SOLD_AT = Date.parse('2026-12-07T15:00:00Z');
const HOUR = 3_600_000;
const policy = { ...DEFAULT_RETURN_POLICY, maxReturnRate: 0.2, minAcceptedForRate: 10 };

const purchase: BuyerPurchase = {
  buyerId: 'west',
  leadId: 'L1',
  kind: 'shared',
  priceCents: 1400,
  vendorShareCents: 800,
  vendorId: 'acme',
  campaign: null,
  line: 'auto',
  state: 'CA',
  soldAt: SOLD_AT,
};

const request = (action: BuyerReturnRequest['action'], fields: Partial<BuyerReturnRequest> = {}) => ({
  requestId: 'r',
  buyerId: 'west',
  leadId: 'L1',
  action,
  reason: action === 'return' ? 'bad_phone' : null,
  by: action === 'return' ? null : 'reviewer-1',
  at: SOLD_AT,
  ...fields,
});

const bought = (counts: BuyerCounts = { bought: 0, returned: 0 }) => recordPurchase(counts, purchase);
const apply = (
  state: PurchaseState | undefined,
  counts: BuyerCounts,
  r: BuyerReturnRequest,
  at = SOLD_AT + HOUR,
) => applyReturnRequest(policy, state, counts, r, at);

describe("a buyer's returns", () => {
  test('a trusted reason within the window is approved at once, and counts as returned', () => {
    const { state, counts } = bought();
    expect(counts).toEqual({ bought: 1, returned: 0 });
    const step = apply(state, counts, request('return'));
    expect(step.decision).toMatchObject({
      eventId: 'L1:west:return:1',
      status: 'approved',
      why: 'auto_approved',
      returnReason: 'bad_phone',
      priceCents: 1400,
      vendorId: 'acme',
    });
    expect(step.counts).toEqual({ bought: 1, returned: 1 });
    // Once: asking again changes nothing.
    expect(apply(step.state, step.counts, request('return')).decision).toBeNull();
  });

  test('other reasons wait for review; a review decides once', () => {
    const { state, counts } = bought();
    const pending = apply(state, counts, request('return', { reason: 'other' }));
    expect(pending.decision).toMatchObject({ status: 'pending', why: 'needs_review' });
    const approved = apply(pending.state, pending.counts, request('approve'));
    expect(approved.decision).toMatchObject({
      eventId: 'L1:west:return:2',
      status: 'approved',
      why: 'reviewed_by:reviewer-1',
      returnReason: 'other',
    });
    expect(approved.counts.returned).toBe(1);
    expect(apply(approved.state, approved.counts, request('deny')).decision).toBeNull();
    const denied = apply(pending.state, pending.counts, request('deny'));
    expect(denied.decision).toMatchObject({ status: 'denied', why: 'reviewed_by:reviewer-1' });
    expect(denied.counts.returned).toBe(0);
  });

  test("over the buyer's maximum return rate, even a trusted reason waits for review", () => {
    const { state } = bought();
    const many = { bought: 10, returned: 2 };
    expect(apply(state, many, request('return')).decision).toMatchObject({
      status: 'pending',
      why: 'return_rate_over_max',
    });
  });

  test('too late, not a reason, or not bought: denied with why', () => {
    const { state, counts } = bought();
    const late = SOLD_AT + (policy.windowHours + 1) * HOUR;
    expect(apply(state, counts, request('return'), late).decision).toMatchObject({
      status: 'denied',
      why: 'return_window_closed',
    });
    expect(apply(state, counts, request('return', { reason: 'not_interested' })).decision).toMatchObject({
      status: 'denied',
      why: 'not_a_return_reason',
    });
    expect(apply(undefined, counts, request('return')).decision).toMatchObject({
      status: 'denied',
      why: 'not_bought',
      priceCents: null,
    });
    expect(apply(undefined, counts, request('approve')).decision).toBeNull();
  });
});

describe('the money of a sale and its returns', () => {
  test("buyers' shares of the vendor's price add up to it, by what each paid", () => {
    const sold = {
      leadId: 'L1',
      lead: testLead({ leadId: 'L1', vendorId: 'acme' }),
      sale: {
        bidId: 'L1',
        kind: 'shared' as const,
        buyers: [
          { buyerId: 'national', priceCents: 1500 },
          { buyerId: 'west', priceCents: 1400 },
          { buyerId: 'budget', priceCents: 900 },
        ],
        vendorPriceCents: 2280,
        pingedAt: SOLD_AT - 1000,
      },
      soldAt: SOLD_AT,
    };
    const purchases = purchasesOf(sold);
    expect(purchases.map((p) => [p.buyerId, p.priceCents, p.vendorShareCents])).toEqual([
      ['national', 1500, 900],
      ['west', 1400, 840],
      ['budget', 900, 540],
    ]);
    expect(purchases.reduce((sum, p) => sum + p.vendorShareCents, 0)).toBe(2280);
  });

  test('an approved return credits the buyer its price and charges the vendor back its share', () => {
    const { state, counts } = bought();
    const { decision } = apply(state, counts, request('return'));
    expect(
      buyerReturnEntries(purchase, decision!).map((e) => [
        e.entryId,
        e.kind,
        e.party,
        e.partyId,
        e.amountCents,
      ]),
    ).toEqual([
      ['L1:sold:west:credit', 'credit', 'buyer', 'west', 1400],
      ['L1:sold:west:chargeback', 'chargeback', 'vendor', 'acme', 800],
    ]);
  });
});
