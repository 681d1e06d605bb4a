/**
 * The rewards read models: partners, referrals (folded from their steps), the ledger, agents'
 * tiers and community content. Every write is idempotent, so a batch written again (after a crash
 * or a replay) leaves the tables as written once.
 */
import type { Logger } from 'pino';
import { defineProcessor, type Processor } from '../../runtime/processor';
import type { ConsumedRecord } from '../../runtime/records';
import type {
  AgentTier,
  CommunityEvent,
  Partner,
  ReferralEvent,
  RewardEvent,
} from '../../schemas/reward-records';
import { TOPIC } from '../../topics/platform';
import type { Database, Queryable } from './database';
import { storableTime, withoutNul } from './lead-events';
import { keepingErasures } from './privacy';
import { insertNew, iso } from './writer';

/** How far a referral has come; a step never moves a referral back. */
const STATUS_RANK: Record<ReferralEvent['type'], number> = {
  submitted: 0,
  qualified: 1,
  converted: 2,
  rewarded: 3,
  expired: 4,
  rejected: 4,
  clawed_back: 5,
};

function timeOf(record: ConsumedRecord): number {
  const value = record.value as { at?: number; updatedAt?: number };
  return value.at ?? value.updatedAt ?? record.timestamp;
}

/** Throws (the record goes to the dead letter topic) when a record could never be stored. */
function checkStorable(record: ConsumedRecord): void {
  if (record.value === null) return;
  if (!storableTime(timeOf(record))) throw new Error(`${record.topic} ${record.key}: time is not storable`);
}

export async function writePartners(tx: Queryable, partners: readonly Partner[]): Promise<void> {
  const latest = new Map(partners.map((p) => [p.partnerId, p]));
  if (latest.size === 0) return;
  await tx.query(
    `INSERT INTO partners AS cur (partner_id, name, status, plan, routing_group, payout_method, payout_last4, registered_at, updated_at)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS p(partner_id text, name text, status text, plan text,
       routing_group text, payout_method text, payout_last4 text, registered_at timestamptz, updated_at timestamptz)
     ON CONFLICT (partner_id) DO UPDATE SET name = excluded.name, status = excluded.status, plan = excluded.plan,
       routing_group = excluded.routing_group, payout_method = excluded.payout_method,
       payout_last4 = excluded.payout_last4, updated_at = excluded.updated_at
     WHERE excluded.updated_at >= cur.updated_at`,
    [
      JSON.stringify(
        [...latest.values()].map((p) => ({
          partner_id: p.partnerId,
          name: p.name,
          status: p.status,
          plan: p.plan,
          routing_group: p.routingGroup,
          payout_method: p.payout?.method ?? null,
          payout_last4: p.payout?.last4 ?? null,
          registered_at: iso(p.registeredAt),
          updated_at: iso(p.updatedAt),
        })),
      ),
    ],
  );
}

interface ReferralRow {
  lead_id: string;
  partner_id: string;
  status: string;
  status_rank: number;
  reason: string | null;
  premium_cents: number | null;
  commission_cents: number | null;
  agent_id: string | null;
  submitted_at: string | null;
  updated_at: string;
}

/** Each referral's steps in the batch folded into one row, merged with the stored row the same way. */
function foldReferrals(events: readonly ReferralEvent[]): ReferralRow[] {
  const rows = new Map<string, ReferralRow>();
  for (const e of events) {
    const key = `${e.leadId}\u0000${e.partnerId}`;
    const rank = STATUS_RANK[e.type] ?? 0;
    const cur = rows.get(key);
    const advances = !cur || rank >= cur.status_rank;
    rows.set(key, {
      lead_id: e.leadId,
      partner_id: e.partnerId,
      status: advances ? e.type : cur.status,
      status_rank: Math.max(rank, cur?.status_rank ?? 0),
      reason: e.reason ?? cur?.reason ?? null,
      premium_cents: e.premiumCents ?? cur?.premium_cents ?? null,
      commission_cents: e.commissionCents ?? cur?.commission_cents ?? null,
      agent_id: e.agentId ?? cur?.agent_id ?? null,
      submitted_at: cur?.submitted_at ?? (e.type === 'submitted' ? iso(e.at) : null),
      updated_at: cur && cur.updated_at > iso(e.at) ? cur.updated_at : iso(e.at),
    });
  }
  return [...rows.values()];
}

