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
