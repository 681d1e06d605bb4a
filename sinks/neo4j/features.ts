/**
 * The graph job's routing factors, from the rows of `FEATURE_QUERIES` to `agent.features` records.
 * Pure: plain rows in, plain records out. Every factor is 0-1 on the scale match uses: a
 * conversion rate at CONVERSION_TARGET (a good closer) or above is 1, as in match's own
 * conversion factor; a factor with too little history behind it is left out, so match treats it
 * as unknown instead of as poor.
 */
import { CONVERSION_TARGET } from '../../processors/match/ranking';
import type { AgentFeatures } from '../../schemas/routing-records';

/** Fewer closed leads than this say too little about a conversion rate. */
export const MIN_CLOSED_LEADS = 3;
/** The most that collaboration adds to team strength (an agent that shares households with every teammate). */
export const COLLABORATION_BONUS = 0.2;
/** Referral ties published per agent, strongest first. */
export const MAX_REFERRAL_PARTNERS = 20;

export interface AgentMembershipRow {
  agentId: string;
  routingGroup: string;
  team: string | null;
}

export interface ClosedByLineRow {
  agentId: string;
  line: string;
  closed: number;
  sold: number;
}

export interface GroupOutcomeRow {
  routingGroup: string;
  closed: number;
  sold: number;
}

export interface ReferralTieRow {
  agentId: string;
  partnerId: string;
  converted: number;
}

export interface HouseholdPartnersRow {
  agentId: string;
  agentIds: string[];
}

/** What the graph job reads from the graph. */
export interface GraphFacts {
  agents: AgentMembershipRow[];
  closedByLine: ClosedByLineRow[];
  groupOutcomes: GroupOutcomeRow[];
  referralTies: ReferralTieRow[];
  householdPartners: HouseholdPartnersRow[];
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;

/** A close rate on match's 0-1 scale, or null when `closed` is too small to tell. */
export function conversionScore(sold: number, closed: number): number | null {
  if (closed < MIN_CLOSED_LEADS) return null;
  return round(Math.min(1, sold / closed / CONVERSION_TARGET));
}

/**
 * The share of an agent's teammates it has shared a household with (worked leads of one
 * household: cross-selling, referrals inside a family). Teammates are the agent's team when it
 * has one, else its routing group.
 */
export function collaboration(
  agent: AgentMembershipRow,
  agents: readonly AgentMembershipRow[],
  householdPartners: ReadonlySet<string>,
): number {
  const teammates = agents.filter(
    (other) =>
      other.agentId !== agent.agentId &&
      (agent.team !== null ? other.team === agent.team : other.routingGroup === agent.routingGroup),
  );
  if (teammates.length === 0) return 0;
  return teammates.filter((mate) => householdPartners.has(mate.agentId)).length / teammates.length;
}

/**
 * Team strength: how well the agent's routing group converts, plus up to COLLABORATION_BONUS for
 * collaboration; null until the group has MIN_CLOSED_LEADS closed leads.
 */
export function teamStrength(group: GroupOutcomeRow | undefined, collaborationShare: number): number | null {
  const conversion = group ? conversionScore(group.sold, group.closed) : null;
  if (conversion === null) return null;
  return round(Math.min(1, conversion + COLLABORATION_BONUS * collaborationShare));
}

/** Success with similar leads: per line, the agent's close rate on its closed leads of that line. */
export function similarLeadSuccess(rows: readonly ClosedByLineRow[]): Record<string, number> {
  const byLine: Record<string, number> = {};
  for (const row of [...rows].sort((a, b) => a.line.localeCompare(b.line))) {
    const score = conversionScore(row.sold, row.closed);
    if (score !== null) byLine[row.line] = score;
  }
  return byLine;
}

/** Partners whose referred leads the agent converted, most conversions first. */
export function referralPartners(rows: readonly ReferralTieRow[]): string[] {
  return [...rows]
    .filter((row) => row.converted > 0)
    .sort((a, b) => b.converted - a.converted || a.partnerId.localeCompare(b.partnerId))
    .slice(0, MAX_REFERRAL_PARTNERS)
    .map((row) => row.partnerId);
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = groups.get(k);
    if (list) list.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

/** One agent.features record per agent in a routing group, sorted by agent id. */
export function agentFeatures(facts: GraphFacts, computedAt: number, source: string): AgentFeatures[] {
  const closed = groupBy(facts.closedByLine, (row) => row.agentId);
  const ties = groupBy(facts.referralTies, (row) => row.agentId);
  const groups = new Map(facts.groupOutcomes.map((row) => [row.routingGroup, row]));
  const partners = new Map(facts.householdPartners.map((row) => [row.agentId, new Set(row.agentIds)]));
  return [...facts.agents]
    .sort((a, b) => a.agentId.localeCompare(b.agentId))
    .map((agent) => ({
      agentId: agent.agentId,
      referralPartners: referralPartners(ties.get(agent.agentId) ?? []),
      teamStrength: teamStrength(
        groups.get(agent.routingGroup),
        collaboration(agent, facts.agents, partners.get(agent.agentId) ?? new Set()),
      ),
      similarLeadSuccess: similarLeadSuccess(closed.get(agent.agentId) ?? []),
      computedAt,
      source,
    }));
}

/** Whether two feature records say the same thing (computedAt aside): unchanged ones are not republished. */
export function sameFeatures(a: AgentFeatures, b: AgentFeatures): boolean {
  const { computedAt: _a, ...restA } = a;
  const { computedAt: _b, ...restB } = b;
  return JSON.stringify(restA) === JSON.stringify(restB);
}
