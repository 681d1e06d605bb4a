/** Agents and leads for routing tests: valid by default, any field overridable. */
import type { Agent, LeadMatched, RoutableLead } from '../schemas/routing-records';

/** Wednesday 4 March 2026, 18:00 UTC: 10:00 in Los Angeles, 13:00 in New York. */
export const WEDNESDAY_10AM_PACIFIC = Date.UTC(2026, 2, 4, 18, 0);

export function testAgent(overrides: Partial<Agent> & { agentId: string }): Agent {
  return {
    name: `Agent ${overrides.agentId}`,
    email: `${overrides.agentId}@agents.example`,
    phone: null,
    webhookUrl: null,
    notify: [],
    routingGroup: 'west',
    team: null,
    groupLead: false,
    licences: { auto: ['CA', 'NV'] },
    specialties: [],
    languages: ['en'],
    location: { zip: '94103', latitude: 37.773, longitude: -122.411 },
    capacity: { daily: 10, concurrent: 3 },
    workingHours: { timeZone: 'America/Los_Angeles', days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' },
    queueOutsideHours: false,
    status: 'active',
    vipTier: null,
    weight: 1,
    updatedAt: 0,
    source: 'test',
    ...overrides,
  };
}

export function testLead(overrides: Partial<RoutableLead> = {}): RoutableLead {
  return {
    leadId: 'lead-1',
    state: 'CA',
    line: 'auto',
    zip: '94110',
    city: 'San Francisco',
    latitude: 37.75,
    longitude: -122.415,
    language: null,
    score: 70,
    tier: 'B',
    urgency: 'soon',
    receivedAt: WEDNESDAY_10AM_PACIFIC,
    vendorId: 'acme-leads',
    partnerId: null,
    campaign: null,
    pricePaidCents: null,
    pricePaidRule: null,
    ...overrides,
  };
}

/** A routed leads.matched record whose candidates are the given agents, in this order. */
export function testMatched(
  leadId: string,
  group: string,
  agentIds: string[],
  at: number,
  reserve: string[] = [],
): LeadMatched {
  const candidate = (agentId: string, rank: number) => ({
    agentId,
    rank,
    score: 10 - rank,
    distanceKm: 5,
    availableAt: at,
    factors: [],
  });
  return {
    leadId,
    matchedAt: at,
    outcome: 'routed',
    routingGroup: group,
    lead: testLead({ leadId }),
    candidates: agentIds.map((id, i) => candidate(id, i + 1)),
    reserve: reserve.map((id, i) => candidate(id, agentIds.length + i + 1)),
    unroutable: null,
    generation: 1,
  };
}
