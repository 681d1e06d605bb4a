/**
 * Checks a simulation run from its assignment events alone, with its own bookkeeping and none of
 * the routing code: every offer and acceptance must respect the agent's licences, status,
 * language and working hours, and its daily and concurrent caps. It also measures the run:
 * acceptance, time to accept, and fairness.
 */
import type { Agent } from '../../schemas/routing-records';
import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { SimulatedLead } from './leads';

export interface Audit {
  leads: number;
  assigned: number;
  unroutable: number;
  /** Leads that ended in the manual queue. */
  manual_queue: number;
  offers: number;
  accepted_offers: number;
  declined_offers: number;
  expired_offers: number;
  /** Accepted offers / offers made. */
  accept_rate: number;
  median_time_to_accept_s: number | null;
  /** Offers or acceptances that put an agent over its daily or concurrent cap. */
  capacity_violations: number;
  /** Offers or acceptances to an agent not licensed for the lead's line in its state, not active, or not speaking its language. */
  unlicensed_assignments: number;
  /** Offers made while the agent was off shift. */
  off_shift_offers: number;
  /** Leads accepted more than once. */
  duplicate_acceptances: number;
  /** Sold / (sold + lost). */
  conversion_rate: number | null;
  /** Per routing group: Gini of leads taken per unit of daily capacity, weighted by capacity (0 = perfectly even). */
  fairness_gini: Record<string, number>;
  /** The groups' Gini values weighted by their total capacity. */
  fairness_gini_mean: number;
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();
const timeFormats = new Map<string, Intl.DateTimeFormat>();

function format(
  cache: Map<string, Intl.DateTimeFormat>,
  timeZone: string,
  options: Intl.DateTimeFormatOptions,
) {
  let f = cache.get(timeZone);
  if (!f) cache.set(timeZone, (f = new Intl.DateTimeFormat('en-CA', { timeZone, ...options })));
  return f;
}

function localDate(at: number, timeZone: string): string {
  return format(dayFormats, timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** Inside the agent's shift: weekday listed and HH:MM within [start, end). */
function onShift(agent: Agent, at: number): boolean {
  const parts = format(timeFormats, agent.workingHours.timeZone, {
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(part('weekday')) + 1;
  const clock = `${part('hour')}:${part('minute')}`;
  const { days, start, end } = agent.workingHours;
  return days.includes(weekday) && clock >= start && clock < end;
}

/** Weighted Gini coefficient of `values` (each with its weight). */
export function weightedGini(values: readonly number[], weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  const mean = values.reduce((sum, v, i) => sum + v * weights[i]!, 0) / total;
  if (total === 0 || mean === 0) return 0;
  let spread = 0;
  for (let i = 0; i < values.length; i++) {
    for (let j = 0; j < values.length; j++)
      spread += weights[i]! * weights[j]! * Math.abs(values[i]! - values[j]!);
  }
  return spread / (2 * total * total * mean);
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;

export function auditRun(
  events: readonly AssignmentEvent[],
  agents: readonly Agent[],
  leads: readonly SimulatedLead[],
): Audit {
  const profiles = new Map(agents.map((a) => [a.agentId, a]));
  const arrival = new Map(leads.map((l) => [l.lead.leadId, l.arrivesAt]));
  const open = new Map<string, Set<string>>();
  const working = new Map<string, Set<string>>();
  const acceptedOn = new Map<string, number>();
  const acceptedBy = new Map<string, number>();
  const acceptedLeads = new Set<string>();
  const counts = {
    offers: 0,
    accepted: 0,
    declined: 0,
    expired: 0,
    unroutable: 0,
    manual: 0,
    sold: 0,
    lost: 0,
  };
  let capacityViolations = 0;
  let unlicensed = 0;
  let offShift = 0;
  let duplicates = 0;
  const timesToAccept: number[] = [];
  const setOf = (map: Map<string, Set<string>>, agentId: string) => {
    let set = map.get(agentId);
    if (!set) map.set(agentId, (set = new Set()));
    return set;
  };
  const permitted = (agent: Agent | undefined, event: AssignmentEvent) =>
    agent !== undefined &&
    agent.status === 'active' &&
    (agent.licences[event.lead.line]?.includes(event.lead.state) ?? false) &&
    (event.lead.language === null || agent.languages.includes(event.lead.language));

  for (const event of events) {
    const agent = event.agentId ? profiles.get(event.agentId) : undefined;
    switch (event.type) {
      case 'offered':
      case 'reoffered': {
        counts.offers++;
        if (!permitted(agent, event)) unlicensed++;
        if (agent && !onShift(agent, event.at)) offShift++;
        const offers = setOf(open, event.agentId!);
        offers.add(event.leadId);
        if (agent) {
          const active = setOf(working, agent.agentId).size;
          const today =
            acceptedOn.get(`${agent.agentId}|${localDate(event.at, agent.workingHours.timeZone)}`) ?? 0;
          if (
            offers.size + active > agent.capacity.concurrent ||
            today + offers.size > agent.capacity.daily
          ) {
            capacityViolations++;
          }
        }
        break;
      }
      case 'accepted': {
        counts.accepted++;
        if (!permitted(agent, event)) unlicensed++;
        if (acceptedLeads.has(event.leadId)) duplicates++;
        acceptedLeads.add(event.leadId);
        setOf(open, event.agentId!).delete(event.leadId);
        setOf(working, event.agentId!).add(event.leadId);
        acceptedBy.set(event.agentId!, (acceptedBy.get(event.agentId!) ?? 0) + 1);
        if (agent) {
          const key = `${agent.agentId}|${localDate(event.at, agent.workingHours.timeZone)}`;
          const today = (acceptedOn.get(key) ?? 0) + 1;
          acceptedOn.set(key, today);
          if (today > agent.capacity.daily) capacityViolations++;
        }
        timesToAccept.push((event.at - (arrival.get(event.leadId) ?? event.matchedAt)) / 1000);
        break;
      }
      case 'declined':
      case 'expired':
      case 'withdrawn':
        if (event.type === 'declined') counts.declined++;
        if (event.type === 'expired') counts.expired++;
        setOf(open, event.agentId!).delete(event.leadId);
        break;
      case 'completed':
        if (event.outcome === 'sold') counts.sold++;
        if (event.outcome === 'lost') counts.lost++;
        setOf(working, event.agentId!).delete(event.leadId);
        break;
      case 'progressed':
      case 'released':
        // An accepted lead holds a place until the agent reports on it or its work window ends.
        setOf(working, event.agentId!).delete(event.leadId);
        break;
      case 'unroutable':
        counts.unroutable++;
        break;
      case 'escalated':
        if (event.escalation === 'manual_queue') counts.manual++;
        break;
    }
  }

  const groups = new Map<string, Agent[]>();
  for (const agent of agents) {
    if (agent.status !== 'active') continue;
    groups.set(agent.routingGroup, [...(groups.get(agent.routingGroup) ?? []), agent]);
  }
  const fairness: Record<string, number> = {};
  let weightedSum = 0;
  let capacityTotal = 0;
  for (const [group, members] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const gini = weightedGini(
      members.map((a) => (acceptedBy.get(a.agentId) ?? 0) / a.capacity.daily),
      members.map((a) => a.capacity.daily),
    );
    const capacity = members.reduce((sum, a) => sum + a.capacity.daily, 0);
    fairness[group] = round(gini);
    weightedSum += gini * capacity;
    capacityTotal += capacity;
  }
  const closed = counts.sold + counts.lost;
  const timeToAccept = median(timesToAccept);
  return {
    leads: leads.length,
    assigned: acceptedLeads.size,
    unroutable: counts.unroutable,
    manual_queue: counts.manual,
    offers: counts.offers,
    accepted_offers: counts.accepted,
    declined_offers: counts.declined,
    expired_offers: counts.expired,
    accept_rate: counts.offers === 0 ? 0 : round(counts.accepted / counts.offers),
    median_time_to_accept_s: timeToAccept === null ? null : round(timeToAccept, 1),
    capacity_violations: capacityViolations,
    unlicensed_assignments: unlicensed,
    off_shift_offers: offShift,
    duplicate_acceptances: duplicates,
    conversion_rate: closed === 0 ? null : round(counts.sold / closed),
    fairness_gini: fairness,
    fairness_gini_mean: capacityTotal === 0 ? 0 : round(weightedSum / capacityTotal),
  };
}
