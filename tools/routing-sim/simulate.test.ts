import { DEFAULT_ROUTING_CONFIG } from '../../processors/match/routing-config';
import { STRATEGIES } from '../../schemas/routing-records';
import { testAgent, testLead, WEDNESDAY_10AM_PACIFIC } from '../routing-fixtures';
import type { AssignmentEvent } from '../../schemas/assignment-records';
import { auditRun, weightedGini } from './audit';
import { simulateRouting } from './simulate';

describe('routing simulation', () => {
  const options = {
    agents: 60,
    leads: 800,
    seed: 'unit',
    config: DEFAULT_ROUTING_CONFIG,
    compare: STRATEGIES,
  };
  const report = simulateRouting(options);

  test('every strategy routes every lead somewhere, with no violations', () => {
    const runs = [report, ...Object.values(report.by_strategy!)];
    expect(Object.keys(report.by_strategy!)).toEqual([...STRATEGIES]);
    for (const run of runs) {
      expect(run.capacity_violations).toBe(0);
      expect(run.unlicensed_assignments).toBe(0);
      expect(run.off_shift_offers).toBe(0);
      expect(run.duplicate_acceptances).toBe(0);
      expect(run.invalid_responses).toBe(0);
      expect(run.ledger_places_left).toBe(0);
      expect(run.assigned + run.unroutable + run.manual_queue).toBe(run.leads);
      expect(run.assigned).toBeGreaterThan(run.leads / 2);
      expect(run.accept_rate).toBeGreaterThan(0);
      expect(run.accept_rate).toBeLessThanOrEqual(1);
      expect(run.median_time_to_accept_s).toBeGreaterThan(0);
      for (const gini of Object.values(run.fairness_gini)) {
        expect(gini).toBeGreaterThanOrEqual(0);
        expect(gini).toBeLessThan(1);
      }
    }
    expect(report.leads).toBe(800);
    expect(Object.keys(report.fairness_gini).sort()).toEqual(Object.keys(report.strategies).sort());
  });

  test('the same seed gives the same result', () => {
    const again = simulateRouting({ ...options, compare: [] });
    const { seconds: _a, by_strategy: _b, ...first } = report;
    const { seconds: _c, ...second } = again;
    expect(second).toEqual(first);
  });
});

describe('the audit', () => {
  const agent = testAgent({ agentId: 'a', capacity: { daily: 2, concurrent: 1 } });
  const lead = (leadId: string, overrides = {}) => testLead({ leadId, ...overrides });
  const event = (
    type: AssignmentEvent['type'],
    leadId: string,
    at: number,
    overrides = {},
  ): AssignmentEvent => ({
    eventId: `${leadId}:${type}`,
    leadId,
    type,
    routingGroup: 'west',
    agentId: 'a',
    offerId: `${leadId}:1`,
    attempt: 1,
    strategy: 'best_match',
    at,
    matchedAt: at,
    expiresAt: null,
    escalation: null,
    reason: null,
    outcome: null,
    rankScore: null,
    lead: lead(leadId),
    ...overrides,
  });
  const t = WEDNESDAY_10AM_PACIFIC;

  test('counts offers beyond a cap, to an unlicensed agent or off shift, and double acceptances', () => {
    const audit = auditRun(
      [
        event('offered', 'L1', t),
        event('offered', 'L2', t + 1), // a second open offer: over the concurrent cap of 1
        event('accepted', 'L1', t + 2),
        event('accepted', 'L1', t + 3), // taken twice
        event('offered', 'L3', t + 4, { lead: lead('L3', { state: 'TX' }) }), // not licensed in TX
        event('offered', 'L4', Date.UTC(2026, 2, 4, 9, 0)), // 01:00 in Los Angeles
      ],
      [agent],
      [],
    );
    expect(audit.capacity_violations).toBeGreaterThanOrEqual(2);
    expect(audit.unlicensed_assignments).toBe(1);
    expect(audit.off_shift_offers).toBe(1);
    expect(audit.duplicate_acceptances).toBe(1);
  });

  test('a clean run counts nothing', () => {
    const audit = auditRun(
      [
        event('offered', 'L1', t),
        event('accepted', 'L1', t + 1),
        event('completed', 'L1', t + 2, { outcome: 'sold' }),
      ],
      [agent],
      [],
    );
    expect(audit).toMatchObject({
      capacity_violations: 0,
      unlicensed_assignments: 0,
      off_shift_offers: 0,
      assigned: 1,
      conversion_rate: 1,
    });
  });

  test('weighted Gini', () => {
    expect(weightedGini([1, 1, 1], [1, 1, 1])).toBe(0);
    expect(weightedGini([0, 0, 3], [1, 1, 1])).toBeCloseTo(2 / 3);
    // Weights count like repeated members: [2 x 0, 1 x 3] is [0, 0, 3].
    expect(weightedGini([0, 3], [2, 1])).toBeCloseTo(2 / 3);
    expect(weightedGini([0, 0], [1, 1])).toBe(0);
  });
});
