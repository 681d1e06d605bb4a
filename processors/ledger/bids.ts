/**
 * Ping-post bidding, as plain functions over the economics file's buyers: which buyers take a
 * ping (a lead without contact details), and the best bid their prices make: the lead sold to
 * one buyer alone (exclusive) or to a few at once (shared), whichever pays more. The vendor is
 * offered its share of that; the rest is the platform's margin.
 */
import type { LeadInput } from '../../schemas/lead-records';
import type { SoldLead } from '../../schemas/routing-records';
import type { BuyerPurchase, Sale, SaleBuyer, SaleKind } from '../../schemas/sale-records';
import { availability } from '../match/hours';
import type { Buyer, EconomicsConfig } from './economics';

/** What a ping says of its lead: enough to price it, nothing to contact anyone by. */
export interface Ping {
  line: string;
  /** USPS code. */
  state: string;
  /** Five digits. */
  zip: string;
  campaign: string | null;
}

/** What a full lead says of the fields its ping fixed (the ZIP without its +4). */
export function pingOfLead(lead: LeadInput): Ping {
  return {
    line: lead.line,
    state: lead.contact.state,
    zip: lead.contact.zip.slice(0, 5),
    campaign: lead.source.campaign,
  };
}

/** A bid's terms, before it is signed and handed to the vendor. */
export type Bid = Pick<Sale, 'kind' | 'buyers' | 'vendorPriceCents'>;

const takes = (allowed: string[] | null, value: string) => allowed === null || allowed.includes(value);

/** Buyers whose filters take the ping and who buy at this hour, in file order. */
export function interestedBuyers(config: EconomicsConfig, ping: Ping, now: number): Buyer[] {
  return config.buyers.filter(
    (buyer) =>
      takes(buyer.lines, ping.line) &&
      takes(buyer.states, ping.state) &&
      (buyer.zipPrefixes === null || buyer.zipPrefixes.some((prefix) => ping.zip.startsWith(prefix))) &&
      (buyer.hours === null || availability(buyer.hours, now).inHours),
  );
}

const total = (buyers: readonly SaleBuyer[]) => buyers.reduce((sum, b) => sum + b.priceCents, 0);

/**
 * The best bid `buyers` make (those with room in their caps): the highest exclusive price, or the
 * highest shared prices of up to `maxSharedBuyers` buyers summed, whichever is more (a tie goes
 * to exclusive: one buyer calls the consumer, not several). Among equal prices the buyer first in
 * the file wins. Null when nobody bids.
 */
export function bestBid(config: EconomicsConfig, buyers: readonly Buyer[]): Bid | null {
  const offers = (kind: SaleKind): SaleBuyer[] =>
    buyers
      .flatMap((buyer) => {
        const cents = kind === 'exclusive' ? buyer.exclusiveCents : buyer.sharedCents;
        return cents === null ? [] : [{ buyerId: buyer.buyerId, priceCents: cents }];
      })
      // A stable sort: equal prices keep file order.
      .sort((a, b) => b.priceCents - a.priceCents);
  const exclusive = offers('exclusive').slice(0, 1);
  const shared = offers('shared').slice(0, config.pingPost.maxSharedBuyers);
  if (exclusive.length === 0 && shared.length === 0) return null;
  const sharedPaysMore = exclusive.length === 0 || total(shared) > total(exclusive);
  const [kind, winners]: [SaleKind, SaleBuyer[]] = sharedPaysMore
    ? ['shared', shared]
    : ['exclusive', exclusive];
  return {
    kind,
    buyers: winners,
    vendorPriceCents: Math.floor(total(winners) * config.pingPost.vendorShare),
  };
}

/**
 * Each buyer's share of a sold lead, for its returns: what it paid, and the part of the vendor's
 * price it stands for (split by what each buyer paid; the first buyers take the odd cents, so the
 * parts add up to the vendor's price).
 */
export function purchasesOf(sold: SoldLead): BuyerPurchase[] {
  const { sale, lead } = sold;
  const paid = total(sale.buyers);
  const shares = sale.buyers.map((b) =>
    paid === 0 ? 0 : Math.floor((sale.vendorPriceCents * b.priceCents) / paid),
  );
  let odd = sale.vendorPriceCents - shares.reduce((sum, n) => sum + n, 0);
  for (let i = 0; odd > 0; i = (i + 1) % shares.length, odd--) shares[i]! += 1;
  return sale.buyers.map((buyer, i) => ({
    buyerId: buyer.buyerId,
    leadId: sold.leadId,
    kind: sale.kind,
    priceCents: buyer.priceCents,
    vendorShareCents: shares[i]!,
    vendorId: lead.vendorId,
    campaign: lead.campaign ?? null,
    line: lead.line,
    state: lead.state,
    soldAt: sold.soldAt,
  }));
}
