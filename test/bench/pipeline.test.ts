import { benchHttp } from '../../bench/http';
import { benchPing } from '../../bench/ping';
import { benchPipeline } from '../../bench/pipeline';
import { benchRestore } from '../../bench/restore';
import { testLog } from '../support/harness';
import { kafkaBrokers, kafkaGate } from '../support/services';

const kafka = kafkaGate();

// Shape and bookkeeping of the benchmarks on a small run; the figures themselves go to docs/benchmarks.md.
describe('bench pipeline', () => {
  test('every lead ends assigned, rejected, unroutable or in the manual queue, with ordered percentiles', async () => {
    const result = await benchPipeline({
      transport: 'embedded',
      leads: 300,
      agents: 6,
      database: false,
      engineRecords: 1000,
      env: {},
      log: testLog,
    });
    expect(result).toMatchObject({ transport: 'embedded', leads: 300, rate: null, unfinished: 0 });
    expect(result.assigned + result.rejected + result.unroutable + result.manual_queue).toBe(300);
    // The generator makes about one lead in eight bad; simulated agents accept most offers.
    expect(result.rejected).toBeGreaterThan(0);
    expect(result.assigned).toBeGreaterThan(200);
    expect(result.leads_per_s).toBeGreaterThan(0);
    expect(result.p50_ms).toBeGreaterThanOrEqual(0);
    expect(result.p50_ms).toBeLessThanOrEqual(result.p95_ms);
    expect(result.p95_ms).toBeLessThanOrEqual(result.p99_ms);
    expect(result.p99_ms).toBeLessThanOrEqual(result.max_ms);
    expect(result.peak_rss_mb.bench).toBeGreaterThan(0);
    expect(result.engine_records_per_s).toBeGreaterThan(0);
    expect(result.engine_baseline_records_per_s).toBeNull();
    // An assigned lead alone is on leads.raw, .by-phone, .by-email, .valid, .scored, an offer and
    // its acceptance in assignments, and an agent response: at least 8 records, each read too.
    expect(result.traffic.written_per_lead).toBeGreaterThan(6);
    expect(result.traffic.read_per_lead).toBeGreaterThan(6);
  }, 120_000);

  test('with a rate, leads are due on a schedule and still all accounted for', async () => {
    const result = await benchPipeline({
      transport: 'embedded',
      leads: 200,
      rate: 100,
      agents: 4,
      database: false,
      hops: true,
      warmupSeconds: 1,
      engineRecords: 0,
      env: {},
      log: testLog,
    });
    expect(result).toMatchObject({ rate: 100, warmup_s: 1, unfinished: 0, engine_records_per_s: null });
    expect(result.assigned + result.rejected + result.unroutable + result.manual_queue).toBe(200);
    // 200 leads due over two seconds cannot all be through sooner.
    expect(result.seconds).toBeGreaterThanOrEqual(1.99);
    // The leads due in the first second are warm-up: not in the latency figures.
    expect(result.measured).toBeGreaterThan(0);
    expect(result.measured).toBeLessThan(result.assigned);
    // Every measured lead passed every hop.
    expect(result.hops!.map((h) => h.hop)).toEqual([
      'received > leads.raw',
      'leads.raw > leads.by-phone',
      'leads.by-phone > leads.by-email',
      'leads.by-email > leads.valid',
      'leads.valid > leads.matched',
      'leads.matched > offered',
      'offered > agent.responses',
      'agent.responses > accepted',
    ]);
    for (const hop of result.hops!) {
      expect(hop.leads).toBe(result.measured);
      expect(hop.p50_ms).toBeGreaterThanOrEqual(0);
      expect(hop.p50_ms).toBeLessThanOrEqual(hop.p99_ms);
    }
  }, 120_000);

  (kafka.run ? test : test.skip)(
    '--spread runs the stages as worker processes, each with its peak memory',
    async () => {
      if (kafka.reason) throw new Error(kafka.reason);
      const result = await benchPipeline({
        transport: 'kafka',
        spread: true,
        leads: 150,
        agents: 4,
        database: false,
        engineRecords: 0,
        env: { KAFKA_BROKERS: kafkaBrokers.join(',') },
        log: testLog,
      });
      expect(result).toMatchObject({ transport: 'kafka', unfinished: 0 });
      expect(result.assigned + result.rejected + result.unroutable + result.manual_queue).toBe(150);
      // Without --database: no sink workers, the five stage workers and the bench process itself.
      expect(Object.keys(result.peak_rss_mb).sort()).toEqual(
        ['after-assign', 'assign', 'bench', 'intake', 'lead-path', 'reward'].sort(),
      );
      expect(result.processes).toBe(5);
      for (const mb of Object.values(result.peak_rss_mb)) expect(mb).toBeGreaterThan(20);
    },
    300_000,
  );
});

describe('bench restore', () => {
  (kafka.run ? test : test.skip)(
    'the first start reads the whole changelog, the restart only its checkpoint',
    async () => {
      if (kafka.reason) throw new Error(kafka.reason);
      const result = await benchRestore({
        keys: 2000,
        updates: 2,
        partitions: 2,
        brokers: kafkaBrokers,
        log: testLog,
      });
      expect(result).toMatchObject({
        keys: 2000,
        updates: 2,
        partitions: 2,
        changelog_entries_applied: { full: 4000, checkpoint: 0 },
      });
      expect(result.checkpoint_mb).toBeGreaterThan(0);
      expect(result.full_restore_s).toBeGreaterThan(0);
      expect(result.checkpoint_restore_s).toBeGreaterThan(0);
    },
    120_000,
  );
});

describe('bench http', () => {
  test('single-lead POSTs are all answered 202', async () => {
    const result = await benchHttp({
      transport: 'embedded',
      connections: 4,
      durationSeconds: 1,
      workers: 1,
      env: {},
      log: testLog,
    });
    expect(result.requests).toBeGreaterThan(0);
    expect(result).toMatchObject({ non_2xx: 0, errors: 0 });
    expect(result.p50_ms).toBeLessThanOrEqual(result.p99_ms);
  }, 60_000);
});

describe('bench ping', () => {
  test('every ping of the schedule is answered 200, most of them with a bid', async () => {
    const result = await benchPing({
      transport: 'embedded',
      redis: false,
      rate: 100,
      connections: 4,
      durationSeconds: 1,
      env: {},
      log: testLog,
    });
    expect(result).toMatchObject({ pings: 100, non_2xx: 0, errors: 0, buyers: 41 });
    expect(result.bids).toBeGreaterThan(0.5);
    expect(result.bids).toBeLessThan(1);
    expect(result.p50_ms).toBeLessThanOrEqual(result.p99_ms);
  }, 60_000);
});
