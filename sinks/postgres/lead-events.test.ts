import { HEADER } from '../../runtime/records';
import { TOPIC } from '../../topics/platform';
import { consumed, leadJourney, leadRecords } from '../../test/sinks/records';
import { latestPerKey, toDoNotContactChange } from './do-not-contact';
import {
  campaignAsReceived,
  compareHistory,
  inRounds,
  lineAsReceived,
  stagesReached,
  stagesReachedBy,
  toLeadEvent,
  withoutNul,
} from './lead-events';

describe('toLeadEvent', () => {
  const lead = leadRecords('lead-1');

  test('maps each lead topic to its stage, time and facts, with the event id topic/partition/offset', () => {
    const raw = toLeadEvent(consumed(TOPIC.leadsRaw, 'lead-1', lead.raw, 7, { partition: 3 }));
    expect(raw).toMatchObject({
      eventId: 'leads.raw/3/7',
      leadId: 'lead-1',
      stage: 'received',
      occurredAt: lead.raw.receivedAt,
      replay: false,
      facts: { vendorId: 'acme-leads', channel: 'api', line: 'auto', state: 'CA', zip: '94103' },
    });
    const valid = toLeadEvent(consumed(TOPIC.leadsValid, 'lead-1', lead.valid, 1));
    expect(valid).toMatchObject({ stage: 'valid', occurredAt: lead.valid.validatedAt });
    const enriched = toLeadEvent(consumed(TOPIC.leadsEnriched, 'lead-1', lead.enriched, 1));
    expect(enriched).toMatchObject({ stage: 'enriched', occurredAt: lead.enriched.enrichedAt });
    // The row keeps the record without its personal fields.
    expect(enriched.payload).toMatchObject({
      leadId: 'lead-1',
      geo: lead.enriched.geo,
      lead: { line: 'auto' },
    });
    const stored = JSON.stringify(enriched.payload);
    for (const detail of [lead.enriched.lead.contact.firstName, lead.enriched.lead.contact.phone])
      expect(stored).not.toContain(detail);
    expect(enriched.payload).not.toHaveProperty('sealed');
    const rejected = toLeadEvent(consumed(TOPIC.leadsRejected, 'lead-1', lead.rejected, 1));
    expect(rejected).toMatchObject({
      stage: 'rejected',
      occurredAt: lead.rejected.rejectedAt,
      facts: { rejectionReasons: [{ code: 'duplicate_contact' }], line: 'auto' },
    });
  });

  test('marks records re-run by a replay', () => {
    const event = toLeadEvent(
      consumed(TOPIC.leadsValid, 'lead-1', lead.valid, 1, { headers: { [HEADER.replay]: '1' } }),
    );
    expect(event.replay).toBe(true);
  });

  test('refuses what could never be stored, so the record is dead-lettered instead of stalling the sink', () => {
    expect(() => toLeadEvent(consumed('leads.unknown', 'k', lead.raw, 1))).toThrow(/not a lead topic/);
    expect(() => toLeadEvent(consumed(TOPIC.leadsRaw, 'k', null, 1))).toThrow(/tombstone/);
    expect(() =>
      toLeadEvent(consumed(TOPIC.leadsValid, 'k', { ...lead.valid, receivedAt: 8.64e15 + 1 }, 1)),
    ).toThrow(/receivedAt .* not a storable time/);
  });

  test('replaces NUL characters, which PostgreSQL text and jsonb cannot hold', () => {
    const raw = { ...lead.raw, channel: 'a\u0000b', vendorId: 'v\u0000' };
    const event = toLeadEvent(consumed(TOPIC.leadsRaw, 'lead-1', raw, 1));
    expect((event.payload as { channel: string }).channel).toBe('a\uFFFDb');
    expect(event.facts.vendorId).toBe('v\uFFFD');
    expect(withoutNul({ 'k\u0000': ['x\u0000', 1, null] })).toEqual({ 'k\uFFFD': ['x\uFFFD', 1, null] });
  });
});

describe('lineAsReceived', () => {
  const lead = leadRecords('lead-1');

  test('is the same for every event of a lead, including a screen rejection that kept the validated lead', () => {
    expect(lineAsReceived(lead.raw)).toBe('auto');
    expect(lineAsReceived(lead.rejected.raw)).toBe('auto');
  });

  test('takes a known line from a body that did not parse, and nothing else', () => {
    expect(lineAsReceived({ ...lead.raw, lead: null, body: '{"line":"home","contact":7}' })).toBe('home');
    expect(lineAsReceived({ ...lead.raw, lead: null, body: '{"line":"boats"}' })).toBeNull();
    expect(lineAsReceived({ ...lead.raw, lead: null, body: 'not json' })).toBeNull();
    expect(lineAsReceived({ ...lead.raw, lead: null, body: 'null' })).toBeNull();
  });
});

