/**
 * Erasure in the read models, on PGlite (no services): rows are written by the sinks themselves
 * from the records each stage writes, then parts of an erasure request arrive on
 * privacy.erasures. The erased leads lose what could single them out and keep their funnel facts;
 * other leads are untouched; records read again change nothing; rows written after an erasure are
 * erased as they are written; the vector sink deletes the erased leads' vectors.
 */
import pino from 'pino';
import { type ConsumedRecord, HEADER } from '../../runtime/records';
import { ERASED } from '../../runtime/privacy/sealing';
import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { PrivacyErasure } from '../../schemas/privacy-records';
import type { ReferralEvent } from '../../schemas/reward-records';
import type { LeadOutcomeEvent, ScoredLead } from '../../schemas/score-records';
import { pgliteDataDir, removePgliteTemplate } from '../../test/sinks/databases';
import { consumed, leadJourney, leadRecords } from '../../test/sinks/records';
import { TOPIC } from '../../topics/platform';
import { LocalEmbedder } from '../vectors/embedding';
import { PgVectorIndex } from '../vectors/pgvector';
import { vectorSinkProcessor } from '../vectors/processor';
import { type Database, openDatabase } from './database';
import { erasureStatus } from './privacy';
import { POSTGRES_SINKS, postgresSinks } from './processors';
import { funnel } from './read-models';

jest.setTimeout(120_000);

afterAll(() => removePgliteTemplate());

const log = pino({ level: 'silent' });

/** Free text an agent, an outcome report and a partner wrote about a lead. */
const DECLINE_REASON = 'knows her from church, lives on Elm St';
const OUTCOME_REASON = 'moved in with her daughter in Oakland';
const PARTNER_NOTE = 'my neighbour Jane, call after 6';

/** Every record the sinks read about one lead, at offsets of its own (`base` up). */
function leadTopics(leadId: string, base: number) {
  const journey = leadJourney(leadId);
  const records = journey.records.map((record) => {
    if (record.topic !== TOPIC.assignments) return { ...record, offset: record.offset + base };
    const event = record.value as AssignmentEvent;
    // The first transition is a decline with the agent's own words.
    const value = event.type === 'offered' ? { ...event, reason: DECLINE_REASON } : event;
    return { ...record, offset: record.offset + base, value };
  });
  const outcome: LeadOutcomeEvent = {
    eventId: `${leadId}:outcome:1`,
    leadId,
    status: 'lost',
    at: journey.scored.scoredAt + 10_000,
    agentId: 'agent-7',
    premiumUsd: null,
    reason: OUTCOME_REASON,
  };
  const referral: ReferralEvent = {
    eventId: `${leadId}:referral:1`,
    leadId,
    partnerId: 'partner-1',
    type: 'submitted',
    at: journey.scored.scoredAt,
    reason: null,
    premiumCents: null,
    commissionCents: null,
    agentId: null,
    note: PARTNER_NOTE,
  };
  return {
    journey,
    records,
    outcomes: [consumed(TOPIC.leadOutcomes, leadId, outcome, base)],
    referrals: [consumed(TOPIC.referrals, leadId, referral, base)],
    routable: journey.assignments[0]!.lead,
  };
}

/** A lead the phone screen rejected, with reason and warning messages. */
function rejectedTopics(leadId: string, base: number) {
  const lead = leadRecords(leadId);
  const rejected = {
    ...lead.rejected,
    warnings: [{ code: 'odd_zip', field: 'contact.zip', message: 'zip 94103 looks odd' }],
  };
  return [
    consumed(TOPIC.leadsRaw, leadId, lead.raw, base),
    consumed(TOPIC.leadsRejected, leadId, rejected, base),
  ];
}

function erasure(part: string, leadIds: string[], erasedAt: number): ConsumedRecord<PrivacyErasure> {
  return consumed(
    TOPIC.privacyErasures,
    'req-1',
    {
      requestId: 'req-1',
      part,
      parts: 2,
      leadIds,
      requestedBy: 'admin-1',
      requestedAt: Date.UTC(2026, 2, 1, 12),
      erasedAt,
    },
    erasedAt,
  );
}

const EMAIL_PART_AT = Date.UTC(2026, 2, 1, 12, 0, 5);
const PHONE_PART_AT = Date.UTC(2026, 2, 1, 12, 0, 9);
const EMAIL_PART = erasure('email:3f9a', ['L-1', 'L-3'], EMAIL_PART_AT);
const PHONE_PART = erasure('phone:77c2', ['L-1'], PHONE_PART_AT);

const LEAD_TABLES = [
  'leads',
  'lead_events',
  'lead_stages',
  'assignments',
  'lead_outcomes',
  'referral_events',
  'referrals',
];

