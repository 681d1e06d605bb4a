import { latencyByStage, leaderboard, quantile, scoreDistribution } from './summaries';

const bucket = (name: string, le: string, value: number, labels: Record<string, string> = {}) => ({
  metricName: `${name}_bucket`,
  labels: { ...labels, le },
  value,
});

describe('scoreDistribution', () => {
  test('turns cumulative buckets summed over lines into leads per band', () => {
    const samples = [
      bucket('leadflow_lead_score', '50', 2, { line: 'auto' }),
      bucket('leadflow_lead_score', '100', 5, { line: 'auto' }),
      bucket('leadflow_lead_score', '+Inf', 5, { line: 'auto' }),
      bucket('leadflow_lead_score', '50', 1, { line: 'home' }),
      bucket('leadflow_lead_score', '100', 1, { line: 'home' }),
      bucket('leadflow_lead_score', '+Inf', 1, { line: 'home' }),
      { metricName: 'leadflow_lead_score_count', labels: { line: 'auto' }, value: 5 },
    ];
    expect(scoreDistribution(samples)).toEqual([
      { from: 0, to: 50, leads: 3 },
      { from: 50, to: 100, leads: 3 },
    ]);
  });
});

describe('quantile', () => {
  test('interpolates within the bucket the rank falls in, like histogram_quantile', () => {
    const buckets: [number, number][] = [
      [1, 0],
      [2, 10],
      [4, 20],
      [Infinity, 20],
    ];
    expect(quantile(0.5, buckets)).toBe(2);
    expect(quantile(0.75, buckets)).toBe(3);
    expect(quantile(0.25, buckets)).toBe(1.5);
    expect(quantile(0.5, [])).toBe(0);
  });

  test('beyond the last finite bucket it answers that bucket bound', () => {
    expect(
      quantile(0.99, [
        [1, 1],
        [Infinity, 10],
      ]),
    ).toBe(1);
  });
});

describe('latencyByStage', () => {
  test('one row per stage that saw leads, in flow order', () => {
    const name = 'leadflow_end_to_end_latency_seconds';
    const samples = [
      bucket(name, '1', 0, { stage: 'scored' }),
      bucket(name, '2', 4, { stage: 'scored' }),
      bucket(name, '+Inf', 4, { stage: 'scored' }),
      bucket(name, '1', 2, { stage: 'valid' }),
      bucket(name, '+Inf', 2, { stage: 'valid' }),
      bucket(name, '1', 0, { stage: 'assigned' }),
      bucket(name, '+Inf', 0, { stage: 'assigned' }),
    ];
    expect(latencyByStage(samples, ['valid', 'scored', 'assigned'])).toEqual([
      { stage: 'valid', leads: 2, p50Seconds: 0.5, p95Seconds: 0.95 },
      { stage: 'scored', leads: 4, p50Seconds: 1.5, p95Seconds: 1.95 },
    ]);
  });
});

describe('leaderboard', () => {
  const agent = (
    agentId: string,
    fields: { sold?: number; accepted?: number; offers?: number; mean?: number | null },
  ) => ({
    agentId,
    routingGroup: 'west',
    offers: fields.offers ?? 10,
    accepted: fields.accepted ?? 5,
    declined: 0,
    expired: 0,
    sold: fields.sold ?? 0,
    lost: 0,
    acceptanceRate: 0.5,
    conversionRate: 0.1,
    meanResponseSeconds: fields.mean ?? null,
    load: {
      day: '2026-11-25',
      acceptedToday: 0,
      openOffers: 0,
      active: 0,
      dailyCapacity: 10,
      concurrentCapacity: 3,
    },
    updatedAt: 0,
  });

  test('ranks by sales, then accepted leads, then the fastest answers, and leaves out agents without offers', () => {
    const rows = leaderboard(
      [
        agent('slow', { sold: 1, accepted: 5, mean: 90 }),
        agent('fast', { sold: 1, accepted: 5, mean: 30 }),
        agent('seller', { sold: 3 }),
        agent('idle', { offers: 0, accepted: 0 }),
        agent('busy', { sold: 1, accepted: 9 }),
      ],
      3,
    );
    expect(rows.map((r) => r.agentId)).toEqual(['seller', 'busy', 'fast']);
  });
});
