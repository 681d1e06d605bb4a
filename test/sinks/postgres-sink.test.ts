/**
 * The Postgres sink end to end: on both transports, on PGlite and on real PostgreSQL. Every lead
 * and every event of the topics ends up in the tables exactly once, whatever the order events
 * arrive in, however often records are delivered, and across a database outage.
 */
import { generateLeads } from '../../tools/generator/generate';
import { toRawLead } from '../../schemas/raw-lead';
import { enrichProcessor } from '../../processors/enrich/processor';
import { validateProcessor } from '../../processors/validate/processor';
import { emailScreenProcessor, phoneScreenProcessor } from '../../processors/validate/screen';
import type { RecordCodec } from '../../runtime/codec';
import { Pipeline } from '../../runtime/pipeline';
import type { Processor } from '../../runtime/processor';
import type { Transport } from '../../runtime/transport';
import { groupId } from '../../runtime/transport';
import type { EnrichedLead, RawLead, RejectedLead, ValidLead } from '../../schemas/lead';
import type { Queryable } from '../../sinks/postgres/database';
import { openDatabase } from '../../sinks/postgres/database';
import type { RetryPolicy } from '../../runtime/retry';
import { POSTGRES_SINKS, postgresSinks } from '../../sinks/postgres/processors';
import { conversionBy, funnel, getLead, rejectionsByReason } from '../../sinks/postgres/read-models';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { dlqTopic } from '../../runtime/topic-spec';
import {
  codecFor,
  eventually,
  readValues,
  testLog,
  type TransportHarness,
  transportsUnderTest,
} from '../support/harness';
import { databaseUrl, postgresGate } from '../support/services';
import { databasesUnderTest, openTestPostgres, removePgliteTemplate, TcpProxy } from './databases';
import { testBlind } from '../support/privacy';
import { identityKey } from '../../processors/validate/identities';
import { leadRecords } from './records';

jest.setTimeout(300_000);

afterAll(() => removePgliteTemplate());

const FAST_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 100, maxDelayMs: 400 };
const LEAD_TOPICS = [TOPIC.leadsRaw, TOPIC.leadsValid, TOPIC.leadsEnriched, TOPIC.leadsRejected];

const intakeProcessors = () =>
  [
    validateProcessor({ consentMaxAgeDays: 90, blind: testBlind }),
    phoneScreenProcessor({ duplicateWindowDays: 30, blind: testBlind }),
    emailScreenProcessor({ duplicateWindowDays: 30, blind: testBlind }),
    enrichProcessor({ consent: null }),
  ] as Processor<never>[];

async function setUp(harness: TransportHarness, processors: Processor<never>[]) {
  const transport = harness.connect();
  const catalog = platformCatalog().withProcessors(harness.prefix, processors);
  await transport.applyTopics(catalog.all());
  const { codec, vault } = await codecFor(transport, catalog, [...LEAD_TOPICS, TOPIC.doNotContact]);
  const start = (replay = false) =>
    Pipeline.start({
      appId: harness.prefix,
      transport,
      keys: vault,
      registry: harness.registry(transport),
      catalog: platformCatalog(),
      processors,
      log: testLog,
      run: { replay },
    });
  return { transport, codec, start };
}

function rawLeads(count: number, seed: string): RawLead[] {
  const { leads, outcomes } = generateLeads({ count, seed, badShare: 0.2 });
  return leads.map((body, i) =>
    toRawLead(body, {
      vendorId: outcomes[i]!.vendorId,
      channel: 'test',
      receivedAt: Date.now(),
      leadId: `${seed}-${i}`,
    }),
  );
}

/** Everything the sink writes, in a stable order, to compare before and after. */
async function snapshot(db: Queryable) {
  const all = async (sql: string) => (await db.query(sql)).rows;
  return {
    leads: await all('SELECT * FROM leads ORDER BY lead_id'),
    events: await all(
      'SELECT event_id, lead_id, stage, occurred_at, replay FROM lead_events ORDER BY event_id',
    ),
    stages: await all('SELECT * FROM lead_stages ORDER BY lead_id, stage'),
    funnel: await all(
      'SELECT day::text, stage, vendor_id, line, leads FROM funnel_daily ORDER BY 1, 2, 3, 4',
    ),
    dnc: await all('SELECT * FROM do_not_contact ORDER BY identity_key'),
  };
}

const countOf = async (db: Queryable, sql: string) => (await db.query<{ n: number }>(sql)).rows[0]!.n;

