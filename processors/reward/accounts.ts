/**
 * reward's logic, per account (agent or partner): turns activities and community actions into
 * ledger entries under the rules and caps, promotes agents as their points reach a tier, and at
 * each period close settles partners' volume bonuses and sets agents' tiers for the next period.
 *
 * Ledger entry ids are `reason:sourceEventId`, so the same input always yields the same entries;
 * the ledger table upserts by id, and the engine's exactly-once steps never emit an entry twice.
 */
import type { VipTier } from '../../schemas/routing-records';
import { Agenda, type Table } from './agenda';
import { referralCommission, underMonthlyCap, volumeBonus, withinClawback } from './commission';
import { planFor, type RewardsConfig } from './config';
import { periodEnd, dayOf, nextPeriod, periodOf } from './periods';
import { acceptancePoints, communityPoints, type PointsAward, underDailyCap } from './points';
import type {
  AgentTier,
  CommunityEvent,
  ReferralEvent,
  RewardActivity,
  RewardEvent,
  RewardReason,
  TierChange,
} from '../../schemas/reward-records';
import { periodClose, promotion } from './tiers';

const HOUR_MS = 3_600_000;

export interface AgentAccount {
  agentId: string;
  tier: VipTier | null;
  /** Points per period. */
  points: Record<string, number>;
  /** The UTC day the daily counters are for. */
  day: string;
  communityToday: number;
  leadToday: number;
}

export interface PartnerPeriod {
  conversions: number;
  premiumCents: number;
  /** Credited this period so far (commissions and bonus), for the monthly cap. */
  creditedCents: number;
  plan: string | null;
}

export interface PartnerAccount {
  partnerId: string;
  periods: Record<string, PartnerPeriod>;
  /** Commission credited per lead while its clawback window is open. */
  commissions: Record<string, { cents: number; soldAt: number }>;
}

export interface AccountPorts {
  config: RewardsConfig;
  accounts: Table<AgentAccount | PartnerAccount>;
  /** Posts an agent has liked (`agentId|postId`), so a second like earns nothing. */
  likes: Table<true>;
  /**
   * Activities and community actions already applied in an open period (`period|id`). A replay of
   * reward-leads writes its activities to rewards.activity again, with the same ids; they must not
   * count twice towards caps and tiers.
   */
  seen: Table<true>;
  agenda: Agenda;
  emitLedger(entry: RewardEvent): void;
  emitTier(tier: AgentTier): void;
  emitReferral(event: ReferralEvent): void;
}

const agentKey = (agentId: string) => `agent|${agentId}`;
const partnerKey = (partnerId: string) => `partner|${partnerId}`;

function agentAccount(p: AccountPorts, agentId: string): AgentAccount {
  return (
    (p.accounts.get(agentKey(agentId)) as AgentAccount | undefined) ?? {
      agentId,
      tier: null,
      points: {},
      day: '',
      communityToday: 0,
      leadToday: 0,
    }
  );
}

function partnerAccount(p: AccountPorts, partnerId: string): PartnerAccount {
  return (
    (p.accounts.get(partnerKey(partnerId)) as PartnerAccount | undefined) ?? {
      partnerId,
      periods: {},
      commissions: {},
    }
  );
}

const closeAt = (p: AccountPorts, period: string) => periodEnd(period) + p.config.periodGraceHours * HOUR_MS;

function entry(
  kind: RewardEvent['accountKind'],
  accountId: string,
  reason: RewardReason,
  sourceEventId: string,
  at: number,
  fields: Partial<RewardEvent>,
): RewardEvent {
  return {
    eventId: `${reason}:${sourceEventId}`,
    accountKind: kind,
    accountId,
    points: 0,
    amountCents: 0,
    reason,
    sourceEventId,
    leadId: null,
    period: periodOf(at),
    at,
    detail: null,
    ...fields,
  };
}

function tierRecord(
  p: AccountPorts,
  account: AgentAccount,
  tier: VipTier,
  period: string,
  change: TierChange,
  at: number,
): void {
  const rule = p.config.tiers.find((t) => t.tier === tier)!;
  account.tier = tier;
  p.emitTier({
    agentId: account.agentId,
    tier,
    priorityBoost: rule.priorityBoost,
    dailyCapBonus: rule.dailyCapBonus,
    period,
    periodPoints: account.points[period] ?? 0,
    change,
    at,
  });
}

