/**
 * A lead's economics, as data: the price paid to its vendor (rules by vendor, campaign, line and
 * state), the price charged to the agent or buyer it goes to (plans: fixed, by score band, by VIP
 * tier), when a taken lead may be returned, and how many leads vendors may send and agents take
 * (caps per day, week and month, and vendors' schedules). Read from a YAML (or JSON) file named by
 * LEADFLOW_ECONOMICS_CONFIG. Money is in US cents.
 *
 * Without a file, a lead costs what its vendor says it was sold for (`source.pricePaid`) and is
 * charged to nobody: an agency routing to its own agents has no price to charge.
 */
import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { INSURANCE_LINES } from '../../schemas/lead';
import type { Price } from '../../schemas/ledger-records';
import { RETURN_REASONS, type ReturnReason } from '../../schemas/assignment-records';
import { VIP_TIERS, type VipTier, type WorkingHours } from '../../schemas/routing-records';
import { parseClock } from '../match/hours';
import { US_STATES } from '../../schemas/us-states';

/** A price rule for what vendors are paid; a field left out matches any value. */
export interface PaidRule {
  name: string;
  vendors: string[] | null;
  campaigns: string[] | null;
  lines: string[] | null;
  states: string[] | null;
  priceCents: number;
}

export type ChargePlan =
  | { kind: 'fixed'; priceCents: number }
  /** Highest band first; the last starts at 0, so every score has a price. */
  | { kind: 'score_bands'; bands: { minScore: number; priceCents: number }[] }
  | { kind: 'vip_tiers'; priceCents: Record<VipTier | 'none', number> };

/** When an agent may give a taken lead back, and which returns need a person to look. */
export interface ReturnPolicy {
  /** Hours from the acceptance in which a return may be asked for. */
  windowHours: number;
  /** Reasons approved without review, while the agent's return rate stays within maxReturnRate. */
  autoApprove: ReturnReason[];
  /** Most returns / accepted leads an agent may have approved without review. */
  maxReturnRate: number;
  /** The rate is judged from this many accepted leads on; before, one return would be a high rate. */
  minAcceptedForRate: number;
}

export const CAP_PERIODS = ['daily', 'weekly', 'monthly'] as const;
export type CapPeriod = (typeof CAP_PERIODS)[number];

/** Most leads a vendor (or one of its campaigns) may send per local day, week or month. */
export interface IntakeCap {
  vendor: string;
  /** null: all of the vendor's leads. */
  campaign: string | null;
  limits: Partial<Record<CapPeriod, number>>;
  /** Where the periods start and end. */
  timeZone: string;
}

/** When a vendor (or one of its campaigns) may send leads; outside it, leads are refused. */
export interface IntakeSchedule {
  vendor: string;
  campaign: string | null;
  hours: WorkingHours;
}

/** Caps of a buyer's ping-post purchases: leads per local day, week and month. */
export interface BuyerCaps {
  limits: Partial<Record<CapPeriod, number>>;
  timeZone: string;
}

/**
 * A ping-post buyer: which pings it bids on (a filter left out matches any value) and what it
 * pays for a lead alone (exclusive) or beside other buyers (shared); null: it does not buy that way.
 */
export interface Buyer {
  buyerId: string;
  lines: string[] | null;
  states: string[] | null;
  /** Leading digits of the ZIPs it buys, e.g. "750". */
  zipPrefixes: string[] | null;
  exclusiveCents: number | null;
  sharedCents: number | null;
  caps: BuyerCaps | null;
  /** When it buys; outside, it does not bid. */
  hours: WorkingHours | null;
}

/** How pings are answered and posted leads sold. */
export interface PingPostPolicy {
  /** The vendor is offered this share of what the buyers pay; the rest is the platform's margin. */
  vendorShare: number;
  /** How long a bid may be posted against. */
  bidTtlSeconds: number;
  /** Most buyers a shared lead is sold to (its sell count). */
  maxSharedBuyers: number;
}

