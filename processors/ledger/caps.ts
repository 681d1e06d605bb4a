/**
 * What a vendor's lead counts against (its caps for the local day, week and month, the vendor's
 * and its campaign's) and whether it comes within the vendor's schedule. Plain functions: ingress
 * keeps the counts (ingress/caps.ts), so a lead over a cap is refused before it is written.
 */
import type { Agent } from '../../schemas/routing-records';
import { availability, localPeriods } from '../match/hours';
import { type Buyer, CAP_PERIODS, type CapPeriod, type EconomicsConfig } from './economics';

export interface IntakeLead {
  vendorId: string;
  campaign: string | null;
}

/** One count a lead takes a place in: admitted only if every claim of the lead is under its limit. */
export interface CapClaim {
  /** The count's identity: vendor, campaign (or *), period and the period's local name. */
  key: string;
  limit: number;
  /** After this the count is no longer needed (its period is over, with a margin). */
  expiresAt: number;
  /** For people: "acme-leads's daily cap of 500 leads (2026-12-07, America/New_York)". */
  describe: string;
}

const DAY_MS = 86_400_000;
// A period's count is kept a little past the longest such period could last in any zone.
const KEEP_MS: Record<CapPeriod, number> = { daily: 2 * DAY_MS, weekly: 9 * DAY_MS, monthly: 33 * DAY_MS };
const PERIOD_OF = { daily: 'day', weekly: 'week', monthly: 'month' } as const;

const applies = (rule: { vendor: string; campaign: string | null }, lead: IntakeLead) =>
  rule.vendor === lead.vendorId && (rule.campaign === null || rule.campaign === lead.campaign);

/** A claim in each period `limits` caps, counted under `key` with the period's local name. */
function periodClaims(
  cap: { limits: Partial<Record<CapPeriod, number>>; timeZone: string },
  key: string,
  who: string,
  now: number,
): CapClaim[] {
  const periods = localPeriods(now, cap.timeZone);
  return CAP_PERIODS.flatMap((period) => {
    const limit = cap.limits[period];
    if (limit === undefined) return [];
    const local = periods[PERIOD_OF[period]];
    return [
      {
        key: `${key}:${period}:${local}`,
        limit,
        expiresAt: now + KEEP_MS[period],
        describe: `${who}'s ${period} cap of ${limit} leads (${local}, ${cap.timeZone})`,
      },
    ];
  });
}

export function intakeClaims(config: EconomicsConfig, lead: IntakeLead, now: number): CapClaim[] {
  return config.caps.vendors
    .filter((cap) => applies(cap, lead))
    .flatMap((cap) =>
      periodClaims(
        cap,
        `${cap.vendor}:${cap.campaign ?? '*'}`,
        cap.campaign === null ? cap.vendor : `${cap.vendor} campaign ${cap.campaign}`,
        now,
      ),
    );
}

/**
 * The places a lead sold to `buyer` takes in its caps. Keys start with "@", which no vendor id
 * does, so a buyer's counts never meet a vendor's.
 */
export function buyerClaims(buyer: Buyer, now: number): CapClaim[] {
  return buyer.caps ? periodClaims(buyer.caps, `@buyer:${buyer.buyerId}`, `buyer ${buyer.buyerId}`, now) : [];
}

/** Why the lead is outside its vendor's schedule, or null when it may come now. */
export function outsideSchedule(config: EconomicsConfig, lead: IntakeLead, now: number): string | null {
  for (const schedule of config.schedules) {
    if (!applies(schedule, lead) || availability(schedule.hours, now).inHours) continue;
    const { hours } = schedule;
    const who =
      schedule.campaign === null ? schedule.vendor : `${schedule.vendor} campaign ${schedule.campaign}`;
    return `${who} sends leads on days ${hours.days.join(',')} (1 = Monday) from ${hours.start} to ${hours.end} ${hours.timeZone} only`;
  }
  return null;
}

/**
 * Leads the agent may still accept this local week and month under its caps (Infinity without
 * caps), given what it accepted in them and its open offers, which hold a place like accepted ones.
 */
export function agentPeriodRoom(
  config: EconomicsConfig,
  agent: Agent,
  counts: { weekly: number; monthly: number; open: number },
): number {
  const caps = config.caps.agents[agent.agentId];
  if (!caps) return Infinity;
  const room = (cap: number | null, used: number) => (cap === null ? Infinity : cap - used - counts.open);
  return Math.min(room(caps.weekly, counts.weekly), room(caps.monthly, counts.monthly));
}