/** Credits points to an agent, promotes it when they reach a higher tier, and books the period's close. */
function creditPoints(
  p: AccountPorts,
  account: AgentAccount,
  awards: readonly PointsAward[],
  sourceEventId: string,
  leadId: string | null,
  at: number,
  detail: string | null = null,
): void {
  const period = periodOf(at);
  // Late points for a period already closed are booked to it but no longer move its tier.
  const open = closeAt(p, period) > p.agenda.streamTime;
  for (const award of awards) {
    if (award.points <= 0) continue;
    if (open) account.points[period] = (account.points[period] ?? 0) + award.points;
    p.emitLedger(
      entry('agent', account.agentId, award.reason, sourceEventId, at, {
        points: award.points,
        leadId,
        detail,
      }),
    );
  }
  if (account.tier === null) {
    tierRecord(p, account, p.config.tiers[0]!.tier, period, 'started', at);
  }
  if (open) {
    const promoted = promotion(p.config.tiers, account.tier, account.points[period] ?? 0);
    if (promoted) tierRecord(p, account, promoted.tier, period, 'promoted', at);
    p.agenda.add(closeAt(p, period), `close|agent|${account.agentId}|${period}`);
  }
}

function rollDay(account: AgentAccount, at: number): void {
  const day = dayOf(at);
  if (account.day === day) return;
  account.day = day;
  account.communityToday = 0;
  account.leadToday = 0;
}

/** True the first time an id is seen in its period (while the period is open). */
function firstSeen(p: AccountPorts, id: string, at: number): boolean {
  const period = periodOf(at);
  if (closeAt(p, period) <= p.agenda.streamTime) return true;
  const key = `${period}|${id}`;
  if (p.seen.get(key)) return false;
  p.seen.put(key, true);
  return true;
}

/** An activity from reward-leads: points for agents, commission (or clawback) for partners. */
export function onActivity(p: AccountPorts, activity: RewardActivity): void {
  if (!firstSeen(p, activity.activityId, activity.at)) return;
  switch (activity.kind) {
    case 'lead_accepted': {
      const account = agentAccount(p, activity.accountId);
      rollDay(account, activity.at);
      const awards: PointsAward[] = [];
      for (const award of acceptancePoints(p.config.points, activity.responseMs)) {
        const points = underDailyCap(p.config.points.leadDailyCap, account.leadToday, award.points);
        account.leadToday += points;
        awards.push({ ...award, points });
      }
      creditPoints(p, account, awards, activity.activityId, activity.leadId, activity.at);
      p.accounts.put(agentKey(account.agentId), account);
      return;
    }
    case 'lead_converted': {
      const account = agentAccount(p, activity.accountId);
      const award = { reason: 'lead_converted', points: p.config.points.leadConverted } as const;
      creditPoints(p, account, [award], activity.activityId, activity.leadId, activity.at);
      p.accounts.put(agentKey(account.agentId), account);
      return;
    }
    case 'referral_converted':
      return creditCommission(p, activity);
    case 'referral_cancelled':
      return clawBack(p, activity);
  }
}

function creditCommission(p: AccountPorts, activity: RewardActivity): void {
  const account = partnerAccount(p, activity.accountId);
  if (activity.leadId in account.commissions) return;
  const plan = planFor(p.config, activity.plan);
  const period = periodOf(activity.at);
  // A conversion reported after its period closed is paid, outside that period's cap and bonus.
  const open = closeAt(p, period) > p.agenda.streamTime;
  const fresh: PartnerPeriod = { conversions: 0, premiumCents: 0, creditedCents: 0, plan: activity.plan };
  const tally = open ? (account.periods[period] ??= fresh) : fresh;
  const premium = activity.premiumCents ?? 0;
  const earned = referralCommission(plan, premium);
  const amount = underMonthlyCap(plan, tally.creditedCents, earned);
  tally.conversions += 1;
  tally.premiumCents += premium;
  tally.creditedCents += amount;
  tally.plan = activity.plan;
  account.commissions[activity.leadId] = { cents: amount, soldAt: activity.soldAt ?? activity.at };
  const detail =
    `flat ${plan.flatCents} + ${plan.premiumShare * 100}% of premium ${premium}` +
    (amount < earned ? `, capped from ${earned}` : '');
  p.emitLedger(
    entry('partner', account.partnerId, 'referral_commission', activity.activityId, activity.at, {
      amountCents: amount,
      leadId: activity.leadId,
      detail,
    }),
  );
  p.emitReferral(referralStep(activity, 'rewarded', amount));
  if (open) {
    p.agenda.add(closeAt(p, period), `close|partner|${account.partnerId}|${period}`);
  }
  p.accounts.put(partnerKey(account.partnerId), account);
}

