/**
 * Referral commission rules, in whole US cents: per converted referral a flat amount plus a share
 * of the first-year premium (capped per referral); per period a volume bonus by the number of
 * conversions; a monthly cap over both; and the clawback of a policy cancelled soon after its sale.
 */
import type { CommissionPlan } from './config';

const DAY_MS = 24 * 3_600_000;

/** Commission for one conversion, before the monthly cap. */
export function referralCommission(plan: CommissionPlan, premiumCents: number): number {
  const earned = plan.flatCents + Math.round(premiumCents * plan.premiumShare);
  return plan.maxPerReferralCents === null ? earned : Math.min(earned, plan.maxPerReferralCents);
}

/** What a credit may still add this period under the monthly cap (never negative). */
export function underMonthlyCap(plan: CommissionPlan, creditedCents: number, amountCents: number): number {
  if (plan.monthlyCapCents === null) return amountCents;
  return Math.max(0, Math.min(amountCents, plan.monthlyCapCents - creditedCents));
}

/** The bonus share earned by this many conversions in a period (0 below the first tier). */
export function volumeBonusShare(plan: CommissionPlan, conversions: number): number {
  let share = 0;
  for (const tier of plan.volumeTiers)
    if (conversions >= tier.minConversions) share = Math.max(share, tier.bonusShare);
  return share;
}

/** The period's volume bonus: its bonus share of all premium the period's conversions sold. */
export function volumeBonus(plan: CommissionPlan, conversions: number, premiumCents: number): number {
  return Math.round(premiumCents * volumeBonusShare(plan, conversions));
}

/** Whether a cancellation `cancelledAt` of a policy sold at `soldAt` is inside the clawback window. */
export function withinClawback(plan: CommissionPlan, soldAt: number, cancelledAt: number): boolean {
  return cancelledAt - soldAt <= plan.clawbackDays * DAY_MS;
}
