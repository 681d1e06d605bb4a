import type { Queryable } from './database';
import type { DoNotContactChange } from './do-not-contact';
import { latestPerKey } from './do-not-contact';
import { inRounds, type LeadEvent, type LeadFacts, STAGE_RANK, stagesReachedBy } from './lead-events';

/**
 * Writes a batch of lead events, inside the caller's transaction: new events into lead_events,
 * each lead's current-state row merged with them, and the stages they prove reached counted into
 * funnel_daily. An event already stored (same topic/partition/offset) changes nothing, so a batch
 * written twice leaves the tables as written once. Batches travel as one JSON parameter each,
 * which keeps statements few and clear of parameter limits.
 */
export async function writeLeadEvents(tx: Queryable, events: readonly LeadEvent[]): Promise<void> {
  if (events.length === 0) return;
  const inserted = await tx.query<{ event_id: string }>(
    `INSERT INTO lead_events (event_id, lead_id, stage, occurred_at, replay, payload)
     SELECT event_id, lead_id, stage, occurred_at, replay, payload
     FROM jsonb_to_recordset($1::jsonb)
       AS e(event_id text, lead_id text, stage text, occurred_at timestamptz, replay boolean, payload jsonb)
     ON CONFLICT (event_id) DO NOTHING
     RETURNING event_id`,
    [
      JSON.stringify(
        events.map((e) => ({
          event_id: e.eventId,
          lead_id: e.leadId,
          stage: e.stage,
          occurred_at: iso(e.occurredAt),
          replay: e.replay,
          payload: e.payload,
        })),
      ),
    ],
  );
  const isNew = new Set(inserted.rows.map((row) => row.event_id));
  const fresh = events.filter((e) => isNew.has(e.eventId));
  for (const round of inRounds(fresh)) await mergeLeads(tx, round);
  await countStagesReached(tx, fresh);
}

/** Current-state columns an event fills, with their SQL types. */
const FACT_COLUMNS: readonly (readonly [keyof LeadFacts, string, string])[] = [
  ['vendorId', 'vendor_id', 'text'],
  ['channel', 'channel', 'text'],
  ['campaign', 'campaign', 'text'],
  ['line', 'line', 'text'],
  ['state', 'state', 'text'],
  ['zip', 'zip', 'text'],
  ['score', 'score', 'smallint'],
  ['tier', 'tier', 'text'],
  ['agentId', 'agent_id', 'text'],
  ['assignmentStatus', 'assignment_status', 'text'],
  ['rejectionReasons', 'rejection_reasons', 'jsonb'],
  ['warnings', 'warnings', 'jsonb'],
];

// The merge rule, the same for every column: the more advanced stage's value wins, and a value
// either side lacks is taken from the other. So a lead's row ends the same whatever order its
// stages' events arrive in; of two events of one stage (a replay), the later written wins.
const ADVANCES = 'excluded.stage_rank >= cur.stage_rank';
const merged = (column: string) =>
  `${column} = CASE WHEN ${ADVANCES} THEN COALESCE(excluded.${column}, cur.${column}) ELSE COALESCE(cur.${column}, excluded.${column}) END`;

const factColumns = FACT_COLUMNS.map(([, column]) => column);

const MERGE_LEADS = `
  INSERT INTO leads AS cur (lead_id, stage, stage_rank, ${factColumns.join(', ')}, payload, received_at, updated_at)
  SELECT lead_id, stage, stage_rank, ${factColumns.join(', ')}, payload, received_at, updated_at
  FROM jsonb_to_recordset($1::jsonb) AS e(
    lead_id text, stage text, stage_rank smallint,
    ${FACT_COLUMNS.map(([, column, type]) => `${column} ${type}`).join(', ')},
    payload jsonb, received_at timestamptz, updated_at timestamptz)
  ON CONFLICT (lead_id) DO UPDATE SET
    stage = CASE WHEN ${ADVANCES} THEN excluded.stage ELSE cur.stage END,
    stage_rank = GREATEST(cur.stage_rank, excluded.stage_rank),
    ${factColumns.map(merged).join(',\n    ')},
    payload = CASE WHEN ${ADVANCES} THEN excluded.payload ELSE cur.payload END,
    received_at = LEAST(cur.received_at, excluded.received_at),
    updated_at = GREATEST(cur.updated_at, excluded.updated_at)`;

async function mergeLeads(tx: Queryable, round: readonly LeadEvent[]): Promise<void> {
  const rows = round.map((e) => {
    const row: Record<string, unknown> = {
      lead_id: e.leadId,
      stage: e.stage,
      stage_rank: STAGE_RANK[e.stage],
      payload: e.payload,
      received_at: iso(e.receivedAt),
      updated_at: iso(e.occurredAt),
    };
    for (const [fact, column] of FACT_COLUMNS) row[column] = e.facts[fact];
    return row;
  });
  await tx.query(MERGE_LEADS, [JSON.stringify(rows)]);
}

/**
 * Records the (lead, stage) pairs reached for the first time and adds exactly those to
 * funnel_daily. A lead counts under the day, vendor and line it was received with at every stage,
 * even where a later stage says otherwise (score corrects a vendor's line), so funnel rows agree. Rows are locked in key order, so sink tasks writing concurrently cannot deadlock.
 */
