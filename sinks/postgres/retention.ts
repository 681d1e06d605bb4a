/**
 * Retention in the read models: the contact details a data class's records brought into the
 * tables leave them once the class's retention has passed, as the records leave their topics.
 * Rows stay, so a lead's history, the funnel (lead_stages, funnel_daily) and the reports keep
 * their counts; what goes is each payload (the record as it was on its topic) and the messages
 * of rejection reasons and warnings, which quote the values they found wrong.
 */
import client from 'prom-client';
import type { Logger } from 'pino';
import { registry } from '../../runtime/metrics';
import { type DataClass, dataRetention, type RetentionDays } from '../../topics/platform';
import type { Queryable } from './database';
import type { Stage } from './lead-events';

/**
 * The stages whose records come from each class's topics (LEAD_TOPICS in lead-events.ts): a
 * lead_events row of such a stage holds that record, and so does the leads row of a lead that
 * stopped there. Training rows live only on model.training: no table holds them.
 */
export const CLASS_STAGES: Partial<Record<DataClass, readonly Stage[]>> = {
  rawLeads: ['received', 'valid', 'enriched', 'scored'],
  rejectedLeads: ['rejected'],
};

export type PurgedRows = Partial<Record<DataClass, { leadEvents: number; leads: number }>>;

/** How often the process running the postgres-leads sink purges. */
const RETENTION_PURGE_INTERVAL_MS = 3_600_000;

const DAY_MS = 24 * 3_600_000;

const purgedRowsTotal = new client.Counter({
  name: 'leadflow_retention_purged_rows_total',
  help: 'Read-model rows whose contact details the retention purge removed, by data class and table.',
  labelNames: ['class', 'table'] as const,
  registers: [registry],
});

/** Reasons as the reports count them (code and field), without the message quoting the value. */
const codesOnly = (column: string) =>
  `CASE WHEN ${column} IS NULL THEN NULL ELSE COALESCE(
     (SELECT jsonb_agg(jsonb_build_object('code', r->'code', 'field', r->'field', 'message', ''))
      FROM jsonb_array_elements(${column}) AS r),
     '[]'::jsonb) END`;

/**
 * A leads row's reasons and warnings with their messages emptied (the codes stay): part of the SET
 * list of an UPDATE of `leads`, shared by the retention purge and erasure (sinks/postgres/privacy.ts).
 */
export const REASON_CODES_ONLY = `rejection_reasons = ${codesOnly('rejection_reasons')},
      warnings = ${codesOnly('warnings')}`;

/** What a purged leads row keeps of its record: none. */
const PURGED_LEAD_COLUMNS = `payload = '{}'::jsonb, ${REASON_CODES_ONLY}`;

// SKIP LOCKED: two processes purging at once (several run the sink on Kafka) split the rows
// instead of waiting for each other, and neither waits on a row a sink is writing.
const PURGE_LEAD_EVENTS = `
  WITH purged AS (
    UPDATE lead_events SET payload = '{}'::jsonb
    WHERE event_id IN (
      SELECT event_id FROM lead_events
      WHERE stage = ANY($1::text[]) AND occurred_at < $2::timestamptz AND payload <> '{}'::jsonb
      LIMIT $3 FOR UPDATE SKIP LOCKED)
    RETURNING 1)
  SELECT count(*)::int AS rows FROM purged`;

const PURGE_LEADS = `
  WITH purged AS (
    UPDATE leads SET ${PURGED_LEAD_COLUMNS}
    WHERE lead_id IN (
      SELECT lead_id FROM leads
      WHERE stage = ANY($1::text[]) AND received_at < $2::timestamptz AND payload <> '{}'::jsonb
      LIMIT $3 FOR UPDATE SKIP LOCKED)
    RETURNING 1)
  SELECT count(*)::int AS rows FROM purged`;

export interface PurgeOptions {
  log: Logger;
  now?: number;
  /** Rows per statement (default 1000): each is its own short transaction, so sinks never wait long. */
  batchRows?: number;
  /** Stops between batches; what is left waits for the next run. */
  signal?: AbortSignal;
}

/**
 * Removes the contact details of every row past its class's retention (`retention`: the
 * configuration's, `retentionSettings(config)`, else the default). A row is past it when its
 * event occurred (lead_events) or its lead was received (leads) longer ago than that. Running it
 * again changes nothing until more rows age past retention.
 */
export async function purgeExpired(
  db: Queryable,
  retention: Partial<RetentionDays>,
  options: PurgeOptions,
): Promise<PurgedRows> {
  const days = dataRetention(retention);
  const now = options.now ?? Date.now();
  const purged: PurgedRows = {};
  for (const [dataClass, stages] of Object.entries(CLASS_STAGES) as [DataClass, Stage[]][]) {
    const cutoff = new Date(now - days[dataClass] * DAY_MS).toISOString();
    const rows = {
      leadEvents: await inBatches(db, PURGE_LEAD_EVENTS, [stages, cutoff], options),
      leads: await inBatches(db, PURGE_LEADS, [stages, cutoff], options),
    };
    purgedRowsTotal.inc({ class: dataClass, table: 'lead_events' }, rows.leadEvents);
    purgedRowsTotal.inc({ class: dataClass, table: 'leads' }, rows.leads);
    purged[dataClass] = rows;
  }
  options.log.info({ purged, retentionDays: days }, 'retention: contact details past retention removed');
  return purged;
}

async function inBatches(
  db: Queryable,
  sql: string,
  params: unknown[],
  { batchRows = 1000, signal }: PurgeOptions,
): Promise<number> {
  let total = 0;
  while (!signal?.aborted) {
    const { rows } = await db.query<{ rows: number }>(sql, [...params, batchRows]);
    const purged = rows[0]!.rows;
    total += purged;
    if (purged < batchRows) break;
  }
  return total;
}

/** Purges now and then every `intervalMs`; a failed run is logged and the next one tries again. */
export function scheduleRetentionPurge(options: {
  database: Queryable;
  retention: Partial<RetentionDays>;
  log: Logger;
  intervalMs?: number;
}): { stop(): Promise<void> } {
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const run = () => {
    running = purgeExpired(options.database, options.retention, {
      log: options.log,
      signal: stopping.signal,
    })
      .catch((error: unknown) =>
        // The message and code only: a driver's error detail can quote the row.
        options.log.warn(
          { error: { message: (error as Error).message, code: (error as { code?: string }).code } },
          'retention: purge failed; retrying next interval',
        ),
      )
      .finally(() => {
        if (!stopping.signal.aborted)
          timer = setTimeout(run, options.intervalMs ?? RETENTION_PURGE_INTERVAL_MS);
      });
  };
  run();
  return {
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