function clawBack(p: AccountPorts, activity: RewardActivity): void {
  const account = partnerAccount(p, activity.accountId);
  const credited = account.commissions[activity.leadId]?.cents;
  if (credited === undefined || credited === 0) return;
  const plan = planFor(p.config, activity.plan);
  if (activity.soldAt === null || !withinClawback(plan, activity.soldAt, activity.at)) return;
  account.commissions[activity.leadId]!.cents = 0;
  p.emitLedger(
    entry('partner', account.partnerId, 'clawback', activity.activityId, activity.at, {
      amountCents: -credited,
      leadId: activity.leadId,
      detail: `policy cancelled within ${plan.clawbackDays} days of its sale`,
    }),
  );
  p.emitReferral(referralStep(activity, 'clawed_back', credited));
  p.accounts.put(partnerKey(account.partnerId), account);
}

function referralStep(
  activity: RewardActivity,
  type: 'rewarded' | 'clawed_back',
  cents: number,
): ReferralEvent {
  return {
    eventId: `${activity.leadId}:${type}`,
    leadId: activity.leadId,
    partnerId: activity.accountId,
    type,
    at: activity.at,
    reason: null,
    premiumCents: activity.premiumCents,
    commissionCents: cents,
    agentId: null,
    note: null,
  };
}

/** A community action: points for the agent it is keyed by, within the anti-gaming limits. */
export function onCommunity(p: AccountPorts, event: CommunityEvent): void {
  if (!firstSeen(p, event.eventId, event.at)) return;
  const recipient = event.type === 'featured' ? event.authorId : event.actorId;
  const likeKey = `${event.actorId}|${event.postId}`;
  const alreadyLiked = event.type === 'like' && p.likes.get(likeKey) === true;
  const verdict = communityPoints(p.config.points, event, alreadyLiked);
  if (event.type === 'like') p.likes.put(likeKey, true);
  if (!verdict.award) return;
  const account = agentAccount(p, recipient);
  rollDay(account, event.at);
  let points = verdict.award.points;
  let detail: string | null = null;
  if (verdict.capped) {
    points = underDailyCap(p.config.points.communityDailyCap, account.communityToday, points);
    account.communityToday += points;
    if (points < verdict.award.points) detail = `daily cap ${p.config.points.communityDailyCap}`;
  }
  creditPoints(p, account, [{ ...verdict.award, points }], event.eventId, null, event.at, detail);
  p.accounts.put(agentKey(account.agentId), account);
}

/** Moves stream time to `at` and closes every period whose close it has reached. */
export function advanceTo(p: AccountPorts, at: number): void {
  p.agenda.observe(at);
  const closed = new Set<string>();
  for (const item of p.agenda.takeDue()) {
    const [, kind, id, period] = item.split('|') as [string, 'agent' | 'partner', string, string];
    closed.add(period);
    if (kind === 'agent') closeAgentPeriod(p, id, period);
    else closePartnerPeriod(p, id, period);
  }
  // Every account's close of a period falls due at once, so its ids can all go now: what arrives
  // for a closed period no longer moves a counter, and its ledger ids still dedupe it.
  for (const period of closed) {
    const keys = [...p.seen.range(`${period}|`, `${period}|\uffff`)].map(([key]) => key);
    for (const key of keys) p.seen.delete(key);
  }
}

function closeAgentPeriod(p: AccountPorts, agentId: string, period: string): void {
  const account = agentAccount(p, agentId);
  const closed = account.points[period] ?? 0;
  const { rule, change } = periodClose(p.config.tiers, account.tier, closed);
  const next = nextPeriod(period);
  tierRecord(p, account, rule.tier, next, change, closeAt(p, period));
  delete account.points[period];
  // A tier above the lowest has to be earned again: the next period closes even if it stays quiet.
  if (rule.tier !== p.config.tiers[0]!.tier) p.agenda.add(closeAt(p, next), `close|agent|${agentId}|${next}`);
  p.accounts.put(agentKey(agentId), account);
}

function closePartnerPeriod(p: AccountPorts, partnerId: string, period: string): void {
  const account = partnerAccount(p, partnerId);
  const tally = account.periods[period];
  if (!tally) return;
  const plan = planFor(p.config, tally.plan);
  const bonus = underMonthlyCap(
    plan,
    tally.creditedCents,
    volumeBonus(plan, tally.conversions, tally.premiumCents),
  );
  if (bonus > 0) {
    const source = `${partnerId}:${period}`;
    p.emitLedger({
      ...entry('partner', partnerId, 'volume_bonus', source, periodEnd(period) - 1, {
        amountCents: bonus,
        detail: `${tally.conversions} conversions, premium ${tally.premiumCents}`,
      }),
    });
  }
  delete account.periods[period];
  // Commissions whose clawback window has passed need not be remembered.
  const windowMs = plan.clawbackDays * 24 * HOUR_MS;
  for (const [leadId, { soldAt }] of Object.entries(account.commissions)) {
    if (soldAt + windowMs < p.agenda.streamTime) delete account.commissions[leadId];
  }
  p.accounts.put(partnerKey(partnerId), account);
}
