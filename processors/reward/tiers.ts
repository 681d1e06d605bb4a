/**
 * VIP tiers: the tier a period's points earn, promotion as soon as the points reach a higher tier,
 * and at each period close the tier for the next period from the closed period's points (which
 * may demote). Benefits act in routing: match ranks by the priority boost, assign adds the daily
 * cap bonus.
 */
import type { Agent, VipTier } from '../../schemas/routing-records';
import type { TierRule } from './config';
import type { AgentTier, TierChange } from '../../schemas/reward-records';

/** The highest tier whose threshold the points reach (tiers are listed lowest first). */
export function tierFor(tiers: readonly TierRule[], points: number): TierRule {
  let earned = tiers[0]!;
  for (const rule of tiers) if (points >= rule.minPoints) earned = rule;
  return earned;
}

const rank = (tiers: readonly TierRule[], tier: VipTier | null) =>
  tier === null ? -1 : tiers.findIndex((t) => t.tier === tier);

/** During a period: the new tier if the points earn a higher one than the current, else null. */
export function promotion(
  tiers: readonly TierRule[],
  current: VipTier | null,
  points: number,
): TierRule | null {
  const earned = tierFor(tiers, points);
  return rank(tiers, earned.tier) > rank(tiers, current) ? earned : null;
}

/** At a period close: the tier the closed period's points earn, and how it compares with the current. */
export function periodClose(
  tiers: readonly TierRule[],
  current: VipTier | null,
  closedPoints: number,
): { rule: TierRule; change: TierChange } {
  const rule = tierFor(tiers, closedPoints);
  const before = rank(tiers, current);
  const after = rank(tiers, rule.tier);
  const change: TierChange =
    before < 0 ? 'started' : after > before ? 'promoted' : after < before ? 'demoted' : 'kept';
  return { rule, change };
}

/**
 * An agent's profile as routing should see it: its earned VIP tier instead of the profile's, and
 * the tier's extra leads per day on top of its daily capacity.
 */
export function withTierBenefits(agent: Agent, tier: AgentTier | undefined): Agent {
  if (!tier) return agent;
  return {
    ...agent,
    vipTier: tier.tier,
    capacity: { ...agent.capacity, daily: agent.capacity.daily + tier.dailyCapBonus },
  };
}