async function topicContents(transport: Transport, codec: RecordCodec) {
  return {
    raw: await readValues<RawLead>(transport, codec, TOPIC.leadsRaw),
    valid: await readValues<ValidLead>(transport, codec, TOPIC.leadsValid),
    enriched: await readValues<EnrichedLead>(transport, codec, TOPIC.leadsEnriched),
    rejected: await readValues<RejectedLead>(transport, codec, TOPIC.leadsRejected),
  };
}

/** The tables hold exactly the topics: every lead at its final stage, every event once, exact funnel. */
async function expectTablesMatchTopics(db: Queryable, topics: Awaited<ReturnType<typeof topicContents>>) {
  const events = topics.raw.length + topics.valid.length + topics.enriched.length + topics.rejected.length;
  expect(await countOf(db, 'SELECT count(*)::int AS n FROM lead_events')).toBe(events);
  expect(await countOf(db, 'SELECT count(DISTINCT event_id)::int AS n FROM lead_events')).toBe(events);
  const stages = new Map(
    (await db.query<{ lead_id: string; stage: string }>('SELECT lead_id, stage FROM leads')).rows.map((r) => [
      r.lead_id,
      r.stage,
    ]),
  );
  expect(stages.size).toBe(topics.raw.length);
  for (const lead of topics.enriched)
    expect([lead.leadId, stages.get(lead.leadId)]).toEqual([lead.leadId, 'enriched']);
  for (const lead of topics.rejected)
    expect([lead.leadId, stages.get(lead.leadId)]).toEqual([lead.leadId, 'rejected']);
  const counts = Object.fromEntries((await funnel(db)).map((row) => [row.stage, row.leads]));
  expect(counts).toEqual({
    received: topics.raw.length,
    valid: topics.valid.length,
    enriched: topics.enriched.length,
    rejected: topics.rejected.length,
  });
}

async function moveGroupToStart(transport: Transport, appId: string, processor: string, topics: string[]) {
  const group = groupId(appId, processor);
  for (const topic of topics) {
    const [info] = await transport.describeTopics([topic]);
    const offsets = info!.endOffsets.map((_, partition) => ({ partition, offset: 0 }));
    // The stopped member may count as live for a moment.
    await eventually(
      async () => {
        try {
          await transport.setCommittedOffsets(group, topic, offsets);
          return true;
        } catch {
          return false;
        }
      },
      60_000,
      `group ${group} to become empty`,
    );
  }
}

