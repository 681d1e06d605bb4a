import { Scorer } from '../../models/artifact';
import { loadDefaultModel } from '../../models/default-model';
import type { AssignmentEvent } from '../../schemas/assignment-records';
import { testLead, testMatched } from '../../tools/routing-fixtures';
import { scoreLead } from '../../processors/score/score';
import { registry } from '../../runtime/metrics';
import { HEADER } from '../../runtime/records';
import { leadRecords } from '../../test/sinks/records';
import { TOPIC } from '../../topics/platform';
import { BoundedLabels, OTHER } from './bounded-labels';
import { FunnelRecorder } from './funnel-metrics';
import { observe, REWARDS_TOPIC } from './observations';

const at = (topic: string, value: unknown, headers: Record<string, string> = {}) => ({
  topic,
  value,
  headers,
});

describe('observe', () => {
  const lead = leadRecords('lead-1');
  const receivedAt = lead.raw.receivedAt;

  test('a received lead counts with its line and source', () => {
    expect(observe(at(TOPIC.leadsRaw, lead.raw))).toEqual([
      { kind: 'lead', stage: 'received', line: 'auto', source: { channel: 'api', vendor: 'acme-leads' } },
    ]);
  });

  test('latencies run from ingress receipt and from the previous stage', () => {
    expect(observe(at(TOPIC.leadsEnriched, lead.enriched))).toContainEqual({
      kind: 'latency',
      stage: 'enriched',
      stageSeconds: (lead.enriched.enrichedAt - lead.enriched.validatedAt) / 1000,
      endToEndSeconds: (lead.enriched.enrichedAt - receivedAt) / 1000,
    });
  });

  test('a rejection counts once per distinct reason, under its stage', () => {
    const rejected = {
      ...lead.rejected,
      reasons: [
        { code: 'phone_invalid', field: 'contact.phone', message: 'x' },
        { code: 'phone_invalid', field: 'contact.phone', message: 'y' },
        { code: 'zip_state_mismatch', field: 'contact.zip', message: 'z' },
      ],
    };
    const rejections = observe(at(TOPIC.leadsRejected, rejected)).filter((o) => o.kind === 'rejection');
    expect(rejections).toEqual([
      { kind: 'rejection', stage: 'screen-phone', reason: 'phone_invalid' },
      { kind: 'rejection', stage: 'screen-phone', reason: 'zip_state_mismatch' },
    ]);
  });

  test('a scored lead gives its score and tier', () => {
    const scored = scoreLead(lead.enriched, new Scorer(loadDefaultModel()), lead.enriched.enrichedAt + 500);
    expect(observe(at(TOPIC.leadsScored, scored))).toContainEqual({
      kind: 'score',
      line: 'auto',
      tier: scored.score.tier,
      score: scored.score.score,
    });
  });

  test('matched and unroutable leads are separate stages', () => {
    const routed = testMatched('lead-1', 'west', ['a1'], testLead().receivedAt + 3_000);
    expect(observe(at(TOPIC.leadsMatched, routed))[0]).toMatchObject({ stage: 'matched' });
    const unroutable = {
      ...routed,
      outcome: 'unroutable',
      routingGroup: null,
      candidates: [],
      unroutable: { code: 'not_licensed', message: 'no agent', funnel: {} },
    };
    expect(observe(at(TOPIC.leadsMatched, unroutable))).toContainEqual({
      kind: 'unroutable',
      reason: 'not_licensed',
    });
  });

  test('a lead sold by ping-post is a stage of its own, timed from its receipt', () => {
    const sold = {
      leadId: 'lead-1',
      lead: testLead({ receivedAt: 5_000 }),
      sale: {
        bidId: 'b',
        kind: 'exclusive',
        buyers: [{ buyerId: 'x', priceCents: 1 }],
        vendorPriceCents: 1,
        pingedAt: 4_000,
      },
      soldAt: 7_000,
    };
    expect(observe(at(TOPIC.leadsSold, sold))).toEqual([
      { kind: 'lead', stage: 'sold', line: sold.lead.line },
      { kind: 'latency', stage: 'sold', stageSeconds: null, endToEndSeconds: 2 },
    ]);
  });

  test('a first offer and an acceptance are funnel stages; acceptance time runs from the match', () => {
    const event: AssignmentEvent = {
      eventId: 'lead-1:1',
      leadId: 'lead-1',
      type: 'offered',
      routingGroup: 'west',
      agentId: 'a1',
      offerId: 'o1',
      attempt: 1,
      strategy: 'best_match',
      at: 10_000,
      matchedAt: 8_000,
      expiresAt: 70_000,
      escalation: null,
      reason: null,
      outcome: null,
      rankScore: 1,
      lead: testLead({ receivedAt: 5_000 }),
    };
    expect(observe(at(TOPIC.assignments, event))).toEqual([
      { kind: 'assignment', type: 'offered', routingGroup: 'west' },
      { kind: 'lead', stage: 'offered', line: 'auto' },
      { kind: 'latency', stage: 'offered', stageSeconds: 2, endToEndSeconds: 5 },
    ]);
    expect(observe(at(TOPIC.assignments, { ...event, type: 'offered', attempt: 2 }))).toHaveLength(1);
    expect(observe(at(TOPIC.assignments, { ...event, type: 'accepted', at: 38_000 }))).toContainEqual({
      kind: 'acceptance',
      routingGroup: 'west',
      seconds: 30,
    });
  });

  test('replayed records count only as replays', () => {
    expect(observe(at(TOPIC.leadsValid, lead.valid, { [HEADER.replay]: '1' }))).toEqual([
      { kind: 'replay', topic: TOPIC.leadsValid },
    ]);
  });

  test('rewards read the ledger fields and tolerate missing ones', () => {
    const credit = { accountKind: 'partner', reason: 'commission', points: 0, amountCents: 1250 };
    expect(observe(at(REWARDS_TOPIC, credit))).toEqual([
      { kind: 'reward', accountKind: 'partner', reason: 'commission', points: 0, amountUsd: 12.5 },
    ]);
    expect(observe(at(REWARDS_TOPIC, { something: 'else' }))).toEqual([
      { kind: 'reward', accountKind: 'unknown', reason: 'unknown', points: 0, amountUsd: 0 },
    ]);
  });

  test('unknown topics and tombstones prove nothing', () => {
    expect(observe(at('vendors', { vendorId: 'v' }))).toEqual([]);
    expect(observe(at(TOPIC.leadsRaw, null))).toEqual([]);
  });
});

