import { stringify } from 'csv-stringify/sync';
import type { Reason } from '../../schemas/lead-records';
import {
  type AccuracyRow,
  accuracyRows,
  type AgentCounts,
  type AgentRankRow,
  checkRange,
  conversionRows,
  type DayRange,
  dropOff,
  type DropOffRow,
  funnelRows,
  type FunnelRow,
  type GroupStageCount,
  rangeBounds,
  rankAgents,
  ratio,
  type StageCount,
} from './analytics';
import type { Queryable } from './database';
import { compareHistory } from './lead-events';

/** A lead as the read API shows it: where it is now and how it got there. Times are ISO 8601. */
export interface LeadView {
  leadId: string;
  vendorId: string;
  channel: string | null;
  line: string | null;
  state: string | null;
  zip: string | null;
  stage: string;
  score: number | null;
  tier: string | null;
  assignment: { agentId: string; status: string | null } | null;
  rejectionReasons: Reason[] | null;
  warnings: Reason[];
  receivedAt: string;
  updatedAt: string;
  /** Every stage event, oldest first; a re-run of a stage shows as a replay. */
  history: { stage: string; occurredAt: string; replay: boolean; eventId: string }[];
}

interface LeadRow {
  lead_id: string;
  vendor_id: string;
  channel: string | null;
  line: string | null;
  state: string | null;
  zip: string | null;
  stage: string;
  score: number | null;
  tier: string | null;
  agent_id: string | null;
  assignment_status: string | null;
  rejection_reasons: Reason[] | null;
  warnings: Reason[];
  received_at: Date;
  updated_at: Date;
}

/**
 * One lead with its history, or null when there is none, or none for this vendor: scoped to a
 * vendor, another vendor's lead is indistinguishable from a missing one.
 */
export async function getLead(
  db: Queryable,
  leadId: string,
  scope: { vendorId?: string } = {},
): Promise<LeadView | null> {
  const { rows } = await db.query<LeadRow>(
    `SELECT lead_id, vendor_id, channel, line, state, zip, stage, score, tier, agent_id,
            assignment_status, rejection_reasons, warnings, received_at, updated_at
     FROM leads WHERE lead_id = $1 AND ($2::text IS NULL OR vendor_id = $2)`,
    [leadId, scope.vendorId ?? null],
  );
  const lead = rows[0];
  if (!lead) return null;
  const events = await db.query<{ event_id: string; stage: string; occurred_at: Date; replay: boolean }>(
    'SELECT event_id, stage, occurred_at, replay FROM lead_events WHERE lead_id = $1',
    [leadId],
  );
  const history = events.rows
    .map((e) => ({
      stage: e.stage,
      occurredAt: e.occurred_at.getTime(),
      replay: e.replay,
      eventId: e.event_id,
    }))
    .sort(compareHistory)
    .map((e) => ({ ...e, occurredAt: new Date(e.occurredAt).toISOString() }));
  return {
    leadId: lead.lead_id,
    vendorId: lead.vendor_id,
    channel: lead.channel,
    line: lead.line,
    state: lead.state,
    zip: lead.zip,
    stage: lead.stage,
    score: lead.score,
    tier: lead.tier,
    assignment: lead.agent_id ? { agentId: lead.agent_id, status: lead.assignment_status } : null,
    rejectionReasons: lead.rejection_reasons,
    warnings: lead.warnings,
    receivedAt: lead.received_at.toISOString(),
    updatedAt: lead.updated_at.toISOString(),
    history,
  };
}

// Funnel reports count leads by the UTC day they were received, so every stage of one range
// describes the same leads.
const IN_RANGE = '($1::date IS NULL OR day >= $1::date) AND ($2::date IS NULL OR day <= $2::date)';

async function stageCounts(db: Queryable, range: DayRange): Promise<StageCount[]> {
  const { from = null, to = null } = checkRange(range);
  const { rows } = await db.query<StageCount>(
    `SELECT stage, sum(leads)::int AS leads FROM funnel_daily WHERE ${IN_RANGE} GROUP BY stage`,
    [from, to],
  );
  return rows;
}

/** Leads that reached each stage. */
export async function funnel(db: Queryable, range: DayRange = {}): Promise<FunnelRow[]> {
  return funnelRows(await stageCounts(db, range));
}

/** Leads lost between consecutive stages. */
export async function dropOffByStage(db: Queryable, range: DayRange = {}): Promise<DropOffRow[]> {
  return dropOff(await stageCounts(db, range));
}

const GROUPS = { vendor: 'vendor_id', line: 'line' } as const;

/** Stage counts and valid/conversion rates per vendor (the lead's source) or per insurance line. */
export async function conversionBy(db: Queryable, by: keyof typeof GROUPS, range: DayRange = {}) {
  const { from = null, to = null } = checkRange(range);
  const column = GROUPS[by];
  const { rows } = await db.query<GroupStageCount>(
    `SELECT ${column} AS "group", stage, sum(leads)::int AS leads
     FROM funnel_daily WHERE ${IN_RANGE} GROUP BY ${column}, stage`,
    [from, to],
  );
  return conversionRows(rows, column);
}

export interface RejectionRow {
  code: string;
  leads: number;
  /** leads / rejected leads, 0..1; a lead with several reasons counts under each. */
  share_of_rejected: number;
}

