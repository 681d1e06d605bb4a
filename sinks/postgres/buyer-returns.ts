/**
 * Buyers' returns as the read models hold them: one row per purchase (lead and buyer) in
 * `buyer_returns`, the latest decision on its return from topic `buyer.return-decisions`.
 * Reviewers list the returns waiting for them and check one before deciding it. The rows hold
 * ids, vendor, reasons and money, nothing about the person, so erasure leaves them alone (as it
 * does the lead ledger).
 */
import type { ConsumedRecord } from '../../runtime/records';
import type { BuyerReturnDecision, BuyerReturnRequest } from '../../schemas/sale-records';
import type { Queryable } from './database';
import { eventId, storableTime, withoutNul } from './lead-events';
import { iso } from './writer';

/** The sink of topic `buyer.return-decisions`. */
export const BUYER_RETURNS_SINK = 'postgres-buyer-returns';

const STATUSES = ['approved', 'pending', 'denied'] as const;
/** The largest n an `integer` column holds. */
const MAX_DECISIONS = 2 ** 31 - 1;

/** A purchase's return as its latest decision leaves it. */
export interface BuyerReturnRow {
  leadId: string;
  buyerId: string;
  status: BuyerReturnDecision['status'];
  returnReason: string | null;
  why: string;
  priceCents: number | null;
  /** Null, with the price, when the buyer did not buy the lead (why `not_bought`). */
  vendorId: string | null;
  /** The n of the decision: `<lead>:<buyer>:return:<n>`. */
  decisions: number;
  /** Epoch ms. */
  decidedAt: number;
}

/**
 * The row a decision makes; throws (the record is dead-lettered) when it could never be stored or
 * would put the row in the wrong place: an event id that is not `<lead>:<buyer>:return:<n>` of its
 * own lead and buyer, an unknown status, a price that is not whole cents, a time out of range.
 */
export function toBuyerReturnRow(record: ConsumedRecord<unknown>): BuyerReturnRow {
  const where = eventId(record);
  const decision = record.value as BuyerReturnDecision | null;
  if (decision === null) throw new Error(`${where} has no value (a tombstone on ${record.topic})`);
  const { leadId, buyerId, status, priceCents, at } = decision;
  if (typeof leadId !== 'string' || leadId === '' || typeof buyerId !== 'string' || buyerId === '')
    throw new Error(`${where}: a decision needs a lead id and a buyer id`);
  const prefix = `${leadId}:${buyerId}:return:`;
  const n = decision.eventId.startsWith(prefix) ? decision.eventId.slice(prefix.length) : '';
  if (!/^[1-9][0-9]{0,9}$/.test(n) || Number(n) > MAX_DECISIONS)
    throw new Error(`${where}: event id ${decision.eventId} is not ${prefix}<n>`);
  if (!(STATUSES as readonly string[]).includes(status))
    throw new Error(`${where}: status ${status} is not one of ${STATUSES.join(', ')}`);
  if (priceCents !== null && (!Number.isSafeInteger(priceCents) || priceCents < 0))
    throw new Error(`${where}: priceCents ${priceCents} is not a whole number of cents >= 0`);
  if (!storableTime(at)) throw new Error(`${where}: at ${at} is not a storable time`);
  return withoutNul({
    leadId,
    buyerId,
    status,
    returnReason: decision.returnReason,
    why: decision.why,
    priceCents,
    vendorId: decision.vendorId,
    decisions: Number(n),
    decidedAt: at,
  });
}

/**
 * Whether `next` replaces `current` as the purchase's row: a later decision (higher n) does; an
 * earlier one, or the same delivered again, does not. One exception at the same n: a denial of a
 * lead the buyer had not bought (no vendor: buyer-returns read the return before the purchase)
 * gives way to a decision on the purchase, which buyer-returns numbers from 1 again.
 */
const replaces = (
  next: Pick<BuyerReturnRow, 'decisions' | 'vendorId'>,
  current: Pick<BuyerReturnRow, 'decisions' | 'vendorId'>,
) =>
  next.decisions > current.decisions ||
  (next.decisions === current.decisions && current.vendorId === null && next.vendorId !== null);

/**
 * Writes each purchase's latest decision, inside the caller's transaction. A row moves only to a
 * decision that replaces it (see `replaces`, the same rule in SQL), so a batch written twice, or
 * decisions read out of order, leave the table as the latest decisions alone would.
 */