describe('BoundedLabels', () => {
  test('keeps the first values up to the cap and folds the rest into "other"', () => {
    const labels = new BoundedLabels(2);
    expect(['a', 'b', 'c', 'a', 'd', 'b'].map((v) => labels.label(v))).toEqual([
      'a',
      'b',
      OTHER,
      'a',
      OTHER,
      'b',
    ]);
    expect(labels.label(null)).toBe('unknown');
  });
});

describe('FunnelRecorder', () => {
  test('vendors beyond the cap share one series', async () => {
    const recorder = new FunnelRecorder({ vendors: 1 });
    const vendorsBefore = await seriesCount('leadflow_source_leads_total');
    for (const vendor of ['recorder-v1', 'recorder-v2', 'recorder-v3'])
      recorder.record({
        kind: 'lead',
        stage: 'received',
        line: 'auto',
        source: { channel: 'recorder-test', vendor },
      });
    const values = (await registry.getSingleMetric('leadflow_source_leads_total')!.get()).values.filter(
      (v) => v.labels.channel === 'recorder-test',
    );
    expect(values.map((v) => [v.labels.vendor, v.value])).toEqual([
      ['recorder-v1', 1],
      [OTHER, 2],
    ]);
    expect(await seriesCount('leadflow_source_leads_total')).toBe(vendorsBefore + 2);
  });
});

const seriesCount = async (name: string) => (await registry.getSingleMetric(name)!.get()).values.length;
