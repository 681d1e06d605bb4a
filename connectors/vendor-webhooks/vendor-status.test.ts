import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { ConsumedRecord } from '../../runtime/records';
import type { RejectedLead, ValidLead } from '../../schemas/lead';
import { sampleRawLead } from '../../schemas/lead-samples';
import { TOPIC } from '../../topics/platform';
import { vendorStatusEvent } from './vendor-status';

const record = (
  topic: string,
  value: unknown,
  headers: Record<string, string> = {},
): ConsumedRecord<unknown> => ({
  topic,
  partition: 0,
  offset: 7,
  timestamp: 0,
  key: 'lead-0001',
  value,
  headers,
});

const rejected: RejectedLead = {
  leadId: 'lead-0001',
  receivedAt: 1,
  vendorId: 'acme',
  rejectedAt: 2,
  stage: 'validate',
  reasons: [{ code: 'invalid_phone', field: 'contact.phone', message: 'not a phone number' }],
  warnings: [],
  raw: sampleRawLead(),
};

const assignment = (type: AssignmentEvent['type'], outcome: AssignmentEvent['outcome'] = null) =>
  ({
    eventId: 'lead-0001:3',
    leadId: 'lead-0001',
    type,
    agentId: 'agent-9',
    at: 5,
    outcome,
    lead: { leadId: 'lead-0001', vendorId: 'acme' },
  }) as AssignmentEvent;

test('rejections carry their reasons; acceptance, assignment and sale name the vendor', () => {
  expect(vendorStatusEvent(record(TOPIC.leadsRejected, rejected))).toEqual({
    eventId: 'lead.rejected:lead-0001',
    type: 'lead.rejected',
    vendorId: 'acme',
    leadId: 'lead-0001',
    occurredAt: 2,
    reasons: rejected.reasons,
    agentId: null,
  });
  const valid = { leadId: 'lead-0001', vendorId: 'acme', validatedAt: 3 } as ValidLead;
  expect(vendorStatusEvent(record(TOPIC.leadsValid, valid))).toMatchObject({
    type: 'lead.accepted',
    occurredAt: 3,
  });
  expect(vendorStatusEvent(record(TOPIC.assignments, assignment('accepted')))).toMatchObject({
    type: 'lead.assigned',
    eventId: 'lead.assigned:lead-0001:3',
    agentId: 'agent-9',
  });
  expect(vendorStatusEvent(record(TOPIC.assignments, assignment('completed', 'sold')))).toMatchObject({
    type: 'lead.converted',
    vendorId: 'acme',
  });
});

test('internal transitions and replayed records are not sent to vendors', () => {
  expect(vendorStatusEvent(record(TOPIC.assignments, assignment('offered')))).toBeNull();
  expect(vendorStatusEvent(record(TOPIC.assignments, assignment('completed', 'lost')))).toBeNull();
  expect(vendorStatusEvent(record(TOPIC.leadsRejected, rejected, { 'lf-replay': '1' }))).toBeNull();
  expect(vendorStatusEvent(record(TOPIC.leadsEnriched, {}))).toBeNull();
});
