/** Program figures from the rewards read models, for `leadflow report rewards`, the demo and the API. */
import type { Queryable } from './database';

export interface PartnerFigures {
  partnerId: string;
  referrals: number;
  converted: number;
  premiumCents: number;
  commissionCents: number;
  paidCents: number;
  /** Premium sold per commission dollar; null before any commission. */
  roi: number | null;
}

export interface RewardFigures {
  referralsByStatus: Record<string, number>;
  referrals: number;
  converted: number;
  /** Converted (incl. rewarded and clawed back) over all referrals that reached a decision. */
  conversionRate: number | null;
  /** Partner credits net of clawbacks, and what payouts have debited. */
  commissionsEarnedCents: number;
  commissionsPaidCents: number;
  commissionsOwedCents: number;
  partners: PartnerFigures[];
  agentsWithPoints: number;
  points: { total: number; min: number; median: number; p90: number; max: number };
  tierCounts: Record<string, number>;
}

const CONVERTED = ['converted', 'rewarded', 'clawed_back'];
const DECIDED = [...CONVERTED, 'rejected', 'expired'];

export async function rewardFigures(db: Queryable): Promise<RewardFigures> {
  const statuses = await db.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM referrals GROUP BY status ORDER BY status',
  );
  const referralsByStatus = Object.fromEntries(statuses.rows.map((r) => [r.status, r.n]));
  const count = (names: string[]) => names.reduce((sum, s) => sum + (referralsByStatus[s] ?? 0), 0);
  const ledger = await db.query<{ earned: number; paid: number }>(
    `SELECT coalesce(sum(amount_usd) FILTER (WHERE reason <> 'payout'), 0)::float8 * 100 AS earned,
            coalesce(-sum(amount_usd) FILTER (WHERE reason = 'payout'), 0)::float8 * 100 AS paid
     FROM rewards_ledger WHERE account_kind = 'partner'`,
  );
  const partners = await db.query<{
    partner_id: string;
    referrals: number;
    converted: number;
    premium_cents: number;
    commission_cents: number;
    paid_cents: number;
  }>(
    `WITH r AS (
       SELECT partner_id, count(*)::int AS referrals,
              count(*) FILTER (WHERE status = ANY($1::text[]))::int AS converted,
              coalesce(sum(premium_cents) FILTER (WHERE status = ANY($1::text[]) AND status <> 'clawed_back'), 0)::float8 AS premium_cents
       FROM referrals GROUP BY partner_id),
     l AS (
       SELECT account_id AS partner_id,
              coalesce(sum(amount_usd) FILTER (WHERE reason <> 'payout'), 0)::float8 * 100 AS commission_cents,
              coalesce(-sum(amount_usd) FILTER (WHERE reason = 'payout'), 0)::float8 * 100 AS paid_cents
       FROM rewards_ledger WHERE account_kind = 'partner' GROUP BY account_id)
     SELECT coalesce(r.partner_id, l.partner_id) AS partner_id, coalesce(r.referrals, 0) AS referrals,
            coalesce(r.converted, 0) AS converted, coalesce(r.premium_cents, 0) AS premium_cents,
            coalesce(l.commission_cents, 0) AS commission_cents, coalesce(l.paid_cents, 0) AS paid_cents
     FROM r FULL JOIN l ON l.partner_id = r.partner_id
     ORDER BY 1`,
    [CONVERTED],
  );
  const points = await db.query<{ points: number }>(
    `SELECT sum(points)::int AS points FROM rewards_ledger WHERE account_kind = 'agent'
     GROUP BY account_id ORDER BY 1`,
  );
  const tiers = await db.query<{ tier: string; n: number }>(
    'SELECT tier, count(*)::int AS n FROM agent_tiers GROUP BY tier ORDER BY tier',
  );
  const sorted = points.rows.map((r) => r.points);
  const at = (q: number) =>
    sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const decided = count(DECIDED);
  const earned = Math.round(ledger.rows[0]!.earned);
  const paid = Math.round(ledger.rows[0]!.paid);
  return {
    referralsByStatus,
    referrals: statuses.rows.reduce((sum, r) => sum + r.n, 0),
    converted: count(CONVERTED),
    conversionRate: decided === 0 ? null : round(count(CONVERTED) / decided),
    commissionsEarnedCents: earned,
    commissionsPaidCents: paid,
    commissionsOwedCents: earned - paid,
    partners: partners.rows.map((p) => ({
      partnerId: p.partner_id,
      referrals: p.referrals,
      converted: p.converted,
      premiumCents: Math.round(p.premium_cents),
      commissionCents: Math.round(p.commission_cents),
      paidCents: Math.round(p.paid_cents),
      roi: p.commission_cents > 0 ? round(p.premium_cents / p.commission_cents) : null,
    })),
    agentsWithPoints: sorted.length,
    points: {
      total: sorted.reduce((sum, n) => sum + n, 0),
      min: sorted[0] ?? 0,
      median: at(0.5),
      p90: at(0.9),
      max: sorted.at(-1) ?? 0,
    },
    tierCounts: Object.fromEntries(tiers.rows.map((r) => [r.tier, r.n])),
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The figures as label/value rows, for a table or CSV. */
export function figureRows(f: RewardFigures): { figure: string; value: string }[] {
  const dollars = (cents: number) => (cents / 100).toFixed(2);
  const rows: [string, string | number][] = [
    ['referrals', f.referrals],
    ...Object.entries(f.referralsByStatus).map(
      ([status, n]) => [`referrals ${status}`, n] as [string, number],
    ),
    ['referral conversion rate', f.conversionRate === null ? '-' : f.conversionRate],
    ['commissions earned (USD)', dollars(f.commissionsEarnedCents)],
    ['commissions paid (USD)', dollars(f.commissionsPaidCents)],
    ['commissions owed (USD)', dollars(f.commissionsOwedCents)],
    ...f.partners.map(
      (p) =>
        [
          `partner ${p.partnerId}`,
          `${p.converted}/${p.referrals} converted, premium ${dollars(p.premiumCents)}, commission ${dollars(p.commissionCents)}, paid ${dollars(p.paidCents)}, premium per commission $ ${p.roi ?? '-'}`,
        ] as [string, string],
    ),
    ['agents with points', f.agentsWithPoints],
    ['points total', f.points.total],
    [
      'points min / median / p90 / max',
      `${f.points.min} / ${f.points.median} / ${f.points.p90} / ${f.points.max}`,
    ],
    ...Object.entries(f.tierCounts).map(([tier, n]) => [`agents ${tier}`, n] as [string, number]),
  ];
  return rows.map(([figure, value]) => ({ figure, value: String(value) }));
}

// Reads behind the partner and community API.

export interface ReferralView {
  leadId: string;
  status: string;
  reason: string | null;
  premiumCents: number | null;
  commissionCents: number | null;
  submittedAt: string | null;
  updatedAt: string;
}

export async function partnerReferrals(
  db: Queryable,
  partnerId: string,
  limit = 200,
): Promise<ReferralView[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT lead_id, status, reason, premium_cents::float8 AS premium_cents,
            commission_cents::float8 AS commission_cents, submitted_at, updated_at
     FROM referrals WHERE partner_id = $1 ORDER BY updated_at DESC, lead_id LIMIT $2`,
    [partnerId, limit],
  );
  return rows.map((r) => ({
    leadId: r.lead_id as string,
    status: r.status as string,
    reason: (r.reason as string | null) ?? null,
    premiumCents: r.premium_cents === null ? null : Number(r.premium_cents),
    commissionCents: r.commission_cents === null ? null : Number(r.commission_cents),
    submittedAt: r.submitted_at === null ? null : new Date(r.submitted_at as string).toISOString(),
    updatedAt: new Date(r.updated_at as string).toISOString(),
  }));
}

export interface AccountStatement {
  balance: { points: number; amountCents: number };
  entries: {
    eventId: string;
    reason: string;
    points: number;
    amountCents: number;
    period: string;
    leadId: string | null;
  }[];
  payouts: { batchId: string; period: string; amountCents: number; status: string }[];
}

/** An account's balance (summed from the ledger), its latest entries and its payout batches. */
export async function accountStatement(
  db: Queryable,
  kind: 'agent' | 'partner',
  accountId: string,
  limit = 100,
): Promise<AccountStatement> {
  const balance = await db.query<{ points: number; amount_cents: number }>(
    `SELECT coalesce(sum(points), 0)::float8 AS points, coalesce(sum(amount_usd) * 100, 0)::float8 AS amount_cents
     FROM rewards_ledger WHERE account_kind = $1 AND account_id = $2`,
    [kind, accountId],
  );
  const entries = await db.query<Record<string, unknown>>(
    `SELECT event_id, reason, points, (amount_usd * 100)::float8 AS amount_cents, period, lead_id
     FROM rewards_ledger WHERE account_kind = $1 AND account_id = $2
     ORDER BY occurred_at DESC, event_id LIMIT $3`,
    [kind, accountId, limit],
  );
  const payouts = await db.query<Record<string, unknown>>(
    `SELECT batch_id, period, amount_cents::float8 AS amount_cents, status FROM payouts
     WHERE partner_id = $1 ORDER BY period DESC`,
    [kind === 'partner' ? accountId : ''],
  );
  return {
    balance: {
      points: Number(balance.rows[0]!.points),
      amountCents: Math.round(Number(balance.rows[0]!.amount_cents)),
    },
    entries: entries.rows.map((e) => ({
      eventId: e.event_id as string,
      reason: e.reason as string,
      points: Number(e.points),
      amountCents: Math.round(Number(e.amount_cents)),
      period: e.period as string,
      leadId: (e.lead_id as string | null) ?? null,
    })),
    payouts: payouts.rows.map((p) => ({
      batchId: p.batch_id as string,
      period: p.period as string,
      amountCents: Number(p.amount_cents),
      status: p.status as string,
    })),
  };
}

export interface LeaderboardRow {
  rank: number;
  agentId: string;
  points: number;
  tier: string | null;
  routingGroup: string | null;
}

/** Agents by points earned in a period, all of them or one routing group's. */
export async function leaderboard(
  db: Queryable,
  options: { period: string; routingGroup?: string; limit?: number },
): Promise<LeaderboardRow[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT l.account_id AS agent_id, sum(l.points)::int AS points, t.tier, a.routing_group
     FROM rewards_ledger l
       LEFT JOIN agent_tiers t ON t.agent_id = l.account_id
       LEFT JOIN agents a ON a.agent_id = l.account_id
     WHERE l.account_kind = 'agent' AND l.period = $1 AND ($2::text IS NULL OR a.routing_group = $2)
     GROUP BY l.account_id, t.tier, a.routing_group
     ORDER BY points DESC, agent_id
     LIMIT $3`,
    [options.period, options.routingGroup ?? null, options.limit ?? 50],
  );
  return rows.map((r, i) => ({
    rank: i + 1,
    agentId: r.agent_id as string,
    points: Number(r.points),
    tier: (r.tier as string | null) ?? null,
    routingGroup: (r.routing_group as string | null) ?? null,
  }));
}

