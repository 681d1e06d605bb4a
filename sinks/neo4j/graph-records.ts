/**
 * What each record says about the graph, as plain rows the Cypher in `cypher.ts` writes with
 * UNWIND ... MERGE. Pure: no driver, no I/O.
 *
 *   (:Vendor)-[:SUPPLIED]->(:Lead)<-[:REFERRED]-(:Partner)     (REFERRED.status: the referral's step)
 *   (:Lead)-[:IN_HOUSEHOLD]->(:Household)   (:Lead)-[:SAME_HOUSEHOLD]->(:Lead)
 *   (:Agent)-[:MEMBER_OF]->(:RoutingGroup)  (:Agent)-[:MEMBER_OF]->(:Team)
 *   (:Lead)-[:OFFERED_TO]->(:Agent)  (:Lead)-[:ASSIGNED_TO]->(:Agent)  (:Lead)-[:CONVERTED_BY]->(:Agent)
 */
import type { Blind } from '../../processors/validate/identities';
import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { Agent } from '../../schemas/routing-records';
import type { Partner, ReferralEvent } from '../../schemas/reward-records';
import { routableLead } from '../../processors/match/routable-lead';
import type { LeadOutcomeEvent, ScoredLead } from '../../schemas/score-records';
import type { ConsumedRecord } from '../../runtime/records';
import { TOPIC } from '../../topics/platform';
import { householdKeys } from './household';

/**
 * The topics the graph is built from, in two co-partitioned sets: the lead flow's topics, and the
 * single-partition partners topic.
 */
export const PARTNER_TOPICS = [TOPIC.partners] as const;
export const GRAPH_TOPICS = [
  TOPIC.leadsScored,
  TOPIC.agents,
  TOPIC.assignments,
  TOPIC.leadOutcomes,
  TOPIC.referrals,
] as const;

/** Lead facts the graph keeps: routing facts only, no contact details. */
export interface LeadRow {
  leadId: string;
  vendorId: string;
  line: string;
  state: string;
  zip: string | null;
  score: number;
  tier: string;
  receivedAt: number;
  households: string[];
}

/**
 * A partner that referred a lead: from the referrals topic (the rewards stage's referral steps) or
 * from the lead itself (a vendor's `partnerId` extra field, status null).
 */
export interface ReferralRow {
  partnerId: string;
  leadId: string;
  /** The referral's latest step (submitted, qualified, converted, rejected, ...). */
  status: string | null;
}

/** A partner's profile; no payout details. A deleted partner keeps its node with status removed. */
export interface PartnerRow {
  partnerId: string;
  name: string | null;
  status: string;
}

export interface AgentRow {
  agentId: string;
  name: string;
  status: string;
  vipTier: string | null;
  routingGroup: string;
  team: string | null;
  lines: string[];
  specialties: string[];
  updatedAt: number;
}

export interface OfferRow {
  leadId: string;
  agentId: string;
  at: number;
  rankScore: number | null;
}

/** An agent's answer to an offer: accepted, declined, expired or withdrawn. */
export interface OfferResponseRow {
  leadId: string;
  agentId: string;
  response: string;
  at: number;
}

export interface AssignedRow {
  leadId: string;
  agentId: string;
  at: number;
}

/** contacted, quoted, sold or lost; a sale with an agent converts the lead by that agent. */
export interface OutcomeRow {
  leadId: string;
  agentId: string | null;
  status: string;
  at: number;
}

export interface GraphBatch {
  leads: LeadRow[];
  referrals: ReferralRow[];
  partners: PartnerRow[];
  agents: AgentRow[];
  /** Agents whose record was deleted (a tombstone): they leave their groups, their history stays. */
  removedAgents: string[];
  offers: OfferRow[];
  responses: OfferResponseRow[];
  assigned: AssignedRow[];
  outcomes: OutcomeRow[];
}

export const emptyBatch = (): GraphBatch => ({
  leads: [],
  referrals: [],
  partners: [],
  agents: [],
  removedAgents: [],
  offers: [],
  responses: [],
  assigned: [],
  outcomes: [],
});

export class GraphRecordError extends Error {
  override name = 'GraphRecordError';
}

export function leadRow(scored: ScoredLead, blind: Blind): { lead: LeadRow; referral: ReferralRow | null } {
  const routable = routableLead(scored);
  const lead: LeadRow = {
    leadId: routable.leadId,
    vendorId: routable.vendorId,
    line: routable.line,
    state: routable.state,
    zip: routable.zip,
    score: routable.score,
    tier: routable.tier,
    receivedAt: routable.receivedAt,
    households: householdKeys(scored.lead.contact, blind),
  };
  const referral =
    routable.partnerId === null ? null : { partnerId: routable.partnerId, leadId: lead.leadId, status: null };
  return { lead, referral };
}

