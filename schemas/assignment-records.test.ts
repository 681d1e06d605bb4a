/**
 * The routing records as the code builds them fit their Avro schemas field for field, and come
 * back unchanged.
 */
import type { NotificationRecord } from '../connectors/notify/notifier';
import { avroType, loadSchema } from './avro';
import { matchLead } from '../processors/match/match';
import type { AgentFeatures } from './routing-records';
import { DEFAULT_ROUTING_CONFIG } from '../processors/match/routing-config';
import { testAgent, testLead, testMatched, WEDNESDAY_10AM_PACIFIC } from '../tools/routing-fixtures';
import { newLedger, performanceOf } from '../processors/assign/ledger';
import type { AgentResponse, AssignmentEvent } from './assignment-records';

const roundTrip = (schema: string, value: unknown) => {
  const type = avroType(loadSchema(schema));
  expect(type.fromBuffer(type.toBuffer(value))).toEqual(value);
};

const NOW = WEDNESDAY_10AM_PACIFIC;

describe('routing records fit their schemas', () => {
  const agent = testAgent({ agentId: 'a', vipTier: 'gold', specialties: ['auto'], notify: ['email'] });

  test('agent, features and performance', () => {
    roundTrip('agent', agent);
    roundTrip('agent', { ...agent, location: null, vipTier: null });
    const features: AgentFeatures = {
      agentId: 'a',
      referralPartners: ['p1'],
      teamStrength: 0.7,
      similarLeadSuccess: { auto: 0.4 },
      computedAt: NOW,
      source: 'graph-job v1',
    };
    roundTrip('agent-features', features);
    roundTrip(
      'agent-performance',
      performanceOf({ ...newLedger('a', 'west'), answered: 2, answerMsTotal: 9000 }, agent, NOW),
    );
  });

  test('leads.matched, routed and unroutable', () => {
    const tables = { agents: () => [agent], performance: () => undefined, features: () => undefined };
    roundTrip('lead-matched', matchLead(testLead(), tables, DEFAULT_ROUTING_CONFIG, NOW));
    roundTrip('lead-matched', matchLead(testLead({ state: 'TX' }), tables, DEFAULT_ROUTING_CONFIG, NOW));
    roundTrip('lead-matched', testMatched('L1', 'west', ['a'], NOW, ['b']));
  });

  test('responses, assignment events and the delivery log', () => {
    const response: AgentResponse = {
      responseId: 'r1',
      routingGroup: 'west',
      leadId: 'L1',
      offerId: 'L1:1',
      agentId: 'a',
      response: 'outcome',
      outcome: 'sold',
      reason: null,
      premiumUsd: 980,
      decidedBy: null,
      respondedAt: NOW,
      channel: 'api',
    };
    roundTrip('agent-response', response);
    roundTrip('agent-response', {
      ...response,
      response: 'approve_return',
      outcome: null,
      decidedBy: 'ops-1',
    });
    const event: AssignmentEvent = {
      eventId: 'L1:1',
      leadId: 'L1',
      type: 'offered',
      routingGroup: 'west',
      agentId: 'a',
      offerId: 'L1:1',
      attempt: 1,
      strategy: 'fair_share',
      at: NOW,
      matchedAt: NOW,
      expiresAt: NOW + 300_000,
      escalation: null,
      reason: null,
      outcome: null,
      premiumUsd: null,
      rankScore: 8.25,
      lead: testLead({ leadId: 'L1', language: 'es', partnerId: 'p1' }),
      priceChargedCents: null,
      priceChargedRule: null,
      returnReason: null,
    };
    roundTrip('assignment-event', event);
    roundTrip('assignment-event', {
      ...event,
      type: 'return_approved',
      lead: testLead({ leadId: 'L1', campaign: 'spring', pricePaidCents: 2600, pricePaidRule: 'rule:acme' }),
      priceChargedCents: 4500,
      priceChargedRule: 'plan:by-score:score>=60',
      returnReason: 'bad_phone',
      reason: 'auto_approved',
    });
    const notification: NotificationRecord = {
      deliveryKey: 'L1:1/email',
      eventId: 'L1:1',
      leadId: 'L1',
      agentId: 'a',
      channel: 'email',
      status: 'failed',
      attempts: 3,
      statusCode: 451,
      error: 'SMTP: 451 try later',
      at: NOW,
    };
    roundTrip('assignment-notification', notification);
  });
});
