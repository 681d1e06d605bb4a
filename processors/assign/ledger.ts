/**
 * An agent's ledger: what it holds now (open offers, leads being worked, leads taken today), and
 * its results, from which agent.performance is derived.
 */
import { localDay } from '../match/hours';
import type { Agent, AgentPerformance } from '../../schemas/routing-records';
import type { AgentLedger } from '../../schemas/assignment-records';

export function newLedger(agentId: string, group: string): AgentLedger {
  return {
    agentId,
    group,
    day: '',
    acceptedOnDay: 0,
    open: 0,
    active: 0,
    rrCurrent: 0,
    entitled: 0,
    offers: 0,
    accepted: 0,
    declined: 0,
    expired: 0,
    answered: 0,
    answerMsTotal: 0,
    sold: 0,
    lost: 0,
  };
}

export function acceptedToday(ledger: AgentLedger, agent: Agent, now: number): number {
  return ledger.day === localDay(now, agent.workingHours.timeZone) ? ledger.acceptedOnDay : 0;
}

/**
 * Offers the agent can still take now. An open offer holds a place against both caps until it is
 * answered or lapses, so that accepting every open offer can never exceed either cap.
 */
export function capacityLeft(ledger: AgentLedger, agent: Agent, now: number): number {
  const daily = agent.capacity.daily - acceptedToday(ledger, agent, now) - ledger.open;
  const concurrent = agent.capacity.concurrent - ledger.open - ledger.active;
  return Math.min(daily, concurrent);
}

// New agents start from these rates, weighted as if they had this many results, so one early
// decline or sale does not swing their ranking.
const PRIOR = { acceptance: 0.7, acceptanceWeight: 5, conversion: 0.1, conversionWeight: 10 };

export function performanceOf(ledger: AgentLedger, agent: Agent, now: number): AgentPerformance {
  const resolved = ledger.accepted + ledger.declined + ledger.expired;
  const closed = ledger.sold + ledger.lost;
  return {
    agentId: ledger.agentId,
    routingGroup: ledger.group,
    offers: ledger.offers,
    accepted: ledger.accepted,
    declined: ledger.declined,
    expired: ledger.expired,
    sold: ledger.sold,
    lost: ledger.lost,
    acceptanceRate:
      (ledger.accepted + PRIOR.acceptance * PRIOR.acceptanceWeight) / (resolved + PRIOR.acceptanceWeight),
    conversionRate:
      (ledger.sold + PRIOR.conversion * PRIOR.conversionWeight) / (closed + PRIOR.conversionWeight),
    meanResponseSeconds: ledger.answered === 0 ? null : ledger.answerMsTotal / ledger.answered / 1000,
    load: {
      day: localDay(now, agent.workingHours.timeZone),
      acceptedToday: acceptedToday(ledger, agent, now),
      openOffers: ledger.open,
      active: ledger.active,
      dailyCapacity: agent.capacity.daily,
      concurrentCapacity: agent.capacity.concurrent,
    },
    updatedAt: now,
  };
}
