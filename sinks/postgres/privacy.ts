/**
 * Erasure in the read models. The personal fields of an erased lead are unreadable on the topics
 * (its data key is gone) and rows never held them (`withholdPersonal`); what the tables still hold
 * is detail that could single the person out: each record as it was (payloads), the ZIP, city
 * and coordinates, messages quoting what was wrong with the lead, free text an agent or partner
 * wrote about it. Erasing a lead removes those and keeps the rest, so the funnel (lead_stages,
 * funnel_daily), the reports and the lead's history of stages stay as they were.
 *
 * The `postgres-privacy` sink applies each part of each request from privacy.erasures and keeps
 * the parts (privacy_erasures, for the status of a request) and the leads erased
 * (privacy_erased_leads). Sinks that write rows of leads (postgres-leads, postgres-routing) erase
 * again, in the same transaction, the rows they write for a lead already erased: an event that
 * comes after the erasure, or a rebuild of the tables from the topics, cannot bring the detail
 * back. Vectors are deleted by the vector sink (sinks/vectors/processor.ts), the one place that
 * writes them, whichever store holds them. The lead ledger (ledger_entries), buyers' returns
 * (buyer_returns) and a lead's campaign are kept: ids, vendor, campaign, line, state and money, nothing that could single the person
 * out, and what the vendor scorecards are summed from.
 */
import type { ConsumedRecord } from '../../runtime/records';
import type { PrivacyErasure } from '../../schemas/privacy-records';
import type { Queryable } from './database';
import { eventId, storableTime, withoutNul } from './lead-events';
import { REASON_CODES_ONLY } from './retention';
import { insertNew, iso } from './writer';

/** The sink of privacy.erasures. */
export const PRIVACY_SINK = 'postgres-privacy';

/** A privacy.erasures record as the sink stores it; throws (it is dead-lettered) when it never could be. */
export function toErasure(record: ConsumedRecord<unknown>): PrivacyErasure {
  const where = eventId(record);
  const erasure = record.value as PrivacyErasure | null;
  if (erasure === null) throw new Error(`${where} has no value (a tombstone on ${record.topic})`);
  if (!erasure.requestId || !erasure.part) throw new Error(`${where}: requestId or part is missing`);
  if (!Number.isInteger(erasure.parts) || erasure.parts < 1)
    throw new Error(`${where}: parts ${erasure.parts} is not a count of parts`);
  for (const [field, time] of [
    ['requestedAt', erasure.requestedAt],
    ['erasedAt', erasure.erasedAt],
  ] as const) {
    if (!storableTime(time)) throw new Error(`${where}: ${field} ${time} is not a storable time`);
  }
  return withoutNul({ ...erasure, leadIds: [...new Set(erasure.leadIds ?? [])] });
}

// Free text and location in the JSON payloads of routing and referral rows. Each becomes null
// where the record has it (jsonb_set without create_missing adds nothing), so a payload keeps its
// record's shape, and what the reports read from it (offerId, outcome, status) stays. Only
// objects are touched: a path into anything else would make the statement fail.
const LOCATION = ['zip', 'city', 'latitude', 'longitude'];

function withoutDetail(json: string, fields: readonly string[], nested: Record<string, string[]> = {}) {
  let expr = fields.reduce((e, field) => `jsonb_set(${e}, '{${field}}', 'null'::jsonb, false)`, json);
  for (const [field, inner] of Object.entries(nested)) {
    const value = `${json}->'${field}'`;
    expr = `CASE WHEN jsonb_typeof(${value}) = 'object'
      THEN jsonb_set(${expr}, '{${field}}', ${withoutDetail(value, inner)}, false) ELSE ${expr} END`;
  }
  return `CASE WHEN jsonb_typeof(${json}) = 'object' THEN ${expr} ELSE ${json} END`;
}

/**
 * What a leads row keeps of its record: what an open offer needs to be answered (openOffers in
 * read-models.ts), nothing about the lead.
 */