for (const transportChoice of transportsUnderTest()) {
  // On Kafka the sinks only ever write to PostgreSQL (see openSinkDatabase).
  const databases = databasesUnderTest().filter(
    (d) => transportChoice.kind === 'embedded' || d.kind === 'postgres',
  );
  for (const databaseChoice of databases) {
    const gate = transportChoice.gate.run && databaseChoice.gate.run;
    (gate ? describe : describe.skip)(
      `postgres sink: ${transportChoice.kind} -> ${databaseChoice.kind}`,
      () => {
        beforeAll(() => {
          for (const reason of [transportChoice.gate.reason, databaseChoice.gate.reason])
            if (reason) throw new Error(reason);
        });

        test('materialises every lead with its history; replaying every record changes nothing', async () => {
          const harness = transportChoice.create();
          const { db, dispose } = await databaseChoice.open();
          try {
            const processors = [...intakeProcessors(), ...postgresSinks(db, FAST_RETRY)];
            const { transport, codec, start } = await setUp(harness, processors);
            let pipeline = await start();
            const count = transportChoice.kind === 'kafka' ? 150 : 400;
            const leads = rawLeads(count, `sink-${transportChoice.kind}-${databaseChoice.kind}`);
            const blocked = identityKey('phone', '+14155550123', testBlind);
            const gone = identityKey('email', 'gone@example.com', testBlind);
            await transport.produce([
              ...leads.map((raw) => codec.encode(TOPIC.leadsRaw, raw.leadId, raw)),
              codec.encode(TOPIC.doNotContact, blocked, {
                key: blocked,
                kind: 'phone',
                reason: 'asked not to be called',
                source: 'test',
                addedAt: Date.now(),
              }),
              codec.encode(TOPIC.doNotContact, gone, {
                key: gone,
                kind: 'email',
                reason: null,
                source: 'test',
                addedAt: Date.now(),
              }),
              codec.encode(TOPIC.doNotContact, gone, null),
            ]);
            await pipeline.waitIdle(240_000);
            await pipeline.stop();

            const topics = await topicContents(transport, codec);
            expect(topics.rejected.length).toBeGreaterThan(0);
            expect(topics.enriched.length).toBeGreaterThan(0);
            await expectTablesMatchTopics(db, topics);
            const { rows: dnc } = await db.query('SELECT identity_key, kind, reason FROM do_not_contact');
            expect(dnc).toEqual([{ identity_key: blocked, kind: 'phone', reason: 'asked not to be called' }]);

            const enriched = topics.enriched[0]!;
            const view = await getLead(db, enriched.leadId, { vendorId: enriched.vendorId });
            expect(view).toMatchObject({
              stage: 'enriched',
              vendorId: enriched.vendorId,
              line: enriched.lead.line,
            });
            expect(view!.history.map((h) => h.stage)).toEqual(['received', 'valid', 'enriched']);

            const before = await snapshot(db);
            for (const processor of POSTGRES_SINKS) {
              const inputs = processors.find((p) => p.name === processor)!.inputs;
              await moveGroupToStart(transport, harness.prefix, processor, [...inputs]);
            }
            pipeline = await start(true);
            await pipeline.waitIdle(240_000);
            await pipeline.stop();
            expect(await snapshot(db)).toEqual(before);
          } finally {
            await dispose();
            await harness.dispose();
          }
        });

        test('a record the database refuses is dead-lettered and the rest of its batch is written', async () => {
          const harness = transportChoice.create();
          const { db, dispose } = await databaseChoice.open();
          try {
            // A constraint the database enforces and the sink cannot know about: one row breaks it.
            await db.query(
              "ALTER TABLE lead_events ADD CONSTRAINT refuses_one_lead CHECK (lead_id <> 'refused') NOT VALID",
            );
            const { transport, codec, start } = await setUp(harness, postgresSinks(db, FAST_RETRY));
            const pipeline = await start();
            await transport.produce(
              ['kept-1', 'refused', 'kept-2'].map((id) =>
                codec.encode(TOPIC.leadsRaw, id, leadRecords(id, 'acme-leads').raw, {}, 0),
              ),
            );
            await pipeline.waitIdle();
            await pipeline.stop();

            const stored = await db.query<{ lead_id: string }>('SELECT lead_id FROM leads ORDER BY lead_id');
            expect(stored.rows.map((r) => r.lead_id)).toEqual(['kept-1', 'kept-2']);
            const deadLetters = await readValues<{
              errorType: string;
              sourcePartition: number;
              sourceOffset: number;
            }>(transport, codec, dlqTopic(TOPIC.leadsRaw));
            // 'refused' was the second record written to partition 0.
            expect(deadLetters).toEqual([
              expect.objectContaining({ errorType: 'FLUSH_REJECTED', sourcePartition: 0, sourceOffset: 1 }),
            ]);
            const [info] = await transport.describeTopics([TOPIC.leadsRaw]);
            expect(
              await transport.committedOffsets(groupId(harness.prefix, 'postgres-leads'), TOPIC.leadsRaw),
            ).toEqual(info!.endOffsets.map((end) => (end > 0 ? end : -1)));
          } finally {
            await dispose();
            await harness.dispose();
          }
        });
      },
    );
  }
}