async function countStagesReached(tx: Queryable, events: readonly LeadEvent[]): Promise<void> {
  const reached = stagesReachedBy(events);
  if (reached.length === 0) return;
  await tx.query(
    `WITH reached AS (
       INSERT INTO lead_stages (lead_id, stage, received_on, vendor_id, line, first_event_id)
       SELECT r.lead_id, r.stage, COALESCE(s.received_on, r.received_on), COALESCE(s.vendor_id, r.vendor_id),
         COALESCE(s.line, r.line), r.first_event_id
       FROM jsonb_to_recordset($1::jsonb)
         AS r(lead_id text, stage text, received_on date, vendor_id text, line text, first_event_id text)
       LEFT JOIN lead_stages s ON s.lead_id = r.lead_id AND s.stage = 'received'
       ON CONFLICT (lead_id, stage) DO NOTHING
       RETURNING received_on, stage, vendor_id, line)
     INSERT INTO funnel_daily AS f (day, stage, vendor_id, line, leads)
     SELECT received_on, stage, vendor_id, line, count(*) FROM reached
     GROUP BY received_on, stage, vendor_id, line
     ORDER BY received_on, stage, vendor_id, line
     ON CONFLICT (day, stage, vendor_id, line) DO UPDATE SET leads = f.leads + excluded.leads`,
    [
      JSON.stringify(
        reached.map((r) => ({
          lead_id: r.leadId,
          stage: r.stage,
          received_on: r.receivedOn,
          vendor_id: r.vendorId,
          line: r.line,
          first_event_id: r.firstEventId,
        })),
      ),
    ],
  );
}

/**
 * Applies do-not-contact changes (the last per identity). Each identity keeps the offset of the
 * last change applied to it: a set as its do_not_contact row, a removal as its row in
 * do_not_contact_removals. A change applies only if it is newer, so records read again (a replay
 * from an earlier offset, a rebuilt task) never move the list back, not even for a moment.
 */
export async function writeDoNotContactChanges(
  tx: Queryable,
  changes: readonly DoNotContactChange[],
): Promise<void> {
  const latest = latestPerKey(changes);
  const sets = latest.flatMap((c) =>
    c.entry
      ? [
          {
            identity_key: c.identityKey,
            kind: c.entry.kind,
            reason: c.entry.reason,
            source: c.entry.source,
            added_at: iso(c.entry.addedAt),
            source_offset: c.offset,
            event_id: c.eventId,
          },
        ]
      : [],
  );
  const removals = latest.flatMap((c) =>
    c.entry ? [] : [{ identity_key: c.identityKey, source_offset: c.offset, event_id: c.eventId }],
  );
  if (sets.length > 0) {
    await tx.query(
      `WITH c AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS c(identity_key text, kind text, reason text,
           source text, added_at timestamptz, source_offset bigint, event_id text)
         WHERE NOT EXISTS (SELECT 1 FROM do_not_contact_removals r
           WHERE r.identity_key = c.identity_key AND r.source_offset >= c.source_offset)),
       listed AS (
         INSERT INTO do_not_contact AS cur (identity_key, kind, reason, source, added_at, source_offset, event_id)
         SELECT identity_key, kind, reason, source, added_at, source_offset, event_id FROM c
         ON CONFLICT (identity_key) DO UPDATE SET
           kind = excluded.kind, reason = excluded.reason, source = excluded.source,
           added_at = excluded.added_at, source_offset = excluded.source_offset, event_id = excluded.event_id
         WHERE cur.source_offset < excluded.source_offset
         RETURNING identity_key)
       DELETE FROM do_not_contact_removals r USING listed WHERE r.identity_key = listed.identity_key`,
      [JSON.stringify(sets)],
    );
  }
  if (removals.length > 0) {
    await tx.query(
      `WITH c AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS c(identity_key text, source_offset bigint, event_id text)
         WHERE NOT EXISTS (SELECT 1 FROM do_not_contact d
           WHERE d.identity_key = c.identity_key AND d.source_offset >= c.source_offset)),
       unlisted AS (DELETE FROM do_not_contact d USING c WHERE d.identity_key = c.identity_key)
       INSERT INTO do_not_contact_removals AS cur (identity_key, source_offset, event_id)
       SELECT identity_key, source_offset, event_id FROM c
       ON CONFLICT (identity_key) DO UPDATE SET
         source_offset = excluded.source_offset, event_id = excluded.event_id
       WHERE cur.source_offset < excluded.source_offset`,
      [JSON.stringify(removals)],
    );
  }
}

export const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Inserts the rows whose key is new and leaves the others alone: how append-only tables (events,
 * the ledger, comments) are written, so a batch written twice changes nothing. `columns` maps
 * each column to its SQL type; the rows travel as one JSON parameter.
 */
export async function insertNew(
  tx: Queryable,
  table: string,
  columns: Record<string, string>,
  key: readonly string[],
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  if (rows.length === 0) return;
  const names = Object.keys(columns);
  await tx.query(
    `INSERT INTO ${table} (${names.join(', ')})
     SELECT ${names.join(', ')}
     FROM jsonb_to_recordset($1::jsonb) AS r(${names.map((n) => `${n} ${columns[n]}`).join(', ')})
     ON CONFLICT (${key.join(', ')}) DO NOTHING`,
    [JSON.stringify(rows)],
  );
}