export async function writeBuyerReturns(tx: Queryable, rows: readonly BuyerReturnRow[]): Promise<void> {
  // One row per key per statement (ON CONFLICT DO UPDATE cannot touch a row twice), in key order.
  const latest = new Map<string, BuyerReturnRow>();
  for (const row of rows) {
    const key = JSON.stringify([row.leadId, row.buyerId]);
    const current = latest.get(key);
    if (!current || replaces(row, current)) latest.set(key, row);
  }
  if (latest.size === 0) return;
  const ordered = [...latest.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
  await tx.query(
    `INSERT INTO buyer_returns AS cur (lead_id, buyer_id, status, return_reason, why, price_cents,
       vendor_id, decisions, decided_at)
     SELECT lead_id, buyer_id, status, return_reason, why, price_cents, vendor_id, decisions, decided_at
     FROM jsonb_to_recordset($1::jsonb) AS r(lead_id text, buyer_id text, status text, return_reason text,
       why text, price_cents integer, vendor_id text, decisions integer, decided_at timestamptz)
     ON CONFLICT (lead_id, buyer_id) DO UPDATE SET
       status = excluded.status,
       return_reason = excluded.return_reason,
       why = excluded.why,
       price_cents = excluded.price_cents,
       vendor_id = excluded.vendor_id,
       decisions = excluded.decisions,
       decided_at = excluded.decided_at
     WHERE excluded.decisions > cur.decisions
       OR (excluded.decisions = cur.decisions AND cur.vendor_id IS NULL AND excluded.vendor_id IS NOT NULL)`,
    [
      JSON.stringify(
        ordered.map((r) => ({
          lead_id: r.leadId,
          buyer_id: r.buyerId,
          status: r.status,
          return_reason: r.returnReason,
          why: r.why,
          price_cents: r.priceCents,
          vendor_id: r.vendorId,
          decisions: r.decisions,
          decided_at: iso(r.decidedAt),
        })),
      ),
    ],
  );
}

/** A purchase's return as reviewers see it: the row, with the time of its latest decision. */
export type BuyerReturnView = Omit<BuyerReturnRow, 'decisions' | 'decidedAt'> & {
  /** When the latest decision was made, ISO 8601. */
  at: string;
};

async function buyerReturns(db: Queryable, where: string, params: unknown[]): Promise<BuyerReturnView[]> {
  const { rows } = await db.query<{
    lead_id: string;
    buyer_id: string;
    status: BuyerReturnView['status'];
    return_reason: string | null;
    why: string;
    price_cents: number | null;
    vendor_id: string | null;
    decided_at: Date;
  }>(
    `SELECT lead_id, buyer_id, status, return_reason, why, price_cents, vendor_id, decided_at
     FROM buyer_returns WHERE ${where} ORDER BY decided_at, lead_id, buyer_id`,
    params,
  );
  return rows.map((row) => ({
    leadId: row.lead_id,
    buyerId: row.buyer_id,
    status: row.status,
    returnReason: row.return_reason,
    why: row.why,
    priceCents: row.price_cents,
    vendorId: row.vendor_id,
    at: new Date(row.decided_at).toISOString(),
  }));
}

/** Buyers' returns waiting for a person's decision, oldest first. */
export function buyerReturnsUnderReview(db: Queryable): Promise<BuyerReturnView[]> {
  return buyerReturns(db, "status = 'pending'", []);
}

/**
 * The buyer's return of the lead as it stands, or null when none was asked for (or the read model
 * has not caught up).
 */
export async function buyerReturnOf(
  db: Queryable,
  leadId: string,
  buyerId: string,
): Promise<BuyerReturnView | null> {
  return (await buyerReturns(db, 'lead_id = $1 AND buyer_id = $2', [leadId, buyerId]))[0] ?? null;
}

export type BuyerReviewDecision =
  | { ok: true; request: Omit<BuyerReturnRequest, 'requestId' | 'at'> }
  | { ok: false; problem: 'no_return' | 'already_decided'; message: string };

/**
 * A reviewer's decision on a buyer's return as the record buyer-returns applies (topic
 * buyer.returns, keyed by buyer id), or why there is nothing to decide.
 */
export async function buyerReviewDecision(
  db: Queryable,
  leadId: string,
  buyerId: string,
  decision: 'approve' | 'deny',
  decidedBy: string,
): Promise<BuyerReviewDecision> {
  const current = await buyerReturnOf(db, leadId, buyerId);
  if (!current) {
    return { ok: false, problem: 'no_return', message: `lead ${leadId} has no return by buyer ${buyerId}` };
  }
  if (current.status !== 'pending') {
    return {
      ok: false,
      problem: 'already_decided',
      message: `the return of lead ${leadId} by buyer ${buyerId} is already ${current.status}`,
    };
  }
  return { ok: true, request: { buyerId, leadId, action: decision, reason: null, by: decidedBy } };
}