export async function writeReferrals(tx: Queryable, events: readonly ReferralEvent[]): Promise<void> {
  if (events.length === 0) return;
  await insertNew(
    tx,
    'referral_events',
    {
      event_id: 'text',
      lead_id: 'text',
      partner_id: 'text',
      type: 'text',
      occurred_at: 'timestamptz',
      payload: 'jsonb',
    },
    ['event_id'],
    events.map((e) => ({
      event_id: e.eventId,
      lead_id: e.leadId,
      partner_id: e.partnerId,
      type: e.type,
      occurred_at: iso(e.at),
      payload: e,
    })),
  );
  await tx.query(
    `INSERT INTO referrals AS cur (lead_id, partner_id, status, status_rank, reason, premium_cents,
       commission_cents, agent_id, submitted_at, updated_at)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(lead_id text, partner_id text, status text,
       status_rank smallint, reason text, premium_cents bigint, commission_cents bigint, agent_id text,
       submitted_at timestamptz, updated_at timestamptz)
     ON CONFLICT (lead_id, partner_id) DO UPDATE SET
       status = CASE WHEN excluded.status_rank >= cur.status_rank THEN excluded.status ELSE cur.status END,
       status_rank = GREATEST(cur.status_rank, excluded.status_rank),
       reason = COALESCE(excluded.reason, cur.reason),
       premium_cents = COALESCE(excluded.premium_cents, cur.premium_cents),
       commission_cents = COALESCE(excluded.commission_cents, cur.commission_cents),
       agent_id = COALESCE(excluded.agent_id, cur.agent_id),
       submitted_at = COALESCE(cur.submitted_at, excluded.submitted_at),
       updated_at = GREATEST(cur.updated_at, excluded.updated_at)`,
    [JSON.stringify(foldReferrals(events))],
  );
}

/** Ledger entries are inserted once by id and never changed. */
export async function writeLedger(tx: Queryable, entries: readonly RewardEvent[]): Promise<void> {
  await insertNew(
    tx,
    'rewards_ledger',
    {
      event_id: 'text',
      account_kind: 'text',
      account_id: 'text',
      points: 'int',
      amount_usd: 'numeric',
      reason: 'text',
      lead_id: 'text',
      occurred_at: 'timestamptz',
      period: 'text',
      source_event_id: 'text',
      detail: 'text',
    },
    ['event_id'],
    entries.map((e) => ({
      event_id: e.eventId,
      account_kind: e.accountKind,
      account_id: e.accountId,
      points: e.points,
      // Cents as an exact decimal string: a float quotient could round a cent away.
      amount_usd: (e.amountCents / 100).toFixed(2),
      reason: e.reason,
      lead_id: e.leadId,
      occurred_at: iso(e.at),
      period: e.period,
      source_event_id: e.sourceEventId,
      detail: e.detail,
    })),
  );
}

export async function writeTiers(tx: Queryable, tiers: readonly AgentTier[]): Promise<void> {
  const latest = new Map(tiers.map((t) => [t.agentId, t]));
  if (latest.size === 0) return;
  await tx.query(
    `INSERT INTO agent_tiers AS cur (agent_id, tier, priority_boost, daily_cap_bonus, period, period_points, change, updated_at)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(agent_id text, tier text, priority_boost double precision,
       daily_cap_bonus int, period text, period_points int, change text, updated_at timestamptz)
     ON CONFLICT (agent_id) DO UPDATE SET tier = excluded.tier, priority_boost = excluded.priority_boost,
       daily_cap_bonus = excluded.daily_cap_bonus, period = excluded.period,
       period_points = excluded.period_points, change = excluded.change, updated_at = excluded.updated_at
     WHERE excluded.updated_at >= cur.updated_at`,
    [
      JSON.stringify(
        [...latest.values()].map((t) => ({
          agent_id: t.agentId,
          tier: t.tier,
          priority_boost: t.priorityBoost,
          daily_cap_bonus: t.dailyCapBonus,
          period: t.period,
          period_points: t.periodPoints,
          change: t.change,
          updated_at: iso(t.at),
        })),
      ),
    ],
  );
}

