/**
 * The transparent ranking: every factor is a value in [0, 1] with a plain meaning, multiplied by
 * its group's weight; an agent's score is the sum of those contributions, and leads.matched
 * carries each one so anyone can see why an agent ranked where it did.
 */
import { localDay } from './hours';
import type {
  Agent,
  AgentFeatures,
  AgentPerformance,
  FactorContribution,
  RoutableLead,
  VipTier,
} from '../../schemas/routing-records';
import { FACTORS, type Factor, type Weights } from './routing-config';

/** Neutral value of a factor nothing is known about yet. */
const UNKNOWN = 0.5;
/** A close rate at or above this earns the full conversion factor. */
export const CONVERSION_TARGET = 0.3;
/** A mean answer time this long halves the response-time factor. */
export const RESPONSE_HALF_SECONDS = 120;

const VIP_LEVEL: Record<VipTier, number> = { silver: 0.25, gold: 0.5, platinum: 0.75, diamond: 1 };
const TIER_QUALITY: Record<string, number> = { A: 1, B: 2 / 3, C: 1 / 3, D: 0 };

const EARTH_RADIUS_KM = 6371;

/** Great-circle distance in km. */
export function haversineKm(
  a: { latitude: number; longitude: number },
  b: { latitude: number; longitude: number },
) {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function distanceKm(agent: Agent, lead: RoutableLead): number | null {
  if (!agent.location || lead.latitude === null || lead.longitude === null) return null;
  return haversineKm(agent.location, { latitude: lead.latitude, longitude: lead.longitude });
}

export interface RankingInput {
  agent: Agent;
  lead: RoutableLead;
  performance: AgentPerformance | undefined;
  features: AgentFeatures | undefined;
  distanceKm: number | null;
  radiusKm: number;
  now: number;
  /** The agent's earned tier's routing priority boost (agent.tiers); else its profile's tier level. */
  priorityBoost?: number;
}

/** Share of its capacity an agent is using, by the latest published load (0 = idle, 1 = full). */
export function utilisation(agent: Agent, performance: AgentPerformance | undefined, now: number): number {
  if (!performance) return 0;
  const { load } = performance;
  const acceptedToday = load.day === localDay(now, agent.workingHours.timeZone) ? load.acceptedToday : 0;
  const daily = (acceptedToday + load.openOffers) / Math.max(1, agent.capacity.daily);
  const concurrent = (load.openOffers + load.active) / Math.max(1, agent.capacity.concurrent);
  return Math.min(1, Math.max(daily, concurrent));
}

export function factorValues(input: RankingInput): Record<Factor, number> {
  const { agent, lead, performance, features } = input;
  const agentLevel = agent.vipTier ? VIP_LEVEL[agent.vipTier] : 0;
  const leadQuality = TIER_QUALITY[lead.tier] ?? UNKNOWN;
  return {
    specialisation: agent.specialties.includes(lead.line) ? 1 : 0,
    // 1 at the lead's ZIP, 0.5 at the group's radius, falling smoothly beyond it.
    distance: input.distanceKm === null ? UNKNOWN : 1 / (1 + input.distanceKm / input.radiusKm),
    conversion: performance ? Math.min(1, performance.conversionRate / CONVERSION_TARGET) : UNKNOWN,
    responseTime:
      performance?.meanResponseSeconds == null
        ? UNKNOWN
        : 1 / (1 + performance.meanResponseSeconds / RESPONSE_HALF_SECONDS),
    acceptance: performance ? performance.acceptanceRate : UNKNOWN,
    load: 1 - utilisation(agent, performance, input.now),
    // The best leads suit the highest tiers, weaker leads suit agents still building their book.
    tierFit: 1 - Math.abs(leadQuality - agentLevel),
    vip: input.priorityBoost ?? agentLevel,
    referral: lead.partnerId !== null && features?.referralPartners.includes(lead.partnerId) ? 1 : 0,
    team: features?.teamStrength ?? UNKNOWN,
    similarSuccess: features?.similarLeadSuccess[lead.line] ?? UNKNOWN,
  };
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;

/** The agent's score: the weighted sum of its factor values. */
export function weightedScore(values: Record<Factor, number>, weights: Weights): number {
  let score = 0;
  for (const name of FACTORS) score += Math.min(1, Math.max(0, values[name])) * weights[name];
  return round(score);
}

/** Every factor's value, weight and contribution to the score (rounded for display). */
export function contributions(values: Record<Factor, number>, weights: Weights): FactorContribution[] {
  return FACTORS.map((name) => {
    const value = Math.min(1, Math.max(0, values[name]));
    return { name, value: round(value), weight: weights[name], contribution: round(value * weights[name]) };
  });
}
