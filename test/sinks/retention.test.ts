/**
 * The retention purge of the read models, on PGlite and on real PostgreSQL: rows past their data
 * class's retention lose their contact details, newer ones keep them, the funnel keeps its
 * counts, and running it again changes nothing. Then its schedule and `leadflow retention purge`.
 */
import fs from 'node:fs';
import { registry } from '../../runtime/metrics';
import type { ConsumedRecord } from '../../runtime/records';
import { SAMPLE_NOW } from '../../schemas/lead-samples';
import { type Database, openDatabase, type Queryable } from '../../sinks/postgres/database';
import { toLeadEvent } from '../../sinks/postgres/lead-events';
import { funnel, getLead, rejectionsByReason } from '../../sinks/postgres/read-models';
import { purgeExpired, scheduleRetentionPurge } from '../../sinks/postgres/retention';
import { writeLeadEvents } from '../../sinks/postgres/writer';
import { TOPIC } from '../../topics/platform';
import { runCli } from '../support/cli';
import { eventually, testLog } from '../support/harness';
import { databasesUnderTest, pgliteDataDir, removePgliteTemplate } from './databases';
import { consumed, leadJourney, leadRecords } from './records';

jest.setTimeout(180_000);

afterAll(() => removePgliteTemplate());

const DAY_MS = 24 * 3_600_000;
const NEW = SAMPLE_NOW + 60 * DAY_MS;

/** What any of the sample lead's contact details looks like, however a record spells it. */
const CONTACT_DETAILS = /brien|8675309|867-5309|gmail|Main Street/i;
/** Details of the sample lead that are not contact details. */
const LEAD_DETAILS = /Camry|GEICO/;

function intake(leadId: string, receivedAt: number): ConsumedRecord<unknown>[] {
  const { raw, valid, enriched } = leadRecords(leadId, 'acme-leads', receivedAt);
  return [
    consumed(TOPIC.leadsRaw, leadId, raw, 0),
    consumed(TOPIC.leadsValid, leadId, valid, 0),
    consumed(TOPIC.leadsEnriched, leadId, enriched, 0),
  ];
}

function rejection(leadId: string, receivedAt: number): ConsumedRecord<unknown>[] {
  const { raw, rejected } = leadRecords(leadId, 'acme-leads', receivedAt);
  return [consumed(TOPIC.leadsRaw, leadId, raw, 0), consumed(TOPIC.leadsRejected, leadId, rejected, 0)];
}

/** Leads received at SAMPLE_NOW ("old-") and 60 days later ("new-"), stored by the sink. */
async function storeLeads(db: Database) {
  const records = [
    ...leadJourney('old-sold').records,
    ...intake('old-stuck', SAMPLE_NOW),
    ...rejection('old-rejected', SAMPLE_NOW),
    ...intake('new-stuck', NEW),
    ...rejection('new-rejected', NEW),
  ];
  // Offsets in order per topic, as the sink would read them.
  const next = new Map<string, number>();
  const events = records.map((record) => {
    const offset = next.get(record.topic) ?? 0;
    next.set(record.topic, offset + 1);
    return toLeadEvent({ ...record, offset });
  });
  await db.transaction((tx) => writeLeadEvents(tx, events));
}

const snapshot = async (db: Queryable) => ({
  leads: (await db.query('SELECT * FROM leads ORDER BY lead_id')).rows,
  leadEvents: (await db.query('SELECT * FROM lead_events ORDER BY event_id')).rows,
});

const funnelTables = async (db: Queryable) => ({
  leadStages: (await db.query('SELECT * FROM lead_stages ORDER BY lead_id, stage')).rows,
  funnelDaily: (await db.query('SELECT * FROM funnel_daily ORDER BY day, stage, vendor_id, line')).rows,
  funnel: await funnel(db),
  rejections: await rejectionsByReason(db),
});

const purgedCount = async (dataClass: string, table: string) =>
  (await registry.getSingleMetric('leadflow_retention_purged_rows_total')!.get()).values.find(
    (v) => v.labels.class === dataClass && v.labels.table === table,
  )?.value ?? 0;

