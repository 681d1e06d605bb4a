import fc from 'fast-check';
import { INSURANCE_LINES } from '../../schemas/lead';
import { checkEligibility } from './eligibility';
import { availability } from './hours';
import { type AgentTables, matchLead } from './match';
import type { Agent, AgentFeatures, AgentPerformance, RoutableLead } from '../../schemas/routing-records';
import { DEFAULT_ROUTING_CONFIG, parseRoutingConfig } from './routing-config';
import { testAgent, testLead, WEDNESDAY_10AM_PACIFIC } from '../../tools/routing-fixtures';

const NOW = WEDNESDAY_10AM_PACIFIC;

function tables(
  agents: Agent[],
  performance: Record<string, AgentPerformance> = {},
  features: Record<string, AgentFeatures> = {},
): AgentTables {
  return {
    agents: () => agents,
    performance: (id) => performance[id],
    features: (id) => features[id],
  };
}

function performance(agentId: string, overrides: Partial<AgentPerformance> = {}): AgentPerformance {
  return {
    agentId,
    routingGroup: 'west',
    offers: 0,
    accepted: 0,
    declined: 0,
    expired: 0,
    sold: 0,
    lost: 0,
    acceptanceRate: 0.7,
    conversionRate: 0.1,
    meanResponseSeconds: null,
    load: {
      day: '2026-03-04',
      acceptedToday: 0,
      openOffers: 0,
      active: 0,
      dailyCapacity: 10,
      concurrentCapacity: 3,
    },
    updatedAt: NOW,
    ...overrides,
  };
}

