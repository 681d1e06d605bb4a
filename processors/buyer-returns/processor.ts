import { defineProcessor } from '../../runtime/processor';
import type { BuyerPurchase, BuyerReturnRequest } from '../../schemas/sale-records';
import { TOPIC } from '../../topics/platform';
import { DEFAULT_ECONOMICS_CONFIG, type EconomicsConfig } from '../ledger/economics';
import { buyerReturnEntries } from '../ledger/entries';
import {
  applyReturnRequest,
  type BuyerCounts,
  purchaseKey,
  type PurchaseState,
  recordPurchase,
} from './returns';

const DAY_MS = 86_400_000;
/** A purchase is remembered this long past its return window, for reviews that come late. */
const REVIEW_DAYS = 30;
const NO_COUNTS: BuyerCounts = { bought: 0, returned: 0 };

/**
 * buyer-returns: buyer.purchases + buyer.returns -> buyer.return-decisions, and the credit and
 * chargeback of each approved return on the ledger. Keyed by buyer, so one task holds all of a
 * buyer's purchases and its return rate; each decision and its entries commit with the request.
 */
export const buyerReturnsProcessor = (economics: EconomicsConfig = DEFAULT_ECONOMICS_CONFIG) =>
  defineProcessor<BuyerPurchase | BuyerReturnRequest>({
    name: 'buyer-returns',
    inputs: [TOPIC.buyerPurchases, TOPIC.buyerReturns],
    outputs: [TOPIC.buyerReturnDecisions, TOPIC.ledger],
    stores: ['purchases', 'buyer-counts'],
    process(record, ctx) {
      const purchases = ctx.store<PurchaseState>('purchases');
      const countsStore = ctx.store<BuyerCounts>('buyer-counts');
      const { buyerId, leadId } = record.value;
      const key = purchaseKey(buyerId, leadId);
      const counts = countsStore.get(buyerId) ?? NO_COUNTS;
      if (record.topic === TOPIC.buyerPurchases) {
        // A redelivered purchase is known already and counts once.
        if (purchases.get(key)) return;
        const purchase = record.value as BuyerPurchase;
        const next = recordPurchase(counts, purchase);
        purchases.put(key, next.state);
        countsStore.put(buyerId, next.counts);
        const keepUntil = purchase.soldAt + economics.returns.windowHours * 3_600_000 + REVIEW_DAYS * DAY_MS;
        ctx.schedule(keepUntil, key);
        return;
      }
      const step = applyReturnRequest(
        economics.returns,
        purchases.get(key),
        counts,
        record.value as BuyerReturnRequest,
        ctx.now(),
      );
      if (!step.decision) return;
      if (step.state) purchases.put(key, step.state);
      countsStore.put(buyerId, step.counts);
      ctx.emit(TOPIC.buyerReturnDecisions, buyerId, step.decision);
      if (step.decision.status === 'approved' && step.state) {
        for (const entry of buyerReturnEntries(step.state.purchase, step.decision)) {
          ctx.emit(TOPIC.ledger, entry.leadId, entry);
        }
      }
    },
    onTimer(timer, ctx) {
      ctx.store('purchases').delete(timer.key);
    },
  });
