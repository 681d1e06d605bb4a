/**
 * Vendor scorecards: per vendor (or per vendor and campaign), what its leads became and what
 * they cost and earned. Leads count by the UTC day they were received, like the funnel reports,
 * and every figure of a row is about those leads: their rejections, the agents who took them,
 * the outcomes reported and the ledger entries written for them, whenever those came.
 */
import { checkRange, type DayRange, rangeBounds, ratio } from './analytics';
import type { Queryable } from './database';

export type ScorecardGrouping = 'vendor' | 'campaign';

/** What the database counts per group; cents are net (cost less chargebacks, revenue less credits). */
export interface ScorecardCounts {
  vendor_id: string;
  /** Only when grouped by campaign; null for leads that named none. */
  campaign?: string | null;
  leads: number;
  rejected: number;
  /** Offered to at least one agent. */
  routed: number;
  /** Accepted by an agent. */
  accepted: number;
  /** Reported contacted, quoted or sold. */
  contacted: number;
  sold: number;
  cost_cents: number;
  revenue_cents: number;
  /** Leads with a revenue entry (sold on to an agent or buyer). */
  earning: number;
  /** Leads with a credit entry (returned). */
  returned: number;
}

export interface RejectionCount {
  vendor_id: string;
  campaign?: string | null;
  code: string;
  leads: number;
}

export interface ScorecardFigures {
  counts: ScorecardCounts[];
  /** Rejected leads per reason code; a lead with several reasons counts under each. */
  rejections: RejectionCount[];
}

/** One row of `leadflow report scorecard` (and scorecard-campaigns). Money in US dollars. */
export interface ScorecardRow {
  vendor_id: string;
  campaign?: string | null;
  leads: number;
  rejected: number;
  reject_rate: number;
  /** The most frequent reasons, `code:leads; ...`; null without rejections. */
  top_rejections: string | null;
  routed: number;
  accepted: number;
  contacted: number;
  sold: number;
  /** contacted / accepted and sold / accepted: of the leads agents worked. Null when none was accepted. */
  contact_rate: number | null;
  sale_rate: number | null;
  cost_usd: number;
  cost_per_lead_usd: number;
  /** Null without a sale. */
  cost_per_sale_usd: number | null;
  revenue_usd: number;
  margin_usd: number;
  returned: number;
  /** Returned leads / leads with revenue; null without revenue. */
  return_rate: number | null;
}

/** What a vendor sees of its own scorecard: what it was paid, never what we earned. */
export interface VendorScorecardRow {
  leads: number;
  rejected: number;
  reject_rate: number;
  rejections: { code: string; leads: number }[];
  accepted: number;
  contacted: number;
  sold: number;
  contact_rate: number | null;
  sale_rate: number | null;
  returned: number;
  return_rate: number | null;
  paid_usd: number;
  paid_per_lead_usd: number;
}

export interface VendorScorecard {
  vendor_id: string;
  /** Null when none of its leads were received in the range. */
  totals: VendorScorecardRow | null;
  campaigns: (VendorScorecardRow & { campaign: string | null })[];
}

const TOP_REJECTIONS = 5;

const GROUP_COLUMNS: Record<ScorecardGrouping, string> = {
  vendor: 'vendor_id',
  campaign: 'vendor_id, campaign',
};

/**
 * The leads received in the range, of one vendor when $3 is set. Not materialised, so the planner
 * sees the range in each subquery: materialised, it guessed 200 leads and looked them up one at a
 * time (9 s instead of 5 s for 500,000 leads on PostgreSQL).
 */
const LEADS_IN_RANGE = `
  l AS NOT MATERIALIZED (
    SELECT lead_id, vendor_id, campaign, stage, rejection_reasons FROM leads
    WHERE ($1::timestamptz IS NULL OR received_at >= $1::timestamptz)
      AND ($2::timestamptz IS NULL OR received_at < $2::timestamptz)
      AND ($3::text IS NULL OR vendor_id = $3))`;