async function withDatabase(work: (db: Database) => Promise<void>): Promise<void> {
  const db = await openDatabase({ dataDir: await pgliteDataDir() });
  try {
    await work(db);
  } finally {
    await db.close();
  }
}

function sinks(db: Database) {
  const processors = postgresSinks(db);
  const flush = async (name: string, records: ConsumedRecord<unknown>[]) => {
    const sink = processors.find((p) => p.name === name)!;
    for (const record of records) await sink.process(record as never, {} as never);
    await sink.flush!(records as never[], { partition: 0, log });
  };
  return {
    leads: (records: ConsumedRecord<unknown>[]) => flush('postgres-leads', records),
    routing: (records: ConsumedRecord<unknown>[]) => flush('postgres-routing', records),
    rewards: (records: ConsumedRecord<unknown>[]) => flush('postgres-rewards', records),
    privacy: (records: ConsumedRecord<unknown>[]) => flush('postgres-privacy', records),
  };
}

/**
 * Writes both full journeys and the rejected lead through the sinks. Without referrals, the
 * rewards sink's rows of a lead erased before are not erased as they are written (see
 * `keepingErasures`): it is not wired to it.
 */
async function writeLeads(db: Database, { referrals = true } = {}) {
  const erased = leadTopics('L-1', 0);
  const kept = leadTopics('L-2', 100);
  const sink = sinks(db);
  for (const lead of [erased, kept]) {
    await sink.leads(lead.records);
    await sink.routing([...lead.records.filter((r) => r.topic === TOPIC.assignments), ...lead.outcomes]);
    if (referrals) await sink.rewards(lead.referrals);
  }
  await sink.leads(rejectedTopics('L-3', 200));
  return { erased, kept, sink };
}

/** Every row of every table that has lead rows, by table, in a stable order. */
async function tables(db: Database, where = 'true', params: unknown[] = []) {
  const out: Record<string, unknown[]> = {};
  for (const table of [...LEAD_TABLES, 'funnel_daily']) {
    const { rows } = await db.query(
      `SELECT row_to_json(r)::text AS row FROM ${table} r WHERE ${where} ORDER BY 1`,
      params,
    );
    out[table] = rows.map((r) => (r as { row: string }).row);
  }
  return out;
}

const rowsOfLead = (db: Database, leadId: string) =>
  tables(db, `to_jsonb(r)->>'lead_id' = $1`, [leadId]).then((t) => {
    delete t.funnel_daily;
    return t;
  });

/** What must be gone from every row of an erased lead, as it would read in JSON. */
function detailOf(routable: {
  zip: string | null;
  city: string | null;
  latitude: number | null;
  longitude: number | null;
}) {
  return [
    `"${routable.zip}"`,
    routable.city!,
    String(routable.latitude),
    String(routable.longitude),
    'looks odd',
    'seen within 30 days',
    DECLINE_REASON,
    OUTCOME_REASON,
    PARTNER_NOTE,
  ];
}