/** Most leads an agent may accept per local week and month (its daily capacity is on its profile). */
export interface AgentCaps {
  weekly: number | null;
  monthly: number | null;
}

export interface EconomicsConfig {
  paid: {
    /** Most specific first (more fields set), in file order among equals. */
    rules: PaidRule[];
    /** Without a matching rule, pay what the vendor's lead says (`source.pricePaid`). */
    vendorReported: boolean;
  };
  charged: {
    plans: Record<string, ChargePlan>;
    /** The plan of agents and groups that name none; null: they are not charged. */
    defaultPlan: string | null;
    /** Plans by agent id, then by routing group. */
    agents: Record<string, string>;
    groups: Record<string, string>;
  };
  returns: ReturnPolicy;
  caps: { vendors: IntakeCap[]; agents: Record<string, AgentCaps> };
  schedules: IntakeSchedule[];
  buyers: Buyer[];
  pingPost: PingPostPolicy;
}

export const DEFAULT_RETURN_POLICY: ReturnPolicy = {
  windowHours: 72,
  autoApprove: ['bad_phone', 'disconnected', 'duplicate'],
  maxReturnRate: 0.2,
  minAcceptedForRate: 10,
};

export const DEFAULT_PING_POST_POLICY: PingPostPolicy = {
  vendorShare: 0.7,
  bidTtlSeconds: 60,
  maxSharedBuyers: 3,
};

export const DEFAULT_ECONOMICS_CONFIG: EconomicsConfig = {
  paid: { rules: [], vendorReported: true },
  charged: { plans: {}, defaultPlan: null, agents: {}, groups: {} },
  returns: DEFAULT_RETURN_POLICY,
  caps: { vendors: [], agents: {} },
  schedules: [],
  buyers: [],
  pingPost: DEFAULT_PING_POST_POLICY,
};

export interface PricedLead {
  vendorId: string;
  campaign: string | null;
  line: string;
  state: string;
  /** What the vendor's lead says it was sold for, USD; null when it does not say. */
  reportedUsd: number | null;
}

const matches = (allowed: string[] | null, value: string | null) =>
  allowed === null || (value !== null && allowed.includes(value));

/** What the vendor is paid for a lead: the most specific matching rule, else the reported price. */
export function pricePaid(config: EconomicsConfig, lead: PricedLead): Price | null {
  const rule = config.paid.rules.find(
    (r) =>
      matches(r.vendors, lead.vendorId) &&
      matches(r.campaigns, lead.campaign) &&
      matches(r.lines, lead.line) &&
      matches(r.states, lead.state),
  );
  if (rule) return { cents: rule.priceCents, rule: `rule:${rule.name}` };
  if (config.paid.vendorReported && lead.reportedUsd !== null) {
    return { cents: Math.round(lead.reportedUsd * 100), rule: 'vendor-reported' };
  }
  return null;
}

export interface ChargedAccount {
  agentId: string;
  routingGroup: string | null;
  vipTier: VipTier | null;
  /** The lead's score, 0-100. */
  score: number;
}

