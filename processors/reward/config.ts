/**
 * The rewards program's rules: referral commission plans, referral expiry, VIP points and tiers.
 * Read from a YAML (or JSON) file named by LEADFLOW_REWARDS_CONFIG; every rule has a default, and
 * a file lists only what differs. Money is in US cents, times in days or seconds.
 */
import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { VIP_TIERS, type VipTier } from '../../schemas/routing-records';

export interface VolumeTier {
  /** Conversions in the period from which this tier applies. */
  minConversions: number;
  /** Extra share of the period's premium paid on top of the per-referral commission. */
  bonusShare: number;
}

export interface CommissionPlan {
  /** Paid for every converted referral. */
  flatCents: number;
  /** Share (0-1) of the first-year premium, added to the flat amount. */
  premiumShare: number;
  /** Most one referral earns (flat + percent); null: no limit. */
  maxPerReferralCents: number | null;
  /** Volume bonus tiers by conversions per period, settled when the period closes. */
  volumeTiers: VolumeTier[];
  /** Most a partner earns in one period (commissions + bonus); null: no limit. */
  monthlyCapCents: number | null;
  /** A policy cancelled within this many days of its sale takes its commission back. */
  clawbackDays: number;
}

export interface TierRule {
  tier: VipTier;
  /** Points in one period that earn the tier. */
  minPoints: number;
  /** 0-1: the value of match's vip ranking factor for agents of this tier. */
  priorityBoost: number;
  /** Leads per day on top of the agent's own daily capacity. */
  dailyCapBonus: number;
}

export interface PointsRules {
  leadAccepted: number;
  /** Bonus when an offer is accepted within fastResponseSeconds. */
  fastResponse: number;
  fastResponseSeconds: number;
  leadConverted: number;
  post: number;
  comment: number;
  /** For liking someone else's post, once per post. */
  like: number;
  story: number;
  /** For the author, when a moderator features their story. */
  featured: number;
  /** Most community points an agent earns per UTC day. */
  communityDailyCap: number;
  /** Most lead points (accepted + fast response) an agent earns per UTC day. */
  leadDailyCap: number;
}

export interface RewardsConfig {
  plans: Record<string, CommissionPlan>;
  /** The plan of partners that name none. */
  defaultPlan: string;
  referral: {
    /** A referral not converted this many days after submission expires. */
    expiryDays: number;
    /** A referred lead scored below this is rejected rather than qualified. */
    qualifyMinScore: number;
  };
  points: PointsRules;
  /** Lowest first; the first must start at 0 points. */
  tiers: TierRule[];
  /**
   * A period (a UTC month) closes this many hours after it ends, by stream time (the latest event
   * time seen), so late events of the period still count and a replay closes it at the same point.
   */
  periodGraceHours: number;
}

export const DEFAULT_PLAN: CommissionPlan = {
  flatCents: 2_500,
  premiumShare: 0.05,
  maxPerReferralCents: 50_000,
  volumeTiers: [
    { minConversions: 10, bonusShare: 0.01 },
    { minConversions: 25, bonusShare: 0.02 },
  ],
  monthlyCapCents: 1_000_000,
  clawbackDays: 60,
};

export const DEFAULT_REWARDS_CONFIG: RewardsConfig = {
  plans: { standard: DEFAULT_PLAN },
  defaultPlan: 'standard',
  referral: { expiryDays: 90, qualifyMinScore: 0 },
  points: {
    leadAccepted: 10,
    fastResponse: 5,
    fastResponseSeconds: 120,
    leadConverted: 50,
    post: 5,
    comment: 2,
    like: 1,
    story: 10,
    featured: 25,
    communityDailyCap: 30,
    leadDailyCap: 300,
  },
  tiers: [
    { tier: 'silver', minPoints: 0, priorityBoost: 0.25, dailyCapBonus: 0 },
    { tier: 'gold', minPoints: 500, priorityBoost: 0.5, dailyCapBonus: 2 },
    { tier: 'platinum', minPoints: 1_500, priorityBoost: 0.75, dailyCapBonus: 5 },
    { tier: 'diamond', minPoints: 4_000, priorityBoost: 1, dailyCapBonus: 10 },
  ],
  periodGraceHours: 72,
};

const cents = z.number().int().min(0);
const share = z.number().min(0).max(1);