/** Rejected leads per reason code, for leads received in the range. */
export async function rejectionsByReason(db: Queryable, range: DayRange = {}): Promise<RejectionRow[]> {
  const { start, end } = rangeBounds(checkRange(range));
  const { rows } = await db.query<{ code: string; leads: number; rejected: number }>(
    `WITH rejected AS (
       SELECT lead_id, rejection_reasons FROM leads
       WHERE stage = 'rejected'
         AND ($1::timestamptz IS NULL OR received_at >= $1::timestamptz)
         AND ($2::timestamptz IS NULL OR received_at < $2::timestamptz))
     SELECT reason->>'code' AS code, count(DISTINCT lead_id)::int AS leads,
            (SELECT count(*)::int FROM rejected) AS rejected
     FROM rejected CROSS JOIN LATERAL jsonb_array_elements(rejection_reasons) AS reason
     GROUP BY reason->>'code'
     ORDER BY leads DESC, code`,
    [start, end],
  );
  return rows.map((r) => ({
    code: r.code,
    leads: r.leads,
    share_of_rejected: ratio(r.leads, r.rejected),
  }));
}

/** Totals to check the read models against the topics they come from. */
export async function totals(
  db: Queryable,
): Promise<{ leads: number; events: number; leadsByStage: Record<string, number> }> {
  const byStage = await db.query<{ stage: string; leads: number }>(
    'SELECT stage, count(*)::int AS leads FROM leads GROUP BY stage',
  );
  const events = await db.query<{ events: number }>('SELECT count(*)::int AS events FROM lead_events');
  const leadsByStage = Object.fromEntries(byStage.rows.map((r) => [r.stage, r.leads]));
  return {
    leads: byStage.rows.reduce((sum, r) => sum + r.leads, 0),
    events: events.rows[0]!.events,
    leadsByStage,
  };
}

/** Rows as CSV with a header line; columns are the first row's keys unless given (none: ''). */
export function toCsv(rows: readonly object[], columns?: readonly string[]): string {
  const header = columns ?? Object.keys(rows[0] ?? {});
  if (header.length === 0) return '';
  return stringify(
    rows.map((row) => header.map((column) => (row as Record<string, unknown>)[column])),
    { header: true, columns: [...header] },
  );
}

export interface OpenOffer {
  leadId: string;
  offerId: string;
  routingGroup: string | null;
  line: string | null;
  state: string | null;
  score: number | null;
  tier: string | null;
  offeredAt: string;
  expiresAt: string | null;
}

/**
 * The offers an agent has open, as far as the read models have caught up: leads whose latest
 * transition is an offer to this agent. Oldest first, as they lapse in that order.
 */
export async function openOffers(db: Queryable, agentId: string): Promise<OpenOffer[]> {
  const { rows } = await db.query<{
    lead_id: string;
    line: string | null;
    state: string | null;
    score: number | null;
    tier: string | null;
    updated_at: Date;
    payload: { offerId?: string; routingGroup?: string | null; expiresAt?: number | null };
  }>(
    `SELECT lead_id, line, state, score, tier, updated_at, payload FROM leads
     WHERE agent_id = $1 AND stage = 'matched' AND assignment_status IN ('offered', 'reoffered')
     ORDER BY updated_at`,
    [agentId],
  );
  return rows.map((row) => ({
    leadId: row.lead_id,
    offerId: row.payload.offerId ?? '',
    routingGroup: row.payload.routingGroup ?? null,
    line: row.line,
    state: row.state,
    score: row.score,
    tier: row.tier,
    offeredAt: row.updated_at.toISOString(),
    expiresAt: row.payload.expiresAt ? new Date(row.payload.expiresAt).toISOString() : null,
  }));
}

/** Every agent that was offered a lead, ranked (see rankAgents). */
export async function agentRanking(db: Queryable): Promise<AgentRankRow[]> {
  const { rows } = await db.query<AgentCounts>(
    `WITH offered AS (
       SELECT payload->>'offerId' AS offer_id, min(occurred_at) AS at FROM assignments
       WHERE status IN ('offered', 'reoffered') GROUP BY 1),
     waits AS (
       SELECT a.agent_id, extract(epoch FROM a.occurred_at - o.at)::float AS seconds
       FROM assignments a JOIN offered o ON o.offer_id = a.payload->>'offerId'
       WHERE a.status = 'accepted')
     SELECT e.agent_id,
       count(*) FILTER (WHERE e.status IN ('offered', 'reoffered'))::int AS offers,
       count(*) FILTER (WHERE e.status = 'accepted')::int AS accepted,
       count(*) FILTER (WHERE e.status = 'declined')::int AS declined,
       count(*) FILTER (WHERE e.status = 'expired')::int AS lapsed,
       count(*) FILTER (WHERE e.status = 'completed' AND e.payload->>'outcome' = 'sold')::int AS sold,
       count(*) FILTER (WHERE e.status = 'completed' AND e.payload->>'outcome' = 'lost')::int AS lost,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY w.seconds) FROM waits w
        WHERE w.agent_id = e.agent_id) AS median_seconds_to_accept
     FROM assignments e WHERE e.agent_id <> '' GROUP BY e.agent_id`,
  );
  return rankAgents(
    rows.map((r) => ({
      ...r,
      median_seconds_to_accept:
        r.median_seconds_to_accept === null ? null : Math.round(Number(r.median_seconds_to_accept)),
    })),
  );
}

/**
 * Closed leads (sold or lost, as agents reported them) with the score they were routed with: the
 * AI's accuracy against what actually happened.
 */
export async function scoreAccuracy(db: Queryable): Promise<AccuracyRow[]> {
  const { rows } = await db.query<{ score: number; sold: boolean }>(
    `SELECT l.score, bool_or(o.outcome = 'sold') AS sold
     FROM lead_outcomes o JOIN leads l ON l.lead_id = o.lead_id
     WHERE o.outcome IN ('sold', 'lost') AND l.score IS NOT NULL
     GROUP BY l.lead_id, l.score`,
  );
  return accuracyRows(rows);
}