/** What the agent taking a lead is charged: its plan's price, or null when no plan applies. */
export function priceCharged(config: EconomicsConfig, account: ChargedAccount): Price | null {
  const { charged } = config;
  const name =
    charged.agents[account.agentId] ??
    (account.routingGroup === null ? undefined : charged.groups[account.routingGroup]) ??
    charged.defaultPlan;
  if (name === null) return null;
  const plan = charged.plans[name]!;
  switch (plan.kind) {
    case 'fixed':
      return { cents: plan.priceCents, rule: `plan:${name}` };
    case 'score_bands': {
      const band = plan.bands.find((b) => account.score >= b.minScore)!;
      return { cents: band.priceCents, rule: `plan:${name}:score>=${band.minScore}` };
    }
    case 'vip_tiers': {
      const tier = account.vipTier ?? 'none';
      return { cents: plan.priceCents[tier], rule: `plan:${name}:${tier}` };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The file

const cents = z.number().int().min(0).max(10_000_000);
const oneOrMany = <T extends z.ZodType<string>>(item: T) =>
  z.union([item, z.array(item).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));
const STATE_CODES = US_STATES.map((s) => s.code) as [string, ...string[]];
const planName = z.string().regex(/^[a-z0-9_-]+$/, 'plan names are a-z, 0-9, _ and -');

const ruleSchema = z.strictObject({
  name: z.string().min(1).max(100).optional(),
  vendor: oneOrMany(z.string().min(1)).optional(),
  campaign: oneOrMany(z.string().min(1)).optional(),
  line: oneOrMany(z.enum(INSURANCE_LINES)).optional(),
  state: oneOrMany(z.enum(STATE_CODES)).optional(),
  priceCents: cents,
});

const planSchema = z.union([
  z.strictObject({ fixedCents: cents }),
  z.strictObject({
    scoreBands: z
      .array(z.strictObject({ minScore: z.number().min(0).max(100), priceCents: cents }))
      .min(1)
      .refine((bands) => bands.some((b) => b.minScore === 0), {
        message: 'one band must start at minScore 0, so every score has a price',
      }),
  }),
  z.strictObject({
    vipTiers: z.strictObject(
      Object.fromEntries(['none', ...VIP_TIERS].map((tier) => [tier, cents])) as Record<
        VipTier | 'none',
        typeof cents
      >,
    ),
  }),
]);

const timeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone, such as America/New_York' },
);
const clock = z.string().refine((text) => parseClock(text) !== null, { message: 'must be HH:MM (24 h)' });
const capLimit = z.number().int().min(0);

const periodCaps = {
  daily: capLimit.optional(),
  weekly: capLimit.optional(),
  monthly: capLimit.optional(),
  timeZone: timeZone.optional(),
};
const atLeastOnePeriod = [
  (cap: Partial<Record<CapPeriod, number>>) => CAP_PERIODS.some((period) => cap[period] !== undefined),
  { message: 'name at least one of daily, weekly, monthly' },
] as const;

const intakeCapSchema = z
  .strictObject({ vendor: z.string().min(1), campaign: z.string().min(1).optional(), ...periodCaps })
  .refine(...atLeastOnePeriod);

const hoursShape = {
  timeZone,
  days: z.array(z.number().int().min(1).max(7)).min(1).max(7),
  start: clock,
  end: clock,
};
const endAfterStart = (hours: { start: string; end: string }) =>
  parseClock(hours.end)! > parseClock(hours.start)!;
const endAfterStartProblem = { message: 'end must be after start', path: ['end'] };

const scheduleSchema = z
  .strictObject({ vendor: z.string().min(1), campaign: z.string().min(1).optional(), ...hoursShape })
  .refine(endAfterStart, endAfterStartProblem);

const buyerSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'buyer ids are letters, digits, ., _ and -'),
    line: oneOrMany(z.enum(INSURANCE_LINES)).optional(),
    state: oneOrMany(z.enum(STATE_CODES)).optional(),
    zipPrefix: oneOrMany(z.string().regex(/^[0-9]{1,5}$/, 'one to five digits')).optional(),
    exclusiveCents: cents.optional(),
    sharedCents: cents.optional(),
    schedule: z.strictObject(hoursShape).refine(endAfterStart, endAfterStartProblem).optional(),
  })
  .refine((buyer) => buyer.exclusiveCents !== undefined || buyer.sharedCents !== undefined, {
    message: 'name exclusiveCents, sharedCents or both',
  });

