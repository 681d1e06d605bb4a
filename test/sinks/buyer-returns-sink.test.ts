/**
 * Buyers' returns in the read models, on PGlite and on real PostgreSQL: the
 * `postgres-buyer-returns` sink keeps one row per purchase holding its latest decision; a batch
 * delivered again changes nothing, a later decision replaces an earlier one and an older one does
 * not, whatever order they come in; reviewers list the returns waiting for them, oldest first, and
 * a decision on one is refused when there is none or it is not waiting.
 */
import pino from 'pino';
import type { ConsumedRecord } from '../../runtime/records';
import type { BuyerReturnDecision } from '../../schemas/sale-records';
import {
  buyerReturnOf,
  buyerReturnsUnderReview,
  buyerReviewDecision,
  toBuyerReturnRow,
} from '../../sinks/postgres/buyer-returns';
import type { Database } from '../../sinks/postgres/database';
import { POSTGRES_SINKS, postgresSinks } from '../../sinks/postgres/processors';
import { TOPIC } from '../../topics/platform';
import { databasesUnderTest, removePgliteTemplate } from './databases';
import { consumed } from './records';

jest.setTimeout(120_000);
afterAll(() => removePgliteTemplate());

const SINK = 'postgres-buyer-returns';
const T0 = Date.parse('2026-11-02T10:00:00Z');
const MINUTE = 60_000;

function decision(
  leadId: string,
  buyerId: string,
  n: number,
  status: BuyerReturnDecision['status'],
  why: string,
  at: number,
  purchase: { priceCents: number; vendorId: string } | null = { priceCents: 5000, vendorId: 'acme-leads' },
): BuyerReturnDecision {
  return {
    eventId: `${leadId}:${buyerId}:return:${n}`,
    buyerId,
    leadId,
    status,
    returnReason: 'bad_phone',
    why,
    priceCents: purchase?.priceCents ?? null,
    vendorId: purchase?.vendorId ?? null,
    at,
  };
}

let offset = 0;
const record = (value: BuyerReturnDecision) =>
  consumed(TOPIC.buyerReturnDecisions, value.buyerId, value, offset++);

const silent = pino({ level: 'silent' });

async function sinkBatch(db: Database, records: readonly ConsumedRecord<unknown>[]): Promise<void> {
  const sink = postgresSinks(db).find((p) => p.name === SINK)!;
  for (const r of records) await sink.process(r as never, {} as never);
  await sink.flush!(records as never[], { partition: 0, log: silent });
}

async function rows(db: Database) {
  return (
    await db.query<{
      lead_id: string;
      buyer_id: string;
      status: string;
      return_reason: string | null;
      why: string;
      price_cents: number | null;
      vendor_id: string | null;
      decisions: number;
      decided_at: Date;
    }>('SELECT * FROM buyer_returns ORDER BY lead_id, buyer_id')
  ).rows.map((r) => ({ ...r, decided_at: new Date(r.decided_at).toISOString() }));
}

test('is one of the postgres sinks, reading buyer.return-decisions', () => {
  expect(POSTGRES_SINKS).toContain(SINK);
  const sink = postgresSinks({} as Database).find((p) => p.name === SINK)!;
  expect(sink.inputs).toEqual([TOPIC.buyerReturnDecisions]);
});

test('a decision that could never be stored, or would land in the wrong row, is refused', () => {
  const good = decision('L-1', 'west', 1, 'pending', 'needs_review', T0);
  expect(toBuyerReturnRow(record(good))).toEqual({
    leadId: 'L-1',
    buyerId: 'west',
    status: 'pending',
    returnReason: 'bad_phone',
    why: 'needs_review',
    priceCents: 5000,
    vendorId: 'acme-leads',
    decisions: 1,
    decidedAt: T0,
  });
  const refused: [Partial<BuyerReturnDecision> | null, RegExp][] = [
    [null, /has no value/],
    [{ eventId: 'L-1:east:return:1' }, /is not L-1:west:return:<n>/],
    [{ eventId: 'L-1:west:return:0' }, /is not L-1:west:return:<n>/],
    [{ eventId: 'L-1:west:return:x' }, /is not L-1:west:return:<n>/],
    [{ eventId: 'L-1:west:return:99999999999' }, /is not L-1:west:return:<n>/],
    [{ status: 'maybe' as never }, /status maybe is not one of/],
    [{ priceCents: 12.5 }, /priceCents 12.5 is not a whole number/],
    [{ priceCents: -1 }, /priceCents -1 is not a whole number/],
    [{ at: 1e20 }, /is not a storable time/],
  ];
  for (const [change, message] of refused) {
    const value = change === null ? null : { ...good, ...change };
    expect(() => toBuyerReturnRow(consumed(TOPIC.buyerReturnDecisions, 'west', value, 0))).toThrow(message);
  }
});