export async function writeCommunity(tx: Queryable, events: readonly CommunityEvent[]): Promise<void> {
  const of = (...types: CommunityEvent['type'][]) => events.filter((e) => types.includes(e.type));
  const posts = of('post', 'story');
  await insertNew(
    tx,
    'community_posts',
    {
      post_id: 'text',
      kind: 'text',
      author_id: 'text',
      category: 'text',
      title: 'text',
      body: 'text',
      created_at: 'timestamptz',
    },
    ['post_id'],
    posts.map((e) => ({
      post_id: e.postId,
      kind: e.type,
      author_id: e.authorId,
      category: e.category,
      title: e.title,
      body: e.body,
      created_at: iso(e.at),
    })),
  );
  await insertNew(
    tx,
    'community_comments',
    { event_id: 'text', post_id: 'text', author_id: 'text', body: 'text', created_at: 'timestamptz' },
    ['event_id'],
    of('comment').map((e) => ({
      event_id: e.eventId,
      post_id: e.postId,
      author_id: e.actorId,
      body: e.body,
      created_at: iso(e.at),
    })),
  );
  const likes = of('like');
  // One row per post and agent: a statement cannot insert the same key twice.
  await insertNew(
    tx,
    'community_likes',
    { post_id: 'text', agent_id: 'text', created_at: 'timestamptz' },
    ['post_id', 'agent_id'],
    [...new Map(likes.map((e) => [`${e.postId}\u0000${e.actorId}`, e])).values()].map((e) => ({
      post_id: e.postId,
      agent_id: e.actorId,
      created_at: iso(e.at),
    })),
  );
  const featured = of('featured').map((e) => e.postId);
  if (featured.length > 0) {
    await tx.query('UPDATE community_posts SET featured = true WHERE post_id = ANY($1::text[])', [featured]);
  }
}

export const REWARD_SINKS = ['postgres-partners', 'postgres-rewards'] as const;

/** The rewards sinks; `write` wraps each batch's writes (the caller's transaction and retries). */
export function rewardSinks(
  database: Database,
  retrying: (log: Logger, write: () => Promise<void>) => Promise<void>,
): Processor<never>[] {
  const partners = defineProcessor<Partner | null>({
    name: 'postgres-partners',
    inputs: [TOPIC.partners],
    outputs: [],
    process: (record) => checkStorable(record),
    flush: (records, ctx) =>
      retrying(ctx.log, () =>
        database.transaction((tx) =>
          writePartners(
            tx,
            records.flatMap((r) => (r.value ? [withoutNul(r.value)] : [])),
          ),
        ),
      ),
  });
  const rewards = defineProcessor<unknown>({
    name: 'postgres-rewards',
    inputs: [TOPIC.referrals, TOPIC.communityEvents, TOPIC.rewards, TOPIC.agentTiers],
    outputs: [],
    process: (record) => checkStorable(record),
    flush: (records, ctx) => {
      const of = <V>(topic: string) =>
        records.filter((r) => r.topic === topic && r.value !== null).map((r) => withoutNul(r.value) as V);
      return retrying(ctx.log, () =>
        database.transaction(async (tx) => {
          const referrals = of<ReferralEvent>(TOPIC.referrals);
          // A partner's note about a lead erased already must not come back with a late event.
          await keepingErasures(
            tx,
            referrals.map((r) => r.leadId),
            () => writeReferrals(tx, referrals),
          );
          await writeCommunity(tx, of<CommunityEvent>(TOPIC.communityEvents));
          await writeLedger(tx, of<RewardEvent>(TOPIC.rewards));
          await writeTiers(tx, of<AgentTier>(TOPIC.agentTiers));
        }),
      );
    },
  });
  return [partners, rewards] as Processor<never>[];
}