const OPEN_OFFER_ONLY = `(SELECT COALESCE(jsonb_object_agg(key, value), '{}'::jsonb)
    FROM jsonb_each(CASE WHEN jsonb_typeof(payload) = 'object' THEN payload ELSE '{}'::jsonb END)
    WHERE key IN ('offerId', 'routingGroup', 'expiresAt'))`;

const ASSIGNMENT_PAYLOAD = withoutDetail('payload', ['reason', ...LOCATION], { lead: LOCATION });
const OUTCOME_PAYLOAD = withoutDetail('payload', ['reason', ...LOCATION]);
const REFERRAL_PAYLOAD = withoutDetail('payload', ['note']);

/**
 * Erases, in one statement, every row of the leads among $1 that privacy_erased_leads names:
 * leads (the payload but for an open offer's id, group and expiry; ZIP; reason and warning
 * messages, as the retention purge does), lead_events
 * (payload), assignments and lead_outcomes (location and free-text reasons), referral_events
 * (the partner's note). Referrals keep their reason: it is written by the rewards stage from
 * codes and figures, never by a person. Running it again changes nothing.
 */
const ERASE_ROWS = `
  WITH erased AS (
    SELECT DISTINCT lead_id FROM privacy_erased_leads WHERE lead_id = ANY($1::text[])),
  leads_erased AS (
    UPDATE leads SET payload = ${OPEN_OFFER_ONLY}, ${REASON_CODES_ONLY}, zip = NULL
    WHERE lead_id IN (SELECT lead_id FROM erased)
    RETURNING 1),
  events_erased AS (
    UPDATE lead_events SET payload = '{}'::jsonb
    WHERE lead_id IN (SELECT lead_id FROM erased) AND payload <> '{}'::jsonb
    RETURNING 1),
  assignments_erased AS (
    UPDATE assignments SET payload = ${ASSIGNMENT_PAYLOAD}
    WHERE lead_id IN (SELECT lead_id FROM erased)
    RETURNING 1),
  outcomes_erased AS (
    UPDATE lead_outcomes SET payload = ${OUTCOME_PAYLOAD}
    WHERE lead_id IN (SELECT lead_id FROM erased)
    RETURNING 1),
  referral_events_erased AS (
    UPDATE referral_events SET payload = ${REFERRAL_PAYLOAD}
    WHERE lead_id IN (SELECT lead_id FROM erased)
    RETURNING 1)
  SELECT (SELECT count(*) FROM erased)::int AS leads,
    (SELECT count(*) FROM leads_erased)::int AS lead_rows,
    (SELECT count(*) FROM events_erased)::int AS lead_events,
    (SELECT count(*) FROM assignments_erased)::int AS assignments,
    (SELECT count(*) FROM outcomes_erased)::int AS lead_outcomes,
    (SELECT count(*) FROM referral_events_erased)::int AS referral_events`;

export interface ErasedRows {
  leads: number;
  lead_rows: number;
  lead_events: number;
  assignments: number;
  lead_outcomes: number;
  referral_events: number;
}

async function eraseRows(tx: Queryable, leadIds: readonly string[]): Promise<ErasedRows | null> {
  if (leadIds.length === 0) return null;
  const { rows } = await tx.query<ErasedRows>(ERASE_ROWS, [[...new Set(leadIds)]]);
  return rows[0]!;
}

/**
 * An erasure and a sink writing rows of the same lead must not pass each other: a row a sink
 * inserts while the erasure runs is invisible to the erasure's UPDATE, and the erasure's mark is
 * invisible to the sink until it commits. So sinks take this lock shared and the privacy sink
 * exclusively, first thing in their transactions: an erasure waits for the writes under way and
 * the writes wait for it. One lock for all leads (of this schema): erasures are rare and short,
 * and the lock is each transaction's first statement, so no deadlock can form around it.
 */