export interface TierStatus {
  agentId: string;
  tier: string;
  priorityBoost: number;
  dailyCapBonus: number;
  change: string;
  tierPeriod: string;
  periodPoints: number;
}

/** An agent's tier and its points in the period (null when the agent has no tier yet). */
export async function tierStatus(db: Queryable, agentId: string, period: string): Promise<TierStatus | null> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT t.agent_id, t.tier, t.priority_boost, t.daily_cap_bonus, t.change, t.period,
            (SELECT coalesce(sum(points), 0)::int FROM rewards_ledger
             WHERE account_kind = 'agent' AND account_id = t.agent_id AND period = $2) AS period_points
     FROM agent_tiers t WHERE t.agent_id = $1`,
    [agentId, period],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    agentId: r.agent_id as string,
    tier: r.tier as string,
    priorityBoost: Number(r.priority_boost),
    dailyCapBonus: Number(r.daily_cap_bonus),
    change: r.change as string,
    tierPeriod: r.period as string,
    periodPoints: Number(r.period_points),
  };
}

export interface PostView {
  postId: string;
  kind: string;
  authorId: string;
  category: string | null;
  title: string | null;
  body: string | null;
  featured: boolean;
  likes: number;
  comments: number;
  createdAt: string;
}

export async function communityPosts(
  db: Queryable,
  filter: { category?: string; featured?: boolean; postId?: string; limit?: number },
): Promise<PostView[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT p.post_id, p.kind, p.author_id, p.category, p.title, p.body, p.featured, p.created_at,
            (SELECT count(*)::int FROM community_likes l WHERE l.post_id = p.post_id) AS likes,
            (SELECT count(*)::int FROM community_comments c WHERE c.post_id = p.post_id) AS comments
     FROM community_posts p
     WHERE ($1::text IS NULL OR p.category = $1) AND ($2::boolean IS NULL OR p.featured = $2)
       AND ($3::text IS NULL OR p.post_id = $3)
     ORDER BY p.created_at DESC, p.post_id LIMIT $4`,
    [filter.category ?? null, filter.featured ?? null, filter.postId ?? null, filter.limit ?? 50],
  );
  return rows.map((r) => ({
    postId: r.post_id as string,
    kind: r.kind as string,
    authorId: r.author_id as string,
    category: (r.category as string | null) ?? null,
    title: (r.title as string | null) ?? null,
    body: (r.body as string | null) ?? null,
    featured: Boolean(r.featured),
    likes: Number(r.likes),
    comments: Number(r.comments),
    createdAt: new Date(r.created_at as string).toISOString(),
  }));
}