describe('campaignAsReceived', () => {
  const lead = leadRecords('lead-1');

  test('is the same for every event of a lead, a screen rejection and a routed lead included', () => {
    const campaign = lead.raw.lead!.source.campaign;
    expect(campaign).toBe('google-search-auto');
    expect(campaignAsReceived(lead.rejected.raw)).toBe(campaign);
    for (const [topic, value] of [
      [TOPIC.leadsRaw, lead.raw],
      [TOPIC.leadsValid, lead.valid],
      [TOPIC.leadsRejected, lead.rejected],
    ] as const) {
      expect(toLeadEvent(consumed(topic, 'lead-1', value, 1)).facts.campaign).toBe(campaign);
    }
    const { records } = leadJourney('lead-2');
    const routed = records.filter((r) => r.topic === TOPIC.assignments || r.topic === TOPIC.leadsMatched);
    expect(routed.map((record) => toLeadEvent(record).facts.campaign)).toEqual(routed.map(() => campaign));
  });

  test('takes from a body that did not parse what the input schema would, and nothing else', () => {
    const fromBody = (body: string) => campaignAsReceived({ ...lead.raw, lead: null, body });
    expect(fromBody('{"source":{"campaign":" spring "},"contact":7}')).toBe('spring');
    expect(fromBody('{"source":{"campaign":2026}}')).toBe('2026');
    expect(fromBody(`{"source":{"campaign":"${'x'.repeat(101)}"}}`)).toBeNull();
    expect(fromBody('{"source":{"campaign":{"a":1}}}')).toBeNull();
    expect(fromBody('{"source":"web"}')).toBeNull();
    expect(fromBody('not json')).toBeNull();
  });
});

describe('stages reached', () => {
  test('a stage implies the funnel stages before it; rejection implies only receipt', () => {
    expect(stagesReached('enriched')).toEqual(['received', 'valid', 'enriched']);
    expect(stagesReached('received')).toEqual(['received']);
    expect(stagesReached('rejected')).toEqual(['received', 'rejected']);
  });

  test('each (lead, stage) once, attributed to the first event proving it', () => {
    const lead = leadRecords('lead-1');
    const events = [
      toLeadEvent(consumed(TOPIC.leadsEnriched, 'lead-1', lead.enriched, 4)),
      toLeadEvent(consumed(TOPIC.leadsRaw, 'lead-1', lead.raw, 2)),
      toLeadEvent(consumed(TOPIC.leadsValid, 'lead-1', lead.valid, 3)),
    ];
    const reached = stagesReachedBy(events);
    expect(reached.map((r) => [r.stage, r.firstEventId])).toEqual([
      ['received', 'leads.enriched/0/4'],
      ['valid', 'leads.enriched/0/4'],
      ['enriched', 'leads.enriched/0/4'],
    ]);
    expect(reached[0]).toMatchObject({ receivedOn: '2025-06-02', vendorId: 'acme-leads', line: 'auto' });
  });
});

test('inRounds puts at most one event per lead in a round and keeps each lead in order', () => {
  const events = [
    { leadId: 'a', n: 1 },
    { leadId: 'b', n: 1 },
    { leadId: 'a', n: 2 },
    { leadId: 'a', n: 3 },
    { leadId: 'b', n: 2 },
  ];
  expect(inRounds(events).map((round) => round.map((e) => `${e.leadId}${e.n}`))).toEqual([
    ['a1', 'b1'],
    ['a2', 'b2'],
    ['a3'],
  ]);
});

test('history is ordered by time, then by stage within the same millisecond', () => {
  const history = [
    { occurredAt: 5, stage: 'enriched' },
    { occurredAt: 5, stage: 'valid' },
    { occurredAt: 1, stage: 'received' },
    { occurredAt: 5, stage: 'some-future-stage' },
  ];
  expect(history.sort(compareHistory).map((h) => h.stage)).toEqual([
    'received',
    'valid',
    'enriched',
    'some-future-stage',
  ]);
});

describe('do-not-contact changes', () => {
  const entry = { key: 'phone:+14155550100', kind: 'phone', reason: null, source: 'cli', addedAt: 1 };

  test('a tombstone is a removal; the last change per identity wins', () => {
    const changes = [
      toDoNotContactChange(consumed(TOPIC.doNotContact, entry.key, entry, 1)),
      toDoNotContactChange(
        consumed(TOPIC.doNotContact, 'email:a@b.co', { ...entry, key: 'email:a@b.co' }, 2),
      ),
      toDoNotContactChange(consumed(TOPIC.doNotContact, entry.key, null, 3)),
    ];
    expect(latestPerKey(changes).map((c) => [c.identityKey, c.entry === null, c.offset])).toEqual([
      ['phone:+14155550100', true, 3],
      ['email:a@b.co', false, 2],
    ]);
  });

  test('an entry with an impossible time is refused', () => {
    expect(() =>
      toDoNotContactChange(consumed(TOPIC.doNotContact, entry.key, { ...entry, addedAt: Infinity }, 1)),
    ).toThrow(/addedAt/);
  });
});
