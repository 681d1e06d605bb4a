/**
 * Payout batches: one per partner and period, paying the partner's ledger balance over every
 * period up to it. The batch id is partner + period, so running a period again finds its batches
 * and pays nothing twice. A batch is a payouts row and a debit on the ledger, written in one
 * transaction; the same debit then goes onto the rewards topic (its id makes the ledger sink's
 * insert a no-op), and the batch is marked published. A run that stopped in between publishes
 * the batches it left unpublished.
 */
import type { RewardEvent } from '../../schemas/reward-records';
import { isPeriod, periodEnd } from '../../processors/reward/periods';
import type { Database } from './database';

export interface PayoutBatch {
  batchId: string;
  partnerId: string;
  period: string;
  amountCents: number;
  /** Created by this run (false: found from an earlier run and only published now). */
  created: boolean;
}

export interface PayoutRun {
  period: string;
  batches: PayoutBatch[];
  totalCents: number;
  /** Partners with a positive balance that are not active: their money waits. */
  held: { partnerId: string; status: string; balanceCents: number }[];
}

export const payoutBatchId = (partnerId: string, period: string) => `payout:${partnerId}:${period}`;

/** The ledger entry a batch writes: a debit of what it pays. */
export function payoutEntry(
  batch: Pick<PayoutBatch, 'batchId' | 'partnerId' | 'period' | 'amountCents'>,
): RewardEvent {
  return {
    eventId: batch.batchId,
    accountKind: 'partner',
    accountId: batch.partnerId,
    points: 0,
    amountCents: -batch.amountCents,
    reason: 'payout',
    sourceEventId: batch.batchId,
    leadId: null,
    period: batch.period,
    at: periodEnd(batch.period) - 1,
    detail: `payout batch for ${batch.period}`,
  };
}

/**
 * Creates the period's batches and hands every unpublished one to `publish` (which puts its
 * debit on the rewards topic); returns what was paid. A period may be paid before it ends: what
 * it earns afterwards is paid by the next period's batch, since a balance spans all periods.
 */
export async function runPayouts(
  db: Database,
  period: string,
  publish: (entries: RewardEvent[]) => Promise<void>,
  now = Date.now(),
): Promise<PayoutRun> {
  if (!isPeriod(period)) throw new Error(`--period must be YYYY-MM, got "${period}"`);
  const balances = await db.query<{ partner_id: string; status: string | null; balance_cents: number }>(
    `SELECT l.account_id AS partner_id, p.status, (sum(l.amount_usd) * 100)::bigint::float8 AS balance_cents
     FROM rewards_ledger l LEFT JOIN partners p ON p.partner_id = l.account_id
     WHERE l.account_kind = 'partner' AND l.period <= $1
       AND NOT EXISTS (SELECT 1 FROM payouts b WHERE b.partner_id = l.account_id AND b.period = $1)
     GROUP BY l.account_id, p.status
     HAVING sum(l.amount_usd) > 0
     ORDER BY l.account_id`,
    [period],
  );
  const payable = balances.rows.filter((b) => b.status === 'active');
  const held = balances.rows
    .filter((b) => b.status !== 'active')
    .map((b) => ({
      partnerId: b.partner_id,
      status: b.status ?? 'unknown',
      balanceCents: Number(b.balance_cents),
    }));
  const created = new Set<string>();
  if (payable.length > 0) {
    const entries = payable.map((b) =>
      payoutEntry({
        batchId: payoutBatchId(b.partner_id, period),
        partnerId: b.partner_id,
        period,
        amountCents: Number(b.balance_cents),
      }),
    );
    // Inserting the batch and its debit together: a concurrent run's insert conflicts and adds nothing.
    const rows = await db.transaction(async (tx) => {
      const inserted = await tx.query<{ batch_id: string }>(
        `WITH created AS (
           INSERT INTO payouts (batch_id, partner_id, period, amount_cents, status, created_at)
           SELECT batch_id, partner_id, period, amount_cents, 'created', $2::timestamptz
           FROM jsonb_to_recordset($1::jsonb) AS b(batch_id text, partner_id text, period text, amount_cents bigint)
           ON CONFLICT DO NOTHING
           RETURNING batch_id, partner_id, period, amount_cents)
         INSERT INTO rewards_ledger (event_id, account_kind, account_id, points, amount_usd, reason,
           occurred_at, period, source_event_id, detail)
         SELECT batch_id, 'partner', partner_id, 0, -amount_cents / 100.0, 'payout', $3::timestamptz, period,
           batch_id, 'payout batch for ' || period
         FROM created
         ON CONFLICT (event_id) DO NOTHING
         RETURNING event_id AS batch_id`,
        [
          JSON.stringify(
            entries.map((e) => ({
              batch_id: e.eventId,
              partner_id: e.accountId,
              period,
              amount_cents: -e.amountCents,
            })),
          ),
          new Date(now).toISOString(),
          new Date(entries[0]!.at).toISOString(),
        ],
      );
      return inserted.rows;
    });
    for (const row of rows) created.add(row.batch_id);
  }
  const unpublished = await db.query<{ batch_id: string; partner_id: string; amount_cents: number }>(
    `SELECT batch_id, partner_id, amount_cents::float8 AS amount_cents FROM payouts
     WHERE period = $1 AND status = 'created' ORDER BY batch_id`,
    [period],
  );
  const batches = unpublished.rows.map((b) => ({
    batchId: b.batch_id,
    partnerId: b.partner_id,
    period,
    amountCents: Number(b.amount_cents),
    created: created.has(b.batch_id),
  }));
  if (batches.length > 0) {
    await publish(batches.map(payoutEntry));
    await db.query(`UPDATE payouts SET status = 'published' WHERE batch_id = ANY($1::text[])`, [
      batches.map((b) => b.batchId),
    ]);
  }
  return { period, batches, totalCents: batches.reduce((sum, b) => sum + b.amountCents, 0), held };
}