describe.each(databasesUnderTest().map((choice) => [choice.kind, choice] as const))(
  'postgres sink on %s',
  (_kind, databaseChoice) => {
    const gate = databaseChoice.gate;
    beforeAll(() => {
      if (gate.reason) throw new Error(gate.reason);
    });
    const maybe = gate.run ? test : test.skip;

    maybe('a lead ends at its most advanced stage whatever order its events arrive in', async () => {
      const harness = transportsUnderTest()[0]!.create();
      const { db, dispose } = await databaseChoice.open();
      try {
        const { transport, codec, start } = await setUp(harness, postgresSinks(db, FAST_RETRY));
        const pipeline = await start();
        const late = leadRecords('late-raw', 'acme-leads');
        const rejected = leadRecords('rejected-first', 'bluesky-media');
        const send = (records: [string, string, unknown][]) =>
          transport.produce(records.map(([topic, key, value]) => codec.encode(topic, key, value)));

        // Enriched before valid before raw, each step committed on its own.
        await send([[TOPIC.leadsEnriched, 'late-raw', late.enriched]]);
        await pipeline.waitIdle();
        await send([[TOPIC.leadsValid, 'late-raw', late.valid]]);
        await pipeline.waitIdle();
        await send([
          [TOPIC.leadsRaw, 'late-raw', late.raw],
          // Delivered twice upstream: two events, but the lead is counted once per stage.
          [TOPIC.leadsRaw, 'late-raw', late.raw],
          // Rejected is terminal: the lead's raw record arriving later does not move it back.
          [TOPIC.leadsRejected, 'rejected-first', rejected.rejected],
        ]);
        await pipeline.waitIdle();
        await send([[TOPIC.leadsRaw, 'rejected-first', rejected.raw]]);
        await pipeline.waitIdle();
        await pipeline.stop();

        const lead = await db.query<Record<string, unknown>>(
          'SELECT lead_id, stage, line, state, zip, channel, payload FROM leads ORDER BY lead_id',
        );
        expect(lead.rows.map(({ payload: _payload, ...row }) => row)).toEqual([
          { lead_id: 'late-raw', stage: 'enriched', line: 'auto', state: 'CA', zip: '94103', channel: 'api' },
          {
            lead_id: 'rejected-first',
            stage: 'rejected',
            line: 'auto',
            state: 'CA',
            zip: '94103',
            channel: 'api',
          },
        ]);
        expect((lead.rows[0]!.payload as EnrichedLead).enrichedAt).toBe(late.enriched.enrichedAt);
        expect(
          await countOf(db, "SELECT count(*)::int AS n FROM lead_events WHERE lead_id = 'late-raw'"),
        ).toBe(4);
        const counts = await db.query<{ stage: string; vendor_id: string; line: string; leads: number }>(
          'SELECT stage, vendor_id, line, leads FROM funnel_daily ORDER BY vendor_id, stage',
        );
        expect(counts.rows).toEqual([
          { stage: 'enriched', vendor_id: 'acme-leads', line: 'auto', leads: 1 },
          { stage: 'received', vendor_id: 'acme-leads', line: 'auto', leads: 1 },
          { stage: 'valid', vendor_id: 'acme-leads', line: 'auto', leads: 1 },
          { stage: 'received', vendor_id: 'bluesky-media', line: 'auto', leads: 1 },
          { stage: 'rejected', vendor_id: 'bluesky-media', line: 'auto', leads: 1 },
        ]);
        const history = await getLead(db, 'late-raw');
        expect(history!.history.map((h) => h.stage)).toEqual(['received', 'received', 'valid', 'enriched']);
      } finally {
        await dispose();
        await harness.dispose();
      }
    });

    maybe('the read API scopes a lead to its vendor and reports the funnel from the same rows', async () => {
      const harness = transportsUnderTest()[0]!.create();
      const { db, dispose } = await databaseChoice.open();
      try {
        const { transport, codec, start } = await setUp(harness, postgresSinks(db, FAST_RETRY));
        const pipeline = await start();
        const kept = leadRecords('kept', 'acme-leads');
        const turnedAway = leadRecords('turned-away', 'clickharbor');
        await transport.produce([
          codec.encode(TOPIC.leadsRaw, 'kept', kept.raw),
          codec.encode(TOPIC.leadsValid, 'kept', kept.valid),
          codec.encode(TOPIC.leadsRaw, 'turned-away', turnedAway.raw),
          codec.encode(TOPIC.leadsRejected, 'turned-away', turnedAway.rejected),
        ]);
        await pipeline.waitIdle();
        await pipeline.stop();

        const own = await getLead(db, 'kept', { vendorId: 'acme-leads' });
        expect(own).toMatchObject({
          leadId: 'kept',
          vendorId: 'acme-leads',
          stage: 'valid',
          score: null,
          assignment: null,
          rejectionReasons: null,
          receivedAt: new Date(kept.raw.receivedAt).toISOString(),
        });
        expect(own!.history).toEqual([
          expect.objectContaining({
            stage: 'received',
            replay: false,
            eventId: expect.stringMatching(/^leads\.raw\/\d+\/0$/),
          }),
          expect.objectContaining({
            stage: 'valid',
            occurredAt: new Date(kept.valid.validatedAt).toISOString(),
          }),
        ]);
        expect(await getLead(db, 'kept', { vendorId: 'clickharbor' })).toBeNull();
        expect(await getLead(db, 'no-such-lead')).toBeNull();
        expect(await getLead(db, 'turned-away')).toMatchObject({
          stage: 'rejected',
          rejectionReasons: [{ code: 'duplicate_contact', field: 'contact.phone' }],
        });

        const day = new Date(kept.raw.receivedAt).toISOString().slice(0, 10);
        expect(await funnel(db, { from: day, to: day })).toEqual([
          { stage: 'received', leads: 2, share_of_received: 1 },
          { stage: 'valid', leads: 1, share_of_received: 0.5 },
          { stage: 'rejected', leads: 1, share_of_received: 0.5 },
        ]);
        expect(await funnel(db, { from: '2000-01-01', to: '2000-01-02' })).toEqual([]);
        expect(await conversionBy(db, 'vendor')).toEqual([
          { vendor_id: 'acme-leads', received: 1, valid: 1, rejected: 0, valid_rate: 1, conversion_rate: 0 },
          { vendor_id: 'clickharbor', received: 1, valid: 0, rejected: 1, valid_rate: 0, conversion_rate: 0 },
        ]);
        expect(await rejectionsByReason(db, { from: day })).toEqual([
          { code: 'duplicate_contact', leads: 1, share_of_rejected: 1 },
        ]);
        expect(await rejectionsByReason(db, { to: '2000-01-01' })).toEqual([]);
      } finally {
        await dispose();
        await harness.dispose();
      }
    });
  },
);