for (const choice of databasesUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`retention purge on ${choice.kind}`, () => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });

    test('rows past retention lose their contact details; the funnel and newer rows stay as they were', async () => {
      const { db, dispose } = await choice.open();
      try {
        await storeLeads(db);
        const funnelBefore = await funnelTables(db);
        const before = await snapshot(db);
        const historyBefore = (await getLead(db, 'old-rejected'))!.history;
        const rawEventsBefore = await purgedCount('rawLeads', 'lead_events');

        // 100 days after the old leads, 40 after the new ones.
        const purge = () =>
          purgeExpired(
            db,
            { rawLeads: 90, rejectedLeads: 30 },
            { log: testLog, now: SAMPLE_NOW + 100 * DAY_MS, batchRows: 2 },
          );
        expect(await purge()).toEqual({
          rawLeads: { leadEvents: 8, leads: 1 },
          rejectedLeads: { leadEvents: 2, leads: 2 },
        });
        expect((await purgedCount('rawLeads', 'lead_events')) - rawEventsBefore).toBe(8);

        const emptied = await db.query<{ lead_id: string; stage: string }>(
          `SELECT lead_id, stage FROM lead_events WHERE payload = '{}'::jsonb ORDER BY lead_id, occurred_at, stage`,
        );
        expect(emptied.rows.map((r) => `${r.lead_id} ${r.stage}`)).toEqual([
          'new-rejected rejected',
          'old-rejected received',
          'old-rejected rejected',
          'old-sold received',
          'old-sold valid',
          'old-sold enriched',
          'old-sold scored',
          'old-stuck received',
          'old-stuck valid',
          'old-stuck enriched',
        ]);
        const emptiedLeads = await db.query<{ lead_id: string }>(
          `SELECT lead_id FROM leads WHERE payload = '{}'::jsonb ORDER BY lead_id`,
        );
        expect(emptiedLeads.rows.map((r) => r.lead_id)).toEqual([
          'new-rejected',
          'old-rejected',
          'old-stuck',
        ]);

        // No row ever holds contact details (the sink leaves personal fields out); past retention
        // the rest of a lead's details (vehicles, insurer) go too, while a new lead keeps them.
        const rowsOf = async (leadId: string) =>
          JSON.stringify([
            (await db.query('SELECT * FROM leads WHERE lead_id = $1', [leadId])).rows,
            (await db.query('SELECT * FROM lead_events WHERE lead_id = $1', [leadId])).rows,
          ]);
        for (const leadId of ['old-sold', 'old-stuck', 'old-rejected', 'new-stuck'])
          expect(await rowsOf(leadId)).not.toMatch(CONTACT_DETAILS);
        expect(await rowsOf('old-stuck')).not.toMatch(LEAD_DETAILS);
        expect(await rowsOf('new-stuck')).toMatch(LEAD_DETAILS);

        // What the reports and the lead view read stays: ids, stage, vendor, dates, reason codes.
        const rejected = await db.query<Record<string, unknown>>(
          `SELECT lead_id, stage, vendor_id, line, received_at, updated_at, rejection_reasons
           FROM leads WHERE lead_id = 'old-rejected'`,
        );
        const rejectedBefore = before.leads.find((row) => row.lead_id === 'old-rejected')!;
        expect(rejected.rows[0]).toEqual({
          lead_id: 'old-rejected',
          stage: 'rejected',
          vendor_id: 'acme-leads',
          line: 'auto',
          received_at: rejectedBefore.received_at,
          updated_at: rejectedBefore.updated_at,
          rejection_reasons: [{ code: 'duplicate_contact', field: 'contact.phone', message: '' }],
        });
        expect(await funnelTables(db)).toEqual(funnelBefore);
        expect((await getLead(db, 'old-rejected'))!.history).toEqual(historyBefore);
        const sold = (await snapshot(db)).leads.find((row) => row.lead_id === 'old-sold');
        expect(sold).toEqual(before.leads.find((row) => row.lead_id === 'old-sold'));

        // Again: nothing left to do, nothing changes.
        const after = await snapshot(db);
        expect(await purge()).toEqual({
          rawLeads: { leadEvents: 0, leads: 0 },
          rejectedLeads: { leadEvents: 0, leads: 0 },
        });
        expect(await snapshot(db)).toEqual(after);
      } finally {
        await dispose();
      }
    });

    test('the schedule purges at once, then every interval, until stopped', async () => {
      const { db, dispose } = await choice.open();
      try {
        await storeLeads(db);
        // The samples are from 2025-06-02: with the default 90 days every one is past retention.
        const schedule = scheduleRetentionPurge({
          database: db,
          retention: {},
          log: testLog,
          intervalMs: 200,
        });
        await eventually(async () => {
          const { rows } = await db.query<{ kept: number }>(
            `SELECT count(*)::int AS kept FROM lead_events WHERE stage IN ('received', 'rejected') AND payload <> '{}'::jsonb`,
          );
          return rows[0]!.kept === 0;
        });
        await schedule.stop();
      } finally {
        await dispose();
      }
    });
  });
}

describe('leadflow retention purge', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await pgliteDataDir();
    const db = await openDatabase({ dataDir });
    await storeLeads(db);
    await db.close();
  });

  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  // PGlite, whatever DATABASE_URL the test run has: the shared server is not the CLI's to purge.
  const env = (extra: Record<string, string> = {}) => ({
    LEADFLOW_DATA_DIR: dataDir,
    DATABASE_URL: '',
    LEADFLOW_TRANSPORT: 'embedded',
    ...extra,
  });

  test('refuses a retention that is not a whole number of days, naming the variable', () => {
    const result = runCli(['retention', 'purge'], env({ RETENTION_TRAINING_DAYS: 'forever' }));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('RETENTION_TRAINING_DAYS: must be a whole number of days');
  });

  test('purges what is past the configured retention and prints how many rows per class', () => {
    // The new leads are about 60 days younger than the old ones: a retention between the two
    // ages keeps them, whatever today is.
    const days = String(Math.floor((Date.now() - SAMPLE_NOW) / DAY_MS) - 30);
    const result = runCli(
      ['retention', 'purge', '--json'],
      env({ RETENTION_RAW_LEADS_DAYS: days, RETENTION_REJECTED_LEADS_DAYS: days }),
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      rawLeads: { leadEvents: 8, leads: 1 },
      rejectedLeads: { leadEvents: 1, leads: 1 },
    });
  });
});
