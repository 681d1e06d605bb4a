/**
 * The match stage's pure logic: one scored lead and the agent tables in, the lead's routing group
 * and ranked candidates (or the reason it is unroutable) out.
 *
 * The routing group is the group of the best eligible agent, preferring agents working right now
 * and within their group's radius: assign owns one group's capacity per task, so all candidates of
 * a lead come from that one group.
 */
import { checkEligibility, type IneligibleReason, unroutableReason } from './eligibility';
import { contributions, distanceKm, factorValues, weightedScore } from './ranking';
import type {
  Agent,
  AgentFeatures,
  AgentPerformance,
  Candidate,
  LeadMatched,
  RoutableLead,
} from '../../schemas/routing-records';
import { type Factor, type RoutingConfig, settingsFor, type Weights } from './routing-config';

export interface AgentTables {
  agents(): Iterable<Agent>;
  performance(agentId: string): AgentPerformance | undefined;
  features(agentId: string): AgentFeatures | undefined;
  /** The agent's routing priority boost from its VIP tier, when the rewards stage has set one. */
  priorityBoost?(agentId: string): number | undefined;
}

interface Ranked {
  agent: Agent;
  inHours: boolean;
  withinRadius: boolean;
  score: number;
  distanceKm: number | null;
  availableAt: number;
  values: Record<Factor, number>;
  weights: Weights;
}

/** Better first: working now, within the radius, higher score; agent id breaks ties. */
function compareRanked(a: Ranked, b: Ranked): number {
  return (
    Number(b.inHours) - Number(a.inHours) ||
    Number(b.withinRadius) - Number(a.withinRadius) ||
    b.score - a.score ||
    a.agent.agentId.localeCompare(b.agent.agentId)
  );
}

function byScore(a: Ranked, b: Ranked): number {
  return b.score - a.score || a.agent.agentId.localeCompare(b.agent.agentId);
}

function candidate(ranked: Ranked, rank: number): Candidate {
  return {
    agentId: ranked.agent.agentId,
    rank,
    score: ranked.score,
    distanceKm: ranked.distanceKm === null ? null : Math.round(ranked.distanceKm * 10) / 10,
    availableAt: ranked.availableAt,
    factors: contributions(ranked.values, ranked.weights),
  };
}

export function matchLead(
  lead: RoutableLead,
  tables: AgentTables,
  config: RoutingConfig,
  now: number,
): LeadMatched {
  const rejections: IneligibleReason[] = [];
  const eligible: Ranked[] = [];
  let agentCount = 0;
  for (const agent of tables.agents()) {
    agentCount++;
    const eligibility = checkEligibility(agent, lead, now);
    if (!eligibility.eligible) {
      rejections.push(eligibility.reason);
      continue;
    }
    const settings = settingsFor(config, agent.routingGroup);
    const distance = distanceKm(agent, lead);
    const values = factorValues({
      agent,
      lead,
      performance: tables.performance(agent.agentId),
      features: tables.features(agent.agentId),
      distanceKm: distance,
      radiusKm: settings.radiusKm,
      now,
      priorityBoost: tables.priorityBoost?.(agent.agentId),
    });
    eligible.push({
      agent,
      inHours: eligibility.inHours,
      withinRadius: distance === null || distance <= settings.radiusKm,
      score: weightedScore(values, settings.weights),
      distanceKm: distance,
      availableAt: eligibility.availableAt,
      values,
      weights: settings.weights,
    });
  }

  // A first routing: routing-memory.ts numbers the routings of a lead that was unroutable.
  const base = { leadId: lead.leadId, matchedAt: now, lead, generation: 1 };
  if (eligible.length === 0) {
    return {
      ...base,
      outcome: 'unroutable',
      routingGroup: null,
      candidates: [],
      reserve: [],
      unroutable: unroutableReason(agentCount, rejections, lead),
    };
  }

  const best = eligible.reduce((a, b) => (compareRanked(a, b) <= 0 ? a : b));
  const group = best.agent.routingGroup;
  const { maxCandidates } = settingsFor(config, group);
  const members = eligible.filter((r) => r.agent.routingGroup === group).sort(byScore);
  const primary = members.filter((r) => r.withinRadius).slice(0, maxCandidates);
  const reserve = members.filter((r) => !r.withinRadius).slice(0, maxCandidates);
  return {
    ...base,
    outcome: 'routed',
    routingGroup: group,
    candidates: primary.map((r, i) => candidate(r, i + 1)),
    reserve: reserve.map((r, i) => candidate(r, primary.length + i + 1)),
    unroutable: null,
  };
}