/** Records of leads.raw the leads sink has committed, over all partitions. */
async function committedCount(transport: Transport, appId: string): Promise<number> {
  const offsets = await transport.committedOffsets(groupId(appId, 'postgres-leads'), TOPIC.leadsRaw);
  return offsets.reduce((sum, offset) => sum + Math.max(0, offset), 0);
}

describe('postgres sink through a database outage', () => {
  const gate = postgresGate();
  beforeAll(() => {
    if (gate.reason) throw new Error(gate.reason);
  });

  for (const transportChoice of transportsUnderTest()) {
    (gate.run && transportChoice.gate.run ? test : test.skip)(
      `${transportChoice.kind}: the sink waits while PostgreSQL is unreachable and then writes everything exactly once`,
      async () => {
        if (transportChoice.gate.reason) throw new Error(transportChoice.gate.reason);
        const target = new URL(databaseUrl);
        const proxy = await new TcpProxy({
          host: target.hostname,
          port: Number(target.port || 5432),
        }).start();
        const harness = transportChoice.create();
        const { db, config, dispose } = await openTestPostgres(proxy.url(databaseUrl));
        // Checks go straight to the server, not through the proxy.
        const direct = await openDatabase({ ...config, DATABASE_URL: databaseUrl });
        try {
          const processors = postgresSinks(db, FAST_RETRY);
          const { transport, codec, start } = await setUp(harness, processors);
          const pipeline = await start();
          const produce = (leads: RawLead[]) =>
            transport.produce(leads.map((raw) => codec.encode(TOPIC.leadsRaw, raw.leadId, raw)));
          const leads = rawLeads(120, `outage-${transportChoice.kind}`);
          await produce(leads.slice(0, 60));
          await pipeline.waitIdle();
          expect(await countOf(direct, 'SELECT count(*)::int AS n FROM lead_events')).toBe(60);

          await proxy.cut();
          await produce(leads.slice(60));
          // Long enough for every task to fail its flushes and be rebuilt at least once.
          await new Promise((resolve) => setTimeout(resolve, 4000));
          expect(await countOf(direct, 'SELECT count(*)::int AS n FROM lead_events')).toBe(60);
          // Nothing the sink could not write has been committed: those records will come again.
          expect(await committedCount(transport, harness.prefix)).toBe(60);

          await proxy.restore();
          await eventually(
            async () => (await countOf(direct, 'SELECT count(*)::int AS n FROM lead_events')) === 120,
            120_000,
            'the sink to catch up after the outage',
          );
          await pipeline.waitIdle(120_000);
          await pipeline.stop();
          expect(await committedCount(transport, harness.prefix)).toBe(120);
          expect(await countOf(direct, 'SELECT count(DISTINCT event_id)::int AS n FROM lead_events')).toBe(
            120,
          );
          expect(await countOf(direct, 'SELECT count(*)::int AS n FROM leads')).toBe(120);
          expect(await funnel(direct)).toEqual([{ stage: 'received', leads: 120, share_of_received: 1 }]);
        } finally {
          await direct.close();
          await dispose();
          await harness.dispose();
          await proxy.cut().catch(() => undefined);
        }
      },
    );
  }
});
