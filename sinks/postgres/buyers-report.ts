/**
 * The ping-post buyers report: per buyer, the leads it bought in a range of UTC days, exclusive
 * and shared, what it paid and what was credited back to it. A purchase is a buyer's revenue
 * entry in the lead ledger (`saleEntriesOf`: party `buyer`, rule `bid:exclusive` or
 * `bid:shared`) and counts on the day it was made; a credit to the buyer for a lead counts with
 * that purchase, whenever it came, so net revenue is what the leads bought in the range earned.
 */
import { checkRange, type DayRange, rangeBounds } from './analytics';
import type { Queryable } from './database';

/** The range the report covers when none is given: the last 30 UTC days, today included. */
export const BUYERS_DEFAULT_DAYS = 30;
const DAY_MS = 86_400_000;

/** What the database counts per buyer; times in epoch ms. */
export interface BuyerCounts {
  buyer_id: string;
  /** Leads bought (one revenue entry per lead and buyer). */
  leads: number;
  exclusive: number;
  shared: number;
  revenue_cents: number;
  /** Leads bought in the range that were credited back to the buyer, and the cents credited. */
  credits: number;
  credit_cents: number;
  first_purchase_ms: number;
  last_purchase_ms: number;
}

/** One row of `leadflow report buyers`. Money in US dollars. */
export interface BuyerRow {
  buyer_id: string;
  leads: number;
  exclusive: number;
  shared: number;
  revenue_usd: number;
  /** revenue / leads, before credits. */
  avg_price_usd: number;
  credits: number;
  credits_usd: number;
  /** revenue less credits. */
  net_revenue_usd: number;
  /** ISO 8601, UTC. */
  first_purchase_at: string;
  last_purchase_at: string;
}

/** The range asked for, or the last BUYERS_DEFAULT_DAYS days (to today, UTC) when neither end is given. */
export function buyersRange(range: DayRange, now = Date.now()): DayRange {
  if (range.from || range.to) return checkRange(range);
  return { from: new Date(now - (BUYERS_DEFAULT_DAYS - 1) * DAY_MS).toISOString().slice(0, 10) };
}

/**
 * $1, $2: [start, end) of the purchases, null where open. The range reads every buyer entry
 * (ledger_entries is indexed by lead only); credits are looked up by the leads bought.
 */
const BUYERS_SQL = `
  WITH bought AS (
    SELECT party_id AS buyer_id, lead_id, rule, amount_cents, at FROM ledger_entries
    WHERE kind = 'revenue' AND party = 'buyer'
      AND ($1::timestamptz IS NULL OR at >= $1::timestamptz)
      AND ($2::timestamptz IS NULL OR at < $2::timestamptz)),
  purchases AS (
    SELECT buyer_id, count(DISTINCT lead_id)::int AS leads,
      count(DISTINCT lead_id) FILTER (WHERE rule = 'bid:exclusive')::int AS exclusive,
      count(DISTINCT lead_id) FILTER (WHERE rule = 'bid:shared')::int AS shared,
      sum(amount_cents)::float8 AS revenue_cents,
      round(extract(epoch FROM min(at)) * 1000)::float8 AS first_purchase_ms,
      round(extract(epoch FROM max(at)) * 1000)::float8 AS last_purchase_ms
    FROM bought GROUP BY buyer_id),
  credited AS (
    SELECT c.party_id AS buyer_id, count(DISTINCT c.lead_id)::int AS credits,
      sum(c.amount_cents)::float8 AS credit_cents
    FROM ledger_entries c
    WHERE c.kind = 'credit' AND c.party = 'buyer'
      AND (c.lead_id, c.party_id) IN (SELECT lead_id, buyer_id FROM bought)
    GROUP BY c.party_id)
  SELECT p.buyer_id, p.leads, p.exclusive, p.shared, p.revenue_cents,
    coalesce(c.credits, 0)::int AS credits, coalesce(c.credit_cents, 0)::float8 AS credit_cents,
    p.first_purchase_ms, p.last_purchase_ms
  FROM purchases p LEFT JOIN credited c USING (buyer_id)`;

/** The counts per buyer of the purchases made in the range (all days when both ends are open). */
export async function buyerFigures(db: Queryable, range: DayRange = {}): Promise<BuyerCounts[]> {
  const { start, end } = rangeBounds(checkRange(range));
  return (await db.query<BuyerCounts>(BUYERS_SQL, [start, end])).rows;
}

/** Cents to dollars, rounded to the cent. */
const usd = (cents: number) => Math.round(cents) / 100;

/** The report's rows: money in dollars, most revenue first (then by buyer id). */
export function buyerRows(counts: readonly BuyerCounts[]): BuyerRow[] {
  return [...counts]
    .sort((a, b) => b.revenue_cents - a.revenue_cents || a.buyer_id.localeCompare(b.buyer_id))
    .map((c) => ({
      buyer_id: c.buyer_id,
      leads: c.leads,
      exclusive: c.exclusive,
      shared: c.shared,
      revenue_usd: usd(c.revenue_cents),
      avg_price_usd: usd(c.leads === 0 ? 0 : c.revenue_cents / c.leads),
      credits: c.credits,
      credits_usd: usd(c.credit_cents),
      net_revenue_usd: usd(c.revenue_cents - c.credit_cents),
      first_purchase_at: new Date(c.first_purchase_ms).toISOString(),
      last_purchase_at: new Date(c.last_purchase_ms).toISOString(),
    }));
}

/** The buyers report over the range, by default the last BUYERS_DEFAULT_DAYS days. */
export async function buyersReport(
  db: Queryable,
  range: DayRange = {},
  now = Date.now(),
): Promise<BuyerRow[]> {
  return buyerRows(await buyerFigures(db, buyersRange(range, now)));
}