for (const choice of databasesUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`buyer returns sink on ${choice.kind}`, () => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });

    test('one row per purchase with its latest decision; redelivered and older decisions change nothing', async () => {
      const { db, dispose } = await choice.open();
      try {
        const pending = decision('L-1', 'west', 1, 'pending', 'needs_review', T0);
        const approved = decision('L-1', 'west', 2, 'approved', 'reviewed_by:ops-1', T0 + 5 * MINUTE);
        const other = decision('L-2', 'west', 1, 'approved', 'auto_approved', T0 + MINUTE);
        // A redelivery inside the batch, then the whole batch again.
        const batch = [record(pending), record(other), record(pending)];
        await sinkBatch(db, batch);
        const once = await rows(db);
        expect(once).toEqual([
          {
            lead_id: 'L-1',
            buyer_id: 'west',
            status: 'pending',
            return_reason: 'bad_phone',
            why: 'needs_review',
            price_cents: 5000,
            vendor_id: 'acme-leads',
            decisions: 1,
            decided_at: new Date(T0).toISOString(),
          },
          expect.objectContaining({ lead_id: 'L-2', status: 'approved', decisions: 1 }),
        ]);
        await sinkBatch(db, batch);
        expect(await rows(db)).toEqual(once);

        // The review replaces the pending decision; the pending one read again (a rebuilt task,
        // a replay) does not bring it back, alone or in a batch with the review.
        await sinkBatch(db, [record(approved)]);
        const reviewed = await rows(db);
        expect(reviewed[0]).toMatchObject({
          status: 'approved',
          why: 'reviewed_by:ops-1',
          decisions: 2,
          decided_at: new Date(T0 + 5 * MINUTE).toISOString(),
        });
        await sinkBatch(db, [record(pending)]);
        await sinkBatch(db, [record(approved), record(pending)]);
        expect(await rows(db)).toEqual(reviewed);

        // Out of order within one batch: the later decision wins all the same.
        const denied = decision('L-3', 'east', 2, 'denied', 'reviewed_by:ops-2', T0 + 9 * MINUTE);
        await sinkBatch(db, [
          record(denied),
          record(decision('L-3', 'east', 1, 'pending', 'needs_review', T0 + 2 * MINUTE)),
        ]);
        expect(await buyerReturnOf(db, 'L-3', 'east')).toMatchObject({
          status: 'denied',
          why: 'reviewed_by:ops-2',
        });
      } finally {
        await dispose();
      }
    });

    test('a return read before its purchase (not_bought) gives way to the decision on the purchase', async () => {
      const { db, dispose } = await choice.open();
      try {
        const notBought = decision('L-1', 'west', 1, 'denied', 'not_bought', T0, null);
        const onPurchase = decision('L-1', 'west', 1, 'pending', 'needs_review', T0 + MINUTE);
        await sinkBatch(db, [record(notBought)]);
        expect(await buyerReturnOf(db, 'L-1', 'west')).toMatchObject({
          status: 'denied',
          why: 'not_bought',
          priceCents: null,
          vendorId: null,
        });
        await sinkBatch(db, [record(onPurchase)]);
        const after = await rows(db);
        expect(after).toEqual([
          expect.objectContaining({ status: 'pending', decisions: 1, vendor_id: 'acme-leads' }),
        ]);
        // A later not_bought (the purchase forgotten long after) does not overwrite it.
        await sinkBatch(db, [record({ ...notBought, at: T0 + 60 * MINUTE })]);
        expect(await rows(db)).toEqual(after);
      } finally {
        await dispose();
      }
    });

    test('reviewers list the returns waiting for them, oldest first, and decide only those', async () => {
      const { db, dispose } = await choice.open();
      try {
        await sinkBatch(db, [
          record(decision('L-late', 'west', 1, 'pending', 'needs_review', T0 + 3 * MINUTE)),
          record(decision('L-early', 'east', 1, 'pending', 'return_rate_over_max', T0 + MINUTE)),
          record(decision('L-auto', 'west', 1, 'approved', 'auto_approved', T0)),
          record(decision('L-rev', 'west', 1, 'pending', 'needs_review', T0)),
          record(decision('L-rev', 'west', 2, 'denied', 'reviewed_by:ops-1', T0 + 2 * MINUTE)),
        ]);
        const pending = await buyerReturnsUnderReview(db);
        expect(pending.map((r) => [r.leadId, r.buyerId, r.why])).toEqual([
          ['L-early', 'east', 'return_rate_over_max'],
          ['L-late', 'west', 'needs_review'],
        ]);
        expect(pending[0]).toEqual({
          leadId: 'L-early',
          buyerId: 'east',
          status: 'pending',
          returnReason: 'bad_phone',
          why: 'return_rate_over_max',
          priceCents: 5000,
          vendorId: 'acme-leads',
          at: new Date(T0 + MINUTE).toISOString(),
        });
        expect(await buyerReturnOf(db, 'L-late', 'east')).toBeNull();

        expect(await buyerReviewDecision(db, 'L-late', 'west', 'approve', 'ops-1')).toEqual({
          ok: true,
          request: { buyerId: 'west', leadId: 'L-late', action: 'approve', reason: null, by: 'ops-1' },
        });
        expect(await buyerReviewDecision(db, 'L-rev', 'west', 'deny', 'ops-1')).toEqual({
          ok: false,
          problem: 'already_decided',
          message: 'the return of lead L-rev by buyer west is already denied',
        });
        expect(await buyerReviewDecision(db, 'L-late', 'east', 'deny', 'ops-1')).toEqual({
          ok: false,
          problem: 'no_return',
          message: 'lead L-late has no return by buyer east',
        });
      } finally {
        await dispose();
      }
    });
  });
}