const countsSql = (columns: string) => `
  WITH ${LEADS_IN_RANGE},
  offers AS (
    SELECT lead_id, bool_or(status IN ('offered', 'reoffered')) AS routed, bool_or(status = 'accepted') AS accepted
    FROM assignments WHERE lead_id IN (SELECT lead_id FROM l) GROUP BY lead_id),
  outcomes AS (
    SELECT lead_id, bool_or(outcome IN ('contacted', 'quoted', 'sold')) AS contacted,
      bool_or(outcome = 'sold') AS sold
    FROM lead_outcomes WHERE lead_id IN (SELECT lead_id FROM l) GROUP BY lead_id),
  money AS (
    SELECT lead_id,
      sum(CASE kind WHEN 'cost' THEN amount_cents WHEN 'chargeback' THEN -amount_cents ELSE 0 END) AS cost_cents,
      sum(CASE kind WHEN 'revenue' THEN amount_cents WHEN 'credit' THEN -amount_cents ELSE 0 END) AS revenue_cents,
      bool_or(kind = 'revenue') AS earning, bool_or(kind = 'credit') AS returned
    FROM ledger_entries WHERE lead_id IN (SELECT lead_id FROM l) GROUP BY lead_id)
  SELECT ${columns}, count(*)::int AS leads,
    count(*) FILTER (WHERE l.stage = 'rejected')::int AS rejected,
    count(*) FILTER (WHERE o.routed)::int AS routed,
    count(*) FILTER (WHERE o.accepted)::int AS accepted,
    count(*) FILTER (WHERE r.contacted)::int AS contacted,
    count(*) FILTER (WHERE r.sold)::int AS sold,
    coalesce(sum(m.cost_cents), 0)::float8 AS cost_cents,
    coalesce(sum(m.revenue_cents), 0)::float8 AS revenue_cents,
    count(*) FILTER (WHERE m.earning)::int AS earning,
    count(*) FILTER (WHERE m.returned)::int AS returned
  FROM l LEFT JOIN offers o USING (lead_id) LEFT JOIN outcomes r USING (lead_id)
    LEFT JOIN money m USING (lead_id)
  GROUP BY ${columns}`;

const rejectionsSql = (columns: string) => `
  WITH ${LEADS_IN_RANGE}
  SELECT ${columns}, reason->>'code' AS code, count(DISTINCT lead_id)::int AS leads
  FROM l CROSS JOIN LATERAL jsonb_array_elements(rejection_reasons) AS reason
  WHERE stage = 'rejected'
  GROUP BY ${columns}, reason->>'code'`;

/** The counts behind a scorecard, for leads received in the range (of one vendor if given). */
export async function scorecardFigures(
  db: Queryable,
  by: ScorecardGrouping,
  range: DayRange = {},
  vendorId: string | null = null,
): Promise<ScorecardFigures> {
  const { start, end } = rangeBounds(checkRange(range));
  const params = [start, end, vendorId];
  const columns = GROUP_COLUMNS[by];
  const counts = await db.query<ScorecardCounts>(countsSql(columns), params);
  const rejections = await db.query<RejectionCount>(rejectionsSql(columns), params);
  return { counts: counts.rows, rejections: rejections.rows };
}

const groupKey = (row: { vendor_id: string; campaign?: string | null }) =>
  `${row.vendor_id}\u0000${row.campaign ?? ''}`;

/** part / whole to four decimals; null when there is nothing to divide by. */
const rate = (part: number, whole: number) => (whole === 0 ? null : ratio(part, whole));

/** Cents to dollars, rounded to the cent. */
const usd = (cents: number) => Math.round(cents) / 100;

/** Each group's reasons, most leads first. */
function reasonsByGroup(
  rejections: readonly RejectionCount[],
): Map<string, { code: string; leads: number }[]> {
  const groups = new Map<string, { code: string; leads: number }[]>();
  for (const r of rejections) {
    const key = groupKey(r);
    groups.set(key, [...(groups.get(key) ?? []), { code: r.code, leads: r.leads }]);
  }
  for (const reasons of groups.values())
    reasons.sort((a, b) => b.leads - a.leads || a.code.localeCompare(b.code));
  return groups;
}