describe('hard constraints', () => {
  const STATES = ['CA', 'NV', 'OR', 'TX', 'NY'];
  const ZONES = ['America/Los_Angeles', 'America/New_York', 'Pacific/Honolulu'];
  const agentArb = fc.record({
    agentId: fc.uuid(),
    routingGroup: fc.constantFrom('west', 'east', 'national'),
    licences: fc.dictionary(fc.constantFrom(...INSURANCE_LINES), fc.subarray(STATES, { minLength: 1 })),
    languages: fc.subarray(['en', 'es', 'vi'], { minLength: 1 }),
    status: fc.constantFrom('active', 'paused', 'inactive' as const),
    queueOutsideHours: fc.boolean(),
    workingHours: fc.record({
      timeZone: fc.constantFrom(...ZONES),
      days: fc.subarray([1, 2, 3, 4, 5, 6, 7], { minLength: 1 }),
      start: fc.constantFrom('06:00', '09:00', '13:00'),
      end: fc.constantFrom('17:00', '21:00'),
    }),
    location: fc.option(
      fc.record({
        zip: fc.constant(null),
        latitude: fc.double({ min: 25, max: 48, noNaN: true }),
        longitude: fc.double({ min: -124, max: -70, noNaN: true }),
      }),
      { nil: null },
    ),
  });
  const leadArb = fc.record({
    state: fc.constantFrom(...STATES),
    line: fc.constantFrom(...INSURANCE_LINES),
    language: fc.constantFrom(null, 'en', 'es', 'vi'),
    tier: fc.constantFrom('A', 'B', 'C', 'D'),
  });

  test('every candidate and reserve agent is licensed, active, speaks the language and works now or queues', () => {
    fc.assert(
      fc.property(
        fc.array(agentArb, { maxLength: 25 }),
        leadArb,
        fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 11, 31) }),
        (agentFields, leadFields, now) => {
          const agents = agentFields.map((fields) =>
            testAgent(fields as Partial<Agent> & { agentId: string }),
          );
          const lead = testLead(leadFields as Partial<RoutableLead>);
          const matched = matchLead(lead, tables(agents), DEFAULT_ROUTING_CONFIG, now);
          const byId = new Map(agents.map((a) => [a.agentId, a]));
          for (const candidate of [...matched.candidates, ...matched.reserve]) {
            // Checked here without the eligibility module.
            const agent = byId.get(candidate.agentId)!;
            expect(agent.licences[lead.line]).toContain(lead.state);
            expect(agent.status).toBe('active');
            if (lead.language) expect(agent.languages).toContain(lead.language);
            const shift = availability(agent.workingHours, now);
            expect(shift.inHours || agent.queueOutsideHours).toBe(true);
            expect(agent.routingGroup).toBe(matched.routingGroup);
          }
          const anyEligible = agents.some((a) => checkEligibility(a, lead, now).eligible);
          expect(matched.outcome).toBe(anyEligible ? 'routed' : 'unroutable');
          if (!anyEligible) expect(matched.unroutable?.message.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('an unroutable lead says which constraint left nobody, with the funnel', () => {
    const lead = testLead({ state: 'CA', language: 'es' });
    const none = matchLead(lead, tables([]), DEFAULT_ROUTING_CONFIG, NOW);
    expect(none.unroutable).toMatchObject({ code: 'no_agents' });

    const wrongState = matchLead(
      lead,
      tables([testAgent({ agentId: 'a', licences: { auto: ['TX'] } })]),
      DEFAULT_ROUTING_CONFIG,
      NOW,
    );
    expect(wrongState).toMatchObject({ outcome: 'unroutable', routingGroup: null, candidates: [] });
    expect(wrongState.unroutable).toMatchObject({ code: 'not_licensed', funnel: { agents: 1, licensed: 0 } });
    expect(wrongState.unroutable!.message).toContain('auto in CA');

    const noSpanish = matchLead(
      lead,
      tables([testAgent({ agentId: 'a' }), testAgent({ agentId: 'b', status: 'paused', languages: ['es'] })]),
      DEFAULT_ROUTING_CONFIG,
      NOW,
    );
    expect(noSpanish.unroutable).toMatchObject({
      code: 'language_unsupported',
      funnel: { agents: 2, licensed: 2, active: 1, language: 0, available: 0 },
    });

    const night = matchLead(
      testLead(),
      tables([testAgent({ agentId: 'a' })]),
      DEFAULT_ROUTING_CONFIG,
      Date.UTC(2026, 2, 4, 9, 0), // 01:00 in Los Angeles
    );
    expect(night.unroutable).toMatchObject({ code: 'outside_hours' });
  });

  test('an agent who queues outside hours is a candidate available at the start of its next shift', () => {
    const night = Date.UTC(2026, 2, 4, 9, 0); // Wednesday 01:00 in Los Angeles
    const matched = matchLead(
      testLead(),
      tables([testAgent({ agentId: 'a', queueOutsideHours: true })]),
      DEFAULT_ROUTING_CONFIG,
      night,
    );
    expect(matched.candidates.map((c) => [c.agentId, c.availableAt])).toEqual([
      ['a', Date.UTC(2026, 2, 4, 16, 0)], // 08:00 PST
    ]);
  });
});

describe('ranking', () => {
  test('the score is the sum of the factor contributions, and each contribution is value x weight', () => {
    const agents = [
      testAgent({ agentId: 'near', specialties: ['auto'], vipTier: 'gold' }),
      testAgent({ agentId: 'far', location: { zip: null, latitude: 34.05, longitude: -118.24 } }),
    ];
    const matched = matchLead(testLead(), tables(agents), DEFAULT_ROUTING_CONFIG, NOW);
    const ranked = [...matched.candidates, ...matched.reserve];
    expect(ranked.map((c) => c.agentId)).toEqual(['near', 'far']);
    for (const candidate of ranked) {
      const sum = candidate.factors.reduce((total, f) => total + f.contribution, 0);
      expect(candidate.score).toBeCloseTo(sum, 3);
      for (const factor of candidate.factors) {
        expect(factor.contribution).toBeCloseTo(factor.value * factor.weight, 3);
        expect(factor.value).toBeGreaterThanOrEqual(0);
        expect(factor.value).toBeLessThanOrEqual(1);
      }
    }
    const near = Object.fromEntries(ranked[0]!.factors.map((f) => [f.name, f.value]));
    const far = Object.fromEntries(ranked[1]!.factors.map((f) => [f.name, f.value]));
    expect(near.specialisation).toBe(1);
    expect(far.specialisation).toBe(0);
    expect(near.distance).toBeGreaterThan(far.distance!);
    expect(ranked[1]!.distanceKm).toBeGreaterThan(500);
  });

  test('performance, load and graph features move agents up and down', () => {
    const agents = [testAgent({ agentId: 'a' }), testAgent({ agentId: 'b' })];
    const lead = testLead({ partnerId: 'partner-7' });
    const base = matchLead(lead, tables(agents), DEFAULT_ROUTING_CONFIG, NOW);
    expect(base.candidates.map((c) => c.agentId)).toEqual(['a', 'b']); // a tie: the id decides

    const busyA = matchLead(
      lead,
      tables(agents, {
        a: performance('a', { load: { ...performance('a').load, acceptedToday: 9, openOffers: 1 } }),
      }),
      DEFAULT_ROUTING_CONFIG,
      NOW,
    );
    expect(busyA.candidates.map((c) => c.agentId)).toEqual(['b', 'a']);

    const referral = matchLead(
      lead,
      tables(
        agents,
        {},
        {
          b: {
            agentId: 'b',
            referralPartners: ['partner-7'],
            teamStrength: 0.9,
            similarLeadSuccess: { auto: 0.8 },
            computedAt: NOW,
            source: 'test',
          },
        },
      ),
      DEFAULT_ROUTING_CONFIG,
      NOW,
    );
    expect(referral.candidates[0]!.agentId).toBe('b');
    expect(referral.candidates[0]!.factors.find((f) => f.name === 'referral')!.value).toBe(1);

    const closer = matchLead(
      lead,
      tables(agents, { b: performance('b', { conversionRate: 0.3, meanResponseSeconds: 20 }) }),
      DEFAULT_ROUTING_CONFIG,
      NOW,
    );
    expect(closer.candidates[0]!.agentId).toBe('b');
  });

  test('the lead goes to the group of the best agent working now, with that group only', () => {
    const config = parseRoutingConfig('groups:\n  east:\n    weights: { vip: 50 }\n');
    const agents = [
      testAgent({ agentId: 'w1', routingGroup: 'west' }),
      testAgent({ agentId: 'w2', routingGroup: 'west' }),
      testAgent({ agentId: 'e1', routingGroup: 'east', vipTier: 'diamond' }),
      // The best score of all, but asleep in Honolulu and queueing: a group working now is preferred.
      testAgent({
        agentId: 'h1',
        routingGroup: 'hawaii',
        vipTier: 'diamond',
        queueOutsideHours: true,
        workingHours: { timeZone: 'Pacific/Honolulu', days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' },
      }),
    ];
    const matched = matchLead(testLead(), tables(agents), config, NOW);
    expect(matched.routingGroup).toBe('east');
    expect(matched.candidates.map((c) => c.agentId)).toEqual(['e1']);
  });

  test('agents beyond the group radius are the reserve for the wider-radius escalation', () => {
    const config = parseRoutingConfig('defaults: { radiusKm: 100, maxCandidates: 2 }');
    const agents = [
      testAgent({ agentId: 'sf1' }),
      testAgent({ agentId: 'sf2' }),
      testAgent({ agentId: 'sf3' }),
      testAgent({ agentId: 'la', location: { zip: null, latitude: 34.05, longitude: -118.24 } }),
      testAgent({ agentId: 'vegas', location: { zip: null, latitude: 36.17, longitude: -115.14 } }),
      testAgent({ agentId: 'reno', location: { zip: null, latitude: 39.53, longitude: -119.81 } }),
    ];
    const matched = matchLead(testLead(), tables(agents), config, NOW);
    expect(matched.candidates.map((c) => c.agentId)).toEqual(['sf1', 'sf2']);
    expect(matched.reserve.map((c) => c.agentId)).toEqual(['reno', 'la']);
    expect(matched.reserve.map((c) => c.rank)).toEqual([3, 4]);
  });
});