const planSchema = z.strictObject({
  flatCents: cents.optional(),
  premiumShare: share.optional(),
  maxPerReferralCents: cents.nullable().optional(),
  volumeTiers: z
    .array(z.strictObject({ minConversions: z.number().int().min(1), bonusShare: share }))
    .optional(),
  monthlyCapCents: cents.nullable().optional(),
  clawbackDays: z.number().int().min(0).max(3650).optional(),
});

const pointsSchema = z.strictObject(
  Object.fromEntries(
    Object.keys(DEFAULT_REWARDS_CONFIG.points).map((rule) => [rule, z.number().int().min(0).optional()]),
  ) as Record<keyof PointsRules, z.ZodOptional<z.ZodNumber>>,
);

const tierSchema = z.strictObject({
  tier: z.enum(VIP_TIERS),
  minPoints: z.number().int().min(0),
  priorityBoost: share,
  dailyCapBonus: z.number().int().min(0).max(1000),
});

const fileSchema = z.strictObject({
  plans: z
    .record(z.string().regex(/^[a-z0-9_-]+$/, 'plan names are a-z, 0-9, _ and -'), planSchema)
    .optional(),
  defaultPlan: z.string().optional(),
  referral: z
    .strictObject({
      expiryDays: z.number().positive().max(3650).optional(),
      qualifyMinScore: z.number().int().min(0).max(100).optional(),
    })
    .optional(),
  points: pointsSchema.optional(),
  tiers: z
    .array(tierSchema)
    .min(1)
    .refine((tiers) => tiers[0]!.minPoints === 0, { message: 'the first tier must start at 0 points' })
    .refine((tiers) => tiers.every((t, i) => i === 0 || t.minPoints > tiers[i - 1]!.minPoints), {
      message: 'tiers must be listed lowest first with rising minPoints',
    })
    .optional(),
  periodGraceHours: z
    .number()
    .min(0)
    .max(24 * 31)
    .optional(),
});

export class RewardsConfigError extends Error {
  override name = 'RewardsConfigError';
}

const defined = <T extends object>(value: T | undefined) =>
  Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;

/** Parses rewards rules from YAML or JSON text; errors name the source and the field. */
export function parseRewardsConfig(text: string, source = 'rewards config'): RewardsConfig {
  let document: unknown;
  try {
    document = parseYaml(text) ?? {};
  } catch (error) {
    throw new RewardsConfigError(`${source}: not valid YAML/JSON: ${(error as Error).message}`);
  }
  const parsed = fileSchema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new RewardsConfigError(`${source}: ${problems.join('; ')}`);
  }
  const file = parsed.data;
  // A named plan starts from the default plan, so a file can say only what differs.
  const plans: Record<string, CommissionPlan> = { ...DEFAULT_REWARDS_CONFIG.plans };
  for (const [name, plan] of Object.entries(file.plans ?? {})) {
    plans[name] = { ...DEFAULT_PLAN, ...defined(plan) } as CommissionPlan;
  }
  const defaultPlan = file.defaultPlan ?? DEFAULT_REWARDS_CONFIG.defaultPlan;
  if (!plans[defaultPlan]) {
    throw new RewardsConfigError(`${source}: defaultPlan: no plan named "${defaultPlan}"`);
  }
  return {
    plans,
    defaultPlan,
    referral: { ...DEFAULT_REWARDS_CONFIG.referral, ...defined(file.referral) },
    points: { ...DEFAULT_REWARDS_CONFIG.points, ...defined(file.points) },
    tiers: (file.tiers as TierRule[] | undefined) ?? DEFAULT_REWARDS_CONFIG.tiers,
    periodGraceHours: file.periodGraceHours ?? DEFAULT_REWARDS_CONFIG.periodGraceHours,
  };
}

/** The file's rules, or the defaults when no file is configured. */
export function loadRewardsConfig(file: string | undefined): RewardsConfig {
  if (!file) return DEFAULT_REWARDS_CONFIG;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new RewardsConfigError(`cannot read rewards config ${file}: ${(error as Error).message}`);
  }
  return parseRewardsConfig(text, file);
}

/** A partner's plan: its own when it names one the config has, else the program's default. */
export function planFor(config: RewardsConfig, plan: string | null): CommissionPlan {
  return (plan !== null ? config.plans[plan] : undefined) ?? config.plans[config.defaultPlan]!;
}