const LOCK = `hashtext('leadflow:privacy-erasure:' || current_schema())`;

/**
 * Writes rows of the leads `leadIds` with `write`, then erases again the rows of those of them
 * that were erased: inside the caller's transaction, which `write` must be part of.
 */
export async function keepingErasures(
  tx: Queryable,
  leadIds: readonly string[],
  write: () => Promise<void>,
): Promise<void> {
  if (leadIds.length === 0) return write();
  await tx.query(`SELECT pg_advisory_xact_lock_shared(${LOCK})`);
  await write();
  await eraseRows(tx, leadIds);
}

/**
 * Applies parts of erasure requests, inside the caller's transaction: the parts and the leads
 * erased are recorded (once: a part read again adds nothing) and those leads' rows erased.
 */
export async function writeErasures(
  tx: Queryable,
  erasures: readonly PrivacyErasure[],
): Promise<ErasedRows | null> {
  if (erasures.length === 0) return null;
  await tx.query(`SELECT pg_advisory_xact_lock(${LOCK})`);
  const parts = new Map(erasures.map((e) => [`${e.requestId}\u0000${e.part}`, e]));
  await insertNew(
    tx,
    'privacy_erasures',
    {
      request_id: 'text',
      part: 'text',
      parts: 'int',
      lead_count: 'int',
      requested_by: 'text',
      requested_at: 'timestamptz',
      erased_at: 'timestamptz',
    },
    ['request_id', 'part'],
    [...parts.values()].map((e) => ({
      request_id: e.requestId,
      part: e.part,
      parts: e.parts,
      lead_count: new Set(e.leadIds).size,
      requested_by: e.requestedBy,
      requested_at: iso(e.requestedAt),
      erased_at: iso(e.erasedAt),
    })),
  );
  const erased = new Map(
    erasures.flatMap((e) =>
      e.leadIds.map((leadId) => [
        `${leadId}\u0000${e.requestId}`,
        { lead_id: leadId, request_id: e.requestId },
      ]),
    ),
  );
  await insertNew(
    tx,
    'privacy_erased_leads',
    { lead_id: 'text', request_id: 'text' },
    ['lead_id', 'request_id'],
    [...erased.values()],
  );
  return eraseRows(
    tx,
    [...erased.values()].map((row) => row.lead_id),
  );
}

/** Where an erasure request is, as far as the read models have caught up. Times are ISO 8601. */
export interface ErasureStatus {
  requestId: string;
  /** Parts of the request: one per identity it named. */
  parts: number;
  partsDone: number;
  /** Leads erased so far, each once however many of the request's identities it carried. */
  leads: number;
  requestedAt: string;
  /** When the last part was done, once all are. */
  completedAt: string | null;
  status: 'pending' | 'done';
}

/** The status of an erasure request; null when no part of it has been done (or it is unknown). */
export async function erasureStatus(db: Queryable, requestId: string): Promise<ErasureStatus | null> {
  const { rows } = await db.query<{
    parts: number;
    parts_done: number;
    leads: number;
    requested_at: Date;
    last_erased_at: Date;
  }>(
    `SELECT max(parts)::int AS parts, count(*)::int AS parts_done,
       min(requested_at) AS requested_at, max(erased_at) AS last_erased_at,
       (SELECT count(DISTINCT lead_id)::int FROM privacy_erased_leads WHERE request_id = $1) AS leads
     FROM privacy_erasures WHERE request_id = $1
     HAVING count(*) > 0`,
    [requestId],
  );
  const row = rows[0];
  if (!row) return null;
  const done = row.parts_done >= row.parts;
  return {
    requestId,
    parts: row.parts,
    partsDone: row.parts_done,
    leads: row.leads,
    requestedAt: new Date(row.requested_at).toISOString(),
    completedAt: done ? new Date(row.last_erased_at).toISOString() : null,
    status: done ? 'done' : 'pending',
  };
}