const fileSchema = z.strictObject({
  paid: z
    .strictObject({ rules: z.array(ruleSchema).optional(), vendorReported: z.boolean().optional() })
    .optional(),
  charged: z
    .strictObject({
      plans: z.record(planName, planSchema).optional(),
      defaultPlan: planName.nullable().optional(),
      agents: z.record(z.string().min(1), planName).optional(),
      groups: z.record(z.string().min(1), planName).optional(),
    })
    .optional(),
  returns: z
    .strictObject({
      windowHours: z
        .number()
        .positive()
        .max(24 * 365)
        .optional(),
      autoApprove: z.array(z.enum(RETURN_REASONS)).optional(),
      maxReturnRate: z.number().min(0).max(1).optional(),
      minAcceptedForRate: z.number().int().min(0).optional(),
    })
    .optional(),
  caps: z
    .strictObject({
      vendors: z.array(intakeCapSchema).optional(),
      agents: z
        .record(
          z.string().min(1),
          z.strictObject({ weekly: capLimit.optional(), monthly: capLimit.optional() }),
        )
        .optional(),
      buyers: z.record(z.string().min(1), z.strictObject(periodCaps).refine(...atLeastOnePeriod)).optional(),
    })
    .optional(),
  schedules: z.array(scheduleSchema).optional(),
  buyers: z.array(buyerSchema).optional(),
  pingPost: z
    .strictObject({
      vendorShare: z.number().min(0).max(1).optional(),
      bidTtlSeconds: z.number().int().min(1).max(3600).optional(),
      maxSharedBuyers: z.number().int().min(2).max(10).optional(),
    })
    .optional(),
});

/** Caps without a time zone count in this one. */
export const DEFAULT_CAP_TIME_ZONE = 'UTC';

const limitsOf = (cap: Partial<Record<CapPeriod, number>>): Partial<Record<CapPeriod, number>> =>
  Object.fromEntries(CAP_PERIODS.filter((p) => cap[p] !== undefined).map((p) => [p, cap[p]!]));

export class EconomicsConfigError extends Error {
  override name = 'EconomicsConfigError';
}

function planOf(plan: z.infer<typeof planSchema>): ChargePlan {
  if ('fixedCents' in plan) return { kind: 'fixed', priceCents: plan.fixedCents };
  if ('scoreBands' in plan) {
    return { kind: 'score_bands', bands: [...plan.scoreBands].sort((a, b) => b.minScore - a.minScore) };
  }
  return { kind: 'vip_tiers', priceCents: plan.vipTiers };
}