/** Busiest first, then by vendor and campaign (leads without one last). */
function compareGroups(a: ScorecardCounts, b: ScorecardCounts): number {
  return (
    b.leads - a.leads ||
    a.vendor_id.localeCompare(b.vendor_id) ||
    (a.campaign === b.campaign
      ? 0
      : a.campaign == null
        ? 1
        : b.campaign == null
          ? -1
          : a.campaign.localeCompare(b.campaign))
  );
}

/** The scorecard rows: rates, net money and the top rejection reasons per group. */
export function scorecardRows(figures: ScorecardFigures): ScorecardRow[] {
  const reasons = reasonsByGroup(figures.rejections);
  return [...figures.counts].sort(compareGroups).map((c) => {
    const top = (reasons.get(groupKey(c)) ?? []).slice(0, TOP_REJECTIONS);
    return {
      vendor_id: c.vendor_id,
      ...('campaign' in c ? { campaign: c.campaign } : {}),
      leads: c.leads,
      rejected: c.rejected,
      reject_rate: ratio(c.rejected, c.leads),
      top_rejections: top.length === 0 ? null : top.map((r) => `${r.code}:${r.leads}`).join('; '),
      routed: c.routed,
      accepted: c.accepted,
      contacted: c.contacted,
      sold: c.sold,
      contact_rate: rate(c.contacted, c.accepted),
      sale_rate: rate(c.sold, c.accepted),
      cost_usd: usd(c.cost_cents),
      cost_per_lead_usd: usd(c.cost_cents / c.leads),
      cost_per_sale_usd: c.sold === 0 ? null : usd(c.cost_cents / c.sold),
      revenue_usd: usd(c.revenue_cents),
      margin_usd: usd(c.revenue_cents - c.cost_cents),
      returned: c.returned,
      return_rate: rate(c.returned, c.earning),
    };
  });
}

function vendorRow(c: ScorecardCounts, reasons: { code: string; leads: number }[]): VendorScorecardRow {
  return {
    leads: c.leads,
    rejected: c.rejected,
    reject_rate: ratio(c.rejected, c.leads),
    rejections: reasons,
    accepted: c.accepted,
    contacted: c.contacted,
    sold: c.sold,
    contact_rate: rate(c.contacted, c.accepted),
    sale_rate: rate(c.sold, c.accepted),
    returned: c.returned,
    return_rate: rate(c.returned, c.earning),
    paid_usd: usd(c.cost_cents),
    paid_per_lead_usd: usd(c.cost_cents / c.leads),
  };
}

/** A vendor's own scorecard from figures by vendor and by campaign: its totals, then each campaign. */
export function vendorScorecardOf(
  vendorId: string,
  byVendor: ScorecardFigures,
  byCampaign: ScorecardFigures,
): VendorScorecard {
  const vendorReasons = reasonsByGroup(byVendor.rejections);
  const campaignReasons = reasonsByGroup(byCampaign.rejections);
  const totals = byVendor.counts.find((c) => c.vendor_id === vendorId);
  return {
    vendor_id: vendorId,
    totals: totals ? vendorRow(totals, vendorReasons.get(groupKey(totals)) ?? []) : null,
    campaigns: byCampaign.counts
      .filter((c) => c.vendor_id === vendorId)
      .sort(compareGroups)
      .map((c) => ({
        campaign: c.campaign ?? null,
        ...vendorRow(c, campaignReasons.get(groupKey(c)) ?? []),
      })),
  };
}

/** One vendor's own scorecard, for leads received in the range. */
export async function vendorScorecard(
  db: Queryable,
  vendorId: string,
  range: DayRange = {},
): Promise<VendorScorecard> {
  return vendorScorecardOf(
    vendorId,
    await scorecardFigures(db, 'vendor', range, vendorId),
    await scorecardFigures(db, 'campaign', range, vendorId),
  );
}

/** The scorecard report: one row per vendor, or per vendor and campaign. */
export async function scorecard(
  db: Queryable,
  by: ScorecardGrouping,
  range: DayRange = {},
): Promise<ScorecardRow[]> {
  return scorecardRows(await scorecardFigures(db, by, range));
}
