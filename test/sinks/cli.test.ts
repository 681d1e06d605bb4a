/**
 * `leadflow demo` fills the read models and checks them against the topics; `leadflow report`
 * reads them, and refuses while another process owns the PGlite database.
 */
import fs from 'node:fs';
import type { VendorEconomics } from '../../cli/demo';
import { openDatabase } from '../../sinks/postgres/database';
import { toLeadEvent } from '../../sinks/postgres/lead-events';
import { writeLeadEvents } from '../../sinks/postgres/writer';
import { TOPIC } from '../../topics/platform';
import { runCli } from '../support/cli';
import { pgliteDataDir, removePgliteTemplate } from './databases';
import { consumed, leadRecords } from './records';

jest.setTimeout(240_000);

afterAll(() => removePgliteTemplate());

// PGlite, whatever DATABASE_URL the test run has: the shared server is not the CLI's to fill.
const embedded = (dataDir: string) => ({
  LEADFLOW_DATA_DIR: dataDir,
  DATABASE_URL: '',
  LEADFLOW_TRANSPORT: 'embedded',
});

test('demo stores every lead and event of the run and says so in its JSON', () => {
  const result = runCli(['demo', '--leads', '300', '--seed', 'sink-cli', '--json'], { DATABASE_URL: '' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  const summary = JSON.parse(result.stdout) as Record<string, unknown>;
  expect(summary).toMatchObject({
    raw: 300,
    db: 'pglite',
    db_leads: 300,
    db_rejected: summary.rejected,
    db_matches_topics: true,
  });
  // Intake's events at least, and the later stages' (scored, matched, ...) on top.
  expect(Number(summary.db_events)).toBeGreaterThan(
    Number(summary.raw) + Number(summary.valid) + Number(summary.rejected) + Number(summary.enriched),
  );
  const byStage = summary.db_leads_by_stage as Record<string, number>;
  expect(byStage.rejected).toBe(summary.rejected);
  expect(byStage.scored ?? 0).toBe(0);
  // The demo's agents answer their offers: every routed lead is matched, and most are taken.
  const routed = (byStage.matched ?? 0) + (byStage.assigned ?? 0) + (byStage.converted ?? 0);
  expect(routed).toBe(summary.enriched);
  expect(byStage.assigned! + byStage.converted!).toBeGreaterThan(routed / 2);

  // Each routed or sold lead cost its vendor's price once, each taken lead earned its agent's
  // price, and a tenth of the leads were offered by ping-post first: those sold show as assigned.
  const economics = summary.economics as VendorEconomics[];
  const total = (figure: (v: VendorEconomics) => number) => economics.reduce((sum, v) => sum + figure(v), 0);
  expect(total((v) => v.leads)).toBe(routed);
  expect(total((v) => v.sold_to_buyers)).toBeGreaterThan(0);
  expect(total((v) => v.taken) + total((v) => v.sold_to_buyers)).toBe(byStage.assigned! + byStage.converted!);
  for (const v of economics) {
    expect(v.cost_usd).toBeGreaterThan(0);
    expect(v.revenue_usd).toBeGreaterThan(0);
    expect(v.margin_usd).toBeCloseTo(v.revenue_usd - v.cost_usd, 2);
  }
});

describe('report', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await pgliteDataDir();
    const db = await openDatabase({ dataDir });
    const kept = leadRecords('kept', 'acme-leads');
    const turnedAway = leadRecords('turned-away', 'clickharbor');
    await db.transaction((tx) =>
      writeLeadEvents(tx, [
        toLeadEvent(consumed(TOPIC.leadsRaw, 'kept', kept.raw, 0)),
        toLeadEvent(consumed(TOPIC.leadsValid, 'kept', kept.valid, 0)),
        toLeadEvent(consumed(TOPIC.leadsEnriched, 'kept', kept.enriched, 0)),
        toLeadEvent(consumed(TOPIC.leadsRaw, 'turned-away', turnedAway.raw, 1)),
        toLeadEvent(consumed(TOPIC.leadsRejected, 'turned-away', turnedAway.rejected, 0)),
      ]),
    );
    await db.close();
  });

  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  test('prints each report as CSV for the days asked for', () => {
    const csv = (args: string[]) => {
      const result = runCli(['report', ...args, '--csv'], embedded(dataDir));
      expect(result.stderr).toBe('');
      return result.stdout;
    };
    expect(csv(['funnel', '--from', '2025-06-02', '--to', '2025-06-02'])).toBe(
      'stage,leads,share_of_received\nreceived,2,1\nvalid,1,0.5\nenriched,1,0.5\nrejected,1,0.5\n',
    );
    expect(csv(['funnel', '--from', '2025-06-03'])).toBe('');
    expect(csv(['dropoff'])).toBe(
      'from_stage,to_stage,entered,continued,dropped,drop_rate\nreceived,valid,2,1,1,0.5\nvalid,enriched,1,1,0,0\n',
    );
    expect(csv(['by-vendor'])).toBe(
      'vendor_id,received,valid,enriched,rejected,valid_rate,conversion_rate\n' +
        'acme-leads,1,1,1,0,1,0\nclickharbor,1,0,0,1,0,0\n',
    );
    expect(csv(['by-line'])).toBe(
      'line,received,valid,enriched,rejected,valid_rate,conversion_rate\nauto,2,1,1,1,0.5,0\n',
    );
    expect(csv(['rejections'])).toBe('code,leads,share_of_rejected\nduplicate_contact,1,1\n');
  });

  test('prints a table by default', () => {
    const result = runCli(['report', 'funnel'], embedded(dataDir));
    expect(result.stdout.split('\n')[0]).toMatch(/^STAGE\s+LEADS\s+SHARE_OF_RECEIVED$/);
    expect(result.stdout).toMatch(/^enriched\s+1\s+0\.5$/m);
  });

  test('names the option when a date is wrong, and the choices when a report is unknown', () => {
    const badDate = runCli(['report', 'funnel', '--from', '2025-13-01'], embedded(dataDir));
    expect(badDate.status).not.toBe(0);
    expect(badDate.stderr).toContain('--from must be a date as YYYY-MM-DD, got "2025-13-01"');
    const backwards = runCli(
      ['report', 'funnel', '--from', '2025-06-03', '--to', '2025-06-01'],
      embedded(dataDir),
    );
    expect(backwards.stderr).toContain('--from 2025-06-03 is after --to 2025-06-01');
    const unknown = runCli(['report', 'profit'], embedded(dataDir));
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/funnel, dropoff, by-vendor, by-line, rejections/);
  });

  test('refuses while another process owns the PGlite database, and says what to do', async () => {
    const owner = await openDatabase({ dataDir });
    try {
      const result = runCli(['report', 'funnel'], embedded(dataDir));
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`is in use by process ${process.pid}`);
      expect(result.stderr).toContain('use its HTTP API, or set DATABASE_URL');
    } finally {
      await owner.close();
    }
  });
});