export function agentRow(agent: Agent): AgentRow {
  return {
    agentId: agent.agentId,
    name: agent.name,
    status: agent.status,
    vipTier: agent.vipTier,
    routingGroup: agent.routingGroup,
    team: agent.team,
    lines: Object.keys(agent.licences).sort(),
    specialties: [...agent.specialties],
    updatedAt: agent.updatedAt,
  };
}

const OFFER_RESPONSES = new Set(['accepted', 'declined', 'expired', 'withdrawn']);

function addAssignmentEvent(batch: GraphBatch, event: AssignmentEvent): void {
  const { leadId, agentId, at } = event;
  if (agentId === null) return;
  if (event.type === 'offered' || event.type === 'reoffered') {
    batch.offers.push({ leadId, agentId, at, rankScore: event.rankScore ?? null });
  } else if (OFFER_RESPONSES.has(event.type)) {
    batch.responses.push({ leadId, agentId, response: event.type, at });
    if (event.type === 'accepted') batch.assigned.push({ leadId, agentId, at });
  } else if ((event.type === 'progressed' || event.type === 'completed') && event.outcome !== null) {
    batch.outcomes.push({ leadId, agentId, status: event.outcome, at });
  }
}

function requireField(value: unknown, field: string, topic: string): void {
  if (value === null || value === undefined || value === '')
    throw new GraphRecordError(`${topic}: ${field} is missing`);
}

/** An agents record: the agent's new row, or null for a tombstone. */
function agentChange(record: ConsumedRecord<unknown>): { agentId: string; row: AgentRow | null } {
  const agent = record.value as Agent | null;
  if (agent === null) {
    requireField(record.key, 'key', record.topic);
    return { agentId: record.key, row: null };
  }
  requireField(agent.agentId, 'agentId', record.topic);
  return { agentId: agent.agentId, row: agentRow(agent) };
}

function addRecord(batch: GraphBatch, record: ConsumedRecord<unknown>, blind: Blind): void {
  switch (record.topic) {
    case TOPIC.leadsScored: {
      const scored = record.value as ScoredLead;
      requireField(scored?.leadId, 'leadId', record.topic);
      const { lead, referral } = leadRow(scored, blind);
      batch.leads.push(lead);
      if (referral) batch.referrals.push(referral);
      return;
    }
    case TOPIC.assignments: {
      const event = record.value as AssignmentEvent;
      requireField(event?.leadId, 'leadId', record.topic);
      addAssignmentEvent(batch, event);
      return;
    }
    case TOPIC.leadOutcomes: {
      const outcome = record.value as LeadOutcomeEvent;
      requireField(outcome?.leadId, 'leadId', record.topic);
      batch.outcomes.push({
        leadId: outcome.leadId,
        agentId: outcome.agentId,
        status: outcome.status,
        at: outcome.at,
      });
      return;
    }
    case TOPIC.referrals: {
      const referral = record.value as ReferralEvent;
      requireField(referral?.leadId, 'leadId', record.topic);
      requireField(referral.partnerId, 'partnerId', record.topic);
      batch.referrals.push({ partnerId: referral.partnerId, leadId: referral.leadId, status: referral.type });
      return;
    }
    case TOPIC.partners: {
      const partner = record.value as Partner | null;
      requireField(record.key, 'key', record.topic);
      batch.partners.push(
        partner === null
          ? { partnerId: record.key, name: null, status: 'removed' }
          : { partnerId: record.key, name: partner.name, status: partner.status },
      );
      return;
    }
    default:
      throw new GraphRecordError(`the graph sink does not read topic ${record.topic}`);
  }
}

/**
 * The rows of a batch of records, in record order. Throws GraphRecordError for a record the graph
 * cannot hold. An agent's latest record in the batch wins (agents is a compacted topic: a put then
 * a tombstone leaves the agent removed), so upserts and removals are two statements that cannot
 * reorder an agent's history.
 */
export function graphBatch(records: readonly ConsumedRecord<unknown>[], blind: Blind): GraphBatch {
  const batch = emptyBatch();
  const agents = new Map<string, AgentRow | null>();
  for (const record of records) {
    if (record.topic === TOPIC.agents) {
      const change = agentChange(record);
      agents.delete(change.agentId);
      agents.set(change.agentId, change.row);
    } else {
      addRecord(batch, record, blind);
    }
  }
  for (const [agentId, row] of agents) {
    if (row === null) batch.removedAgents.push(agentId);
    else batch.agents.push(row);
  }
  return batch;
}