/** Parses the economics file from YAML or JSON text; errors name the source and the field. */
export function parseEconomicsConfig(text: string, source = 'economics config'): EconomicsConfig {
  let document: unknown;
  try {
    document = parseYaml(text) ?? {};
  } catch (error) {
    throw new EconomicsConfigError(`${source}: not valid YAML/JSON: ${(error as Error).message}`);
  }
  const parsed = fileSchema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new EconomicsConfigError(`${source}: ${problems.join('; ')}`);
  }
  const { paid = {}, charged = {}, returns = {}, caps = {}, schedules = [], buyers = [] } = parsed.data;
  const pingPost = parsed.data.pingPost ?? {};
  const rules: PaidRule[] = (paid.rules ?? []).map((rule, i) => ({
    name: rule.name ?? `${i + 1}`,
    vendors: rule.vendor ?? null,
    campaigns: rule.campaign ?? null,
    lines: rule.line ?? null,
    states: rule.state ?? null,
    priceCents: rule.priceCents,
  }));
  const specificity = (r: PaidRule) => [r.vendors, r.campaigns, r.lines, r.states].filter(Boolean).length;
  const plans = Object.fromEntries(Object.entries(charged.plans ?? {}).map(([n, p]) => [n, planOf(p)]));
  const config: EconomicsConfig = {
    // A stable sort keeps file order among rules as specific as each other.
    paid: {
      rules: [...rules].sort((a, b) => specificity(b) - specificity(a)),
      vendorReported: paid.vendorReported ?? DEFAULT_ECONOMICS_CONFIG.paid.vendorReported,
    },
    charged: {
      plans,
      defaultPlan: charged.defaultPlan ?? null,
      agents: charged.agents ?? {},
      groups: charged.groups ?? {},
    },
    returns: {
      windowHours: returns.windowHours ?? DEFAULT_RETURN_POLICY.windowHours,
      autoApprove: returns.autoApprove ?? DEFAULT_RETURN_POLICY.autoApprove,
      maxReturnRate: returns.maxReturnRate ?? DEFAULT_RETURN_POLICY.maxReturnRate,
      minAcceptedForRate: returns.minAcceptedForRate ?? DEFAULT_RETURN_POLICY.minAcceptedForRate,
    },
    caps: {
      vendors: (caps.vendors ?? []).map((cap) => ({
        vendor: cap.vendor,
        campaign: cap.campaign ?? null,
        limits: limitsOf(cap),
        timeZone: cap.timeZone ?? DEFAULT_CAP_TIME_ZONE,
      })),
      agents: Object.fromEntries(
        Object.entries(caps.agents ?? {}).map(([agentId, c]) => [
          agentId,
          { weekly: c.weekly ?? null, monthly: c.monthly ?? null },
        ]),
      ),
    },
    schedules: schedules.map((schedule) => ({
      vendor: schedule.vendor,
      campaign: schedule.campaign ?? null,
      hours: { timeZone: schedule.timeZone, days: schedule.days, start: schedule.start, end: schedule.end },
    })),
    buyers: buyers.map((buyer) => {
      const capped = caps.buyers?.[buyer.id];
      return {
        buyerId: buyer.id,
        lines: buyer.line ?? null,
        states: buyer.state ?? null,
        zipPrefixes: buyer.zipPrefix ?? null,
        exclusiveCents: buyer.exclusiveCents ?? null,
        sharedCents: buyer.sharedCents ?? null,
        caps: capped
          ? { limits: limitsOf(capped), timeZone: capped.timeZone ?? DEFAULT_CAP_TIME_ZONE }
          : null,
        hours: buyer.schedule ?? null,
      };
    }),
    pingPost: {
      vendorShare: pingPost.vendorShare ?? DEFAULT_PING_POST_POLICY.vendorShare,
      bidTtlSeconds: pingPost.bidTtlSeconds ?? DEFAULT_PING_POST_POLICY.bidTtlSeconds,
      maxSharedBuyers: pingPost.maxSharedBuyers ?? DEFAULT_PING_POST_POLICY.maxSharedBuyers,
    },
  };
  const named = [
    ['charged.defaultPlan', config.charged.defaultPlan],
    ...Object.entries(config.charged.agents).map(([id, plan]) => [`charged.agents.${id}`, plan]),
    ...Object.entries(config.charged.groups).map(([id, plan]) => [`charged.groups.${id}`, plan]),
  ] as const;
  for (const [field, plan] of named) {
    if (plan !== null && !plans[plan])
      throw new EconomicsConfigError(`${source}: ${field}: no plan named "${plan}"`);
  }
  const buyerIds = new Set<string>();
  buyers.forEach((buyer, i) => {
    if (buyerIds.has(buyer.id))
      throw new EconomicsConfigError(`${source}: buyers.${i}.id: "${buyer.id}" twice`);
    buyerIds.add(buyer.id);
  });
  for (const id of Object.keys(caps.buyers ?? {})) {
    if (!buyerIds.has(id))
      throw new EconomicsConfigError(`${source}: caps.buyers.${id}: no buyer with that id`);
  }
  return config;
}

/** The file's pricing, or the defaults when no file is configured. */
export function loadEconomicsConfig(file: string | undefined): EconomicsConfig {
  if (!file) return DEFAULT_ECONOMICS_CONFIG;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new EconomicsConfigError(`cannot read economics config ${file}: ${(error as Error).message}`);
  }
  return parseEconomicsConfig(text, file);
}