describe('postgres-privacy sink', () => {
  test('erases what could single the leads out, keeps their funnel facts, and leaves other leads alone', async () => {
    await withDatabase(async (db) => {
      const { erased, sink } = await writeLeads(db);
      const detail = detailOf(erased.routable);
      expect(erased.routable).toMatchObject({ zip: '94103' });
      expect(erased.routable.city).toBeTruthy();
      expect(erased.routable.latitude).not.toBeNull();

      const before = await tables(db);
      const beforeL1 = await rowsOfLead(db, 'L-1');
      const beforeL2 = await rowsOfLead(db, 'L-2');
      const funnelBefore = await funnel(db);
      // The rows hold the detail to begin with (else the test would prove nothing).
      const l1Text = JSON.stringify(beforeL1);
      for (const text of detail.slice(0, 4).concat(DECLINE_REASON, OUTCOME_REASON, PARTNER_NOTE))
        expect(l1Text).toContain(text.replace(/"/g, '\\"'));
      expect(JSON.stringify(await rowsOfLead(db, 'L-3'))).toContain('seen within 30 days');

      expect(await erasureStatus(db, 'req-1')).toBeNull();
      await sink.privacy([EMAIL_PART]);

      for (const leadId of ['L-1', 'L-3']) {
        const text = JSON.stringify(await rowsOfLead(db, leadId));
        for (const gone of detail) expect(text).not.toContain(gone.replace(/"/g, '\\"'));
      }
      const { rows: leads } = await db.query<Record<string, unknown>>(
        `SELECT lead_id, vendor_id, channel, line, state, zip, stage, score, tier, agent_id,
                assignment_status, rejection_reasons, warnings, payload
         FROM leads WHERE lead_id IN ('L-1', 'L-3') ORDER BY lead_id`,
      );
      expect(leads[0]).toMatchObject({
        lead_id: 'L-1',
        vendor_id: 'acme-leads',
        channel: 'api',
        // The line routing classified it as; the funnel keeps the vendor's (lead_stages).
        line: 'home',
        state: 'CA',
        zip: null,
        stage: 'converted',
        tier: expect.any(String),
        agent_id: 'agent-7',
        assignment_status: 'sold',
        payload: {},
      });
      expect(leads[0]!.score).not.toBeNull();
      expect(leads[1]).toMatchObject({
        lead_id: 'L-3',
        stage: 'rejected',
        zip: null,
        payload: {},
        rejection_reasons: [{ code: 'duplicate_contact', field: 'contact.phone', message: '' }],
        warnings: [{ code: 'odd_zip', field: 'contact.zip', message: '' }],
      });
      // Every event is still there, at its stage and time, without its record.
      const events = await db.query<{ stage: string; payload: unknown }>(
        "SELECT stage, payload FROM lead_events WHERE lead_id = 'L-1' ORDER BY occurred_at, stage",
      );
      expect(events.rows.map((e) => e.stage)).toEqual([
        'received',
        'valid',
        'enriched',
        'scored',
        'matched',
        'matched',
        'assigned',
        'assigned',
        'converted',
      ]);
      expect(events.rows.every((e) => JSON.stringify(e.payload) === '{}')).toBe(true);
      // Routing rows keep what the reports read (offer ids, outcomes), in their record's shape.
      const assignments = await db.query<{ status: string; payload: AssignmentEvent }>(
        "SELECT status, payload FROM assignments WHERE lead_id = 'L-1' ORDER BY occurred_at",
      );
      expect(assignments.rows.map((a) => a.status)).toEqual([
        'offered',
        'accepted',
        'progressed',
        'completed',
      ]);
      for (const { payload } of assignments.rows) {
        expect(payload).toMatchObject({
          offerId: 'L-1:offer:1',
          agentId: 'agent-7',
          reason: null,
          lead: {
            leadId: 'L-1',
            state: 'CA',
            line: 'home',
            zip: null,
            city: null,
            latitude: null,
            longitude: null,
          },
        });
      }
      expect(assignments.rows[3]!.payload).toMatchObject({ outcome: 'sold', premiumUsd: 1_240 });
      const outcome = await db.query<{ outcome: string; payload: LeadOutcomeEvent }>(
        "SELECT outcome, payload FROM lead_outcomes WHERE lead_id = 'L-1'",
      );
      expect(outcome.rows).toEqual([
        {
          outcome: 'lost',
          payload: expect.objectContaining({ status: 'lost', agentId: 'agent-7', reason: null }),
        },
      ]);
      expect(Object.keys(outcome.rows[0]!.payload)).not.toContain('zip');
      const referral = await db.query<{ payload: ReferralEvent }>(
        "SELECT payload FROM referral_events WHERE lead_id = 'L-1'",
      );
      expect(referral.rows[0]!.payload).toMatchObject({
        type: 'submitted',
        partnerId: 'partner-1',
        note: null,
      });

      // The funnel and its reports, and the other lead, are as they were.
      const after = await tables(db);
      expect(after.funnel_daily).toEqual(before.funnel_daily);
      expect(after.lead_stages).toEqual(before.lead_stages);
      expect(after.referrals).toEqual(before.referrals);
      expect(await funnel(db)).toEqual(funnelBefore);
      expect(await rowsOfLead(db, 'L-2')).toEqual(beforeL2);
      for (const table of LEAD_TABLES)
        expect([table, after[table]!.length]).toEqual([table, before[table]!.length]);

      // Read again (a crash before the commit): nothing changes.
      await sink.privacy([EMAIL_PART]);
      expect(await tables(db)).toEqual(after);
    });
  });

  test("a request's status goes from pending to done as its parts arrive, whatever their order or repeats", async () => {
    await withDatabase(async (db) => {
      const { sink } = await writeLeads(db);
      expect(await erasureStatus(db, 'req-1')).toBeNull();
      await sink.privacy([PHONE_PART]);
      expect(await erasureStatus(db, 'req-1')).toEqual({
        requestId: 'req-1',
        parts: 2,
        partsDone: 1,
        leads: 1,
        requestedAt: '2026-03-01T12:00:00.000Z',
        completedAt: null,
        status: 'pending',
      });
      await sink.privacy([PHONE_PART]);
      expect((await erasureStatus(db, 'req-1'))!.partsDone).toBe(1);
      const afterPhone = await tables(db);
      await sink.privacy([EMAIL_PART, PHONE_PART, EMAIL_PART]);
      const done = {
        requestId: 'req-1',
        parts: 2,
        partsDone: 2,
        // L-1 was in both parts: one lead, counted once.
        leads: 2,
        requestedAt: '2026-03-01T12:00:00.000Z',
        completedAt: new Date(PHONE_PART_AT).toISOString(),
        status: 'done',
      };
      expect(await erasureStatus(db, 'req-1')).toEqual(done);
      const { rows } = await db.query(
        'SELECT request_id, part, parts, lead_count, requested_by FROM privacy_erasures ORDER BY part',
      );
      expect(rows).toEqual([
        { request_id: 'req-1', part: 'email:3f9a', parts: 2, lead_count: 2, requested_by: 'admin-1' },
        { request_id: 'req-1', part: 'phone:77c2', parts: 2, lead_count: 1, requested_by: 'admin-1' },
      ]);
      const all = await tables(db);
      expect(all.funnel_daily).toEqual(afterPhone.funnel_daily);
      await sink.privacy([PHONE_PART, EMAIL_PART]);
      expect(await tables(db)).toEqual(all);
      expect(await erasureStatus(db, 'req-1')).toEqual(done);
      expect(await erasureStatus(db, 'req-2')).toBeNull();
    });
  });

  test('rows written after the erasure (a late event, a replay, a rebuild) are erased as they are written', async () => {
    await withDatabase(async (db) => {
      const sink = sinks(db);
      // A rebuild: the erasure is read before the lead's records.
      await sink.privacy([EMAIL_PART, PHONE_PART]);
      const { erased, kept } = await writeLeads(db, { referrals: false });
      const detail = detailOf(erased.routable);
      const check = async () => {
        for (const leadId of ['L-1', 'L-3']) {
          const text = JSON.stringify(await rowsOfLead(db, leadId));
          for (const gone of detail) expect(text).not.toContain(gone.replace(/"/g, '\\"'));
        }
      };
      await check();
      expect(JSON.stringify(await rowsOfLead(db, 'L-2'))).toContain(DECLINE_REASON);
      const funnelBefore = (await tables(db)).funnel_daily;

      // A late transition with the agent's words, and a replayed record of the lead.
      const late = consumed(
        TOPIC.assignments,
        'L-1',
        {
          ...erased.journey.assignments[2]!,
          eventId: 'L-1:5',
          type: 'progressed',
          outcome: 'quoted',
          reason: DECLINE_REASON,
          at: erased.journey.assignments[3]!.at + 1_000,
        },
        50,
      );
      const replayed = { ...erased.records[0]!, offset: 51, headers: { [HEADER.replay]: '1' } };
      await sink.leads([late, replayed, kept.records[0]!]);
      await sink.routing([late]);
      await check();
      expect((await tables(db)).funnel_daily).toEqual(funnelBefore);
      const { rows } = await db.query("SELECT count(*)::int AS n FROM lead_events WHERE lead_id = 'L-1'");
      expect(rows).toEqual([{ n: 11 }]);
    });
  });

  test('is one of the postgres sinks', () => {
    expect(POSTGRES_SINKS).toContain('postgres-privacy');
  });
});

describe('vector sink', () => {
  const scoredOf = (leadId: string) => leadJourney(leadId).scored;

  test("deletes erased leads' vectors, and does not index them again", async () => {
    await withDatabase(async (db) => {
      const index = new PgVectorIndex(db);
      const sink = vectorSinkProcessor(index, new LocalEmbedder(64));
      const flush = (records: ConsumedRecord<unknown>[]) =>
        sink.flush!(records as never[], { partition: 0, log });
      const scored = (lead: ScoredLead, offset: number) =>
        consumed(TOPIC.leadsScored, lead.leadId, lead, offset);
      const indexed = async () =>
        (await db.query<{ lead_id: string }>('SELECT lead_id FROM lead_vectors ORDER BY 1')).rows.map(
          (r) => r.lead_id,
        );

      await flush([scored(scoredOf('L-1'), 0), scored(scoredOf('L-2'), 1)]);
      expect(await indexed()).toEqual(['L-1', 'L-2']);
      await flush([EMAIL_PART]);
      expect(await indexed()).toEqual(['L-2']);
      await flush([EMAIL_PART]);
      expect(await indexed()).toEqual(['L-2']);

      // In one batch, the erasure wins; a lead read after its erasure is not indexed again.
      await flush([scored(scoredOf('L-4'), 2), erasure('email:aa', ['L-4'], EMAIL_PART_AT)]);
      const late = scoredOf('L-1');
      late.lead.contact.firstName = ERASED;
      late.lead.contact.lastName = ERASED;
      await flush([scored(late, 3)]);
      expect(await indexed()).toEqual(['L-2']);
    });
  });
});
