/**
 * The transport conformance suite: the same tests against the embedded log and real Kafka.
 * Each one checks a guarantee processors rely on (ordering, group membership, exactly-once
 * across crashes, dead letters, reprocessing, timers).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from 'kafkajs';
import path from 'node:path';
import type { RecordCodec } from '../../runtime/codec';
import { Pipeline } from '../../runtime/pipeline';
import type { Transport } from '../../runtime/transport';
import type { KafkaTransport } from '../../runtime/transports/kafka';
import { toTopicMessages } from '../../runtime/transports/kafka/convert';
import { groupId } from '../../runtime/transport';
import { wire } from '../../schemas/avro';
import { Catalog } from '../../runtime/catalog';
import { dlqTopic, retryTopic } from '../../runtime/topic-spec';
import { RetryableError } from '../../runtime/errors';
import { defineProcessor, type Processor } from '../../runtime/processor';
import {
  type Count,
  counterProcessor,
  counterTopics,
  gatedCounter,
  type Tick,
  tickSchema,
} from '../support/counter';
import {
  codecFor,
  eventually,
  readValues,
  type TransportHarness,
  testLog,
  transportsUnderTest,
} from '../support/harness';

jest.setTimeout(180_000);

for (const choice of transportsUnderTest()) {
  const suite = choice.gate.run ? describe : describe.skip;
  suite(`transport conformance: ${choice.kind}`, () => {
    let harness: TransportHarness;
    let client: Transport;

    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });
    beforeEach(() => {
      harness = choice.create();
      client = harness.connect();
    });
    afterEach(async () => {
      await harness.dispose();
    });

    /** A fresh topic set + a codec to write ticks and read counts. */
    async function setup(name: string, quietMs = 60_000) {
      const prefix = `${harness.prefix}-${name}`;
      const topics = counterTopics(prefix);
      const processor = counterProcessor(topics, quietMs);
      const catalog = topics.catalog.withProcessors(prefix, [processor as never]);
      await client.applyTopics(catalog.all());
      const { codec } = await codecFor(client, catalog, [topics.input]);
      const start = (transport: Transport = client, extra = {}) =>
        Pipeline.start({
          appId: prefix,
          transport,
          registry: harness.registry(transport),
          catalog: topics.catalog,
          processors: [processor as never],
          log: testLog,
          run: { maxBatch: 100, ...extra },
        });
      const produce = (ticks: Tick[]) =>
        client.produce(ticks.map((t) => codec.encode(topics.input, t.key, t)));
      return { prefix, topics, codec, start, produce };
    }

    /** Runs one processor of the test's own on the shared client. */
    const startAlone = (prefix: string, catalog: Catalog, processor: Processor<Tick>, run = {}) =>
      Pipeline.start({
        appId: prefix,
        transport: client,
        registry: harness.registry(client),
        catalog,
        processors: [processor as never],
        log: testLog,
        run,
      });
    const fastRetries = { retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 } };

    const ticks = (from: number, count: number, keys = 50): Tick[] =>
      Array.from({ length: count }, (_, i) => ({ key: `key-${(from + i) % keys}`, seq: from + i, n: 1 }));

    test('a start that fails part way stops the runs it had started', async () => {
      const { topics } = await setup('half-start');
      const transport = harness.connect();
      const stops: jest.SpyInstance[] = [];
      const run = transport.run.bind(transport);
      jest.spyOn(transport, 'run').mockImplementation(async (processor, options) => {
        // The second processor cannot start (a broker gone away, say).
        if (stops.length === 1) throw new Error('broker unreachable');
        const begun = await run(processor, options);
        stops.push(jest.spyOn(begun, 'stop'));
        return begun;
      });
      const counter = (name: string) => ({ ...counterProcessor(topics, 60_000), name }) as never;
      await expect(
        Pipeline.start({
          appId: `${harness.prefix}-half`,
          transport,
          registry: harness.registry(transport),
          catalog: topics.catalog,
          processors: [counter('first-counter'), counter('second-counter')],
          log: testLog,
        }),
      ).rejects.toThrow('broker unreachable');
      // Left going, it would hold partitions and a transactional id a second start then fights over.
      expect(stops).toHaveLength(1);
      expect(stops[0]).toHaveBeenCalled();
    });

    test('keeps per-key order and per-key state', async () => {
      const { topics, codec, start, produce } = await setup('order');
      const pipeline = await start();
      await produce(ticks(0, 2000));
      await pipeline.waitIdle();
      const counts = await readValues<Count>(client, codec, topics.output);
      expect(counts).toHaveLength(2000);
      assertExactlyOnce(counts, 2000);
      await pipeline.stop();
    });

    test('two members split the partitions and one takes over when the other leaves', async () => {
      const { topics, codec, start, produce } = await setup('group');
      const first = await start(harness.connect());
      await eventually(
        () => first.runs[0]!.assignedPartitions().length === 4,
        30_000,
        'first member owns all',
      );
      const second = await start(harness.connect());
      await eventually(
        () => {
          const a = first.runs[0]!.assignedPartitions();
          const b = second.runs[0]!.assignedPartitions();
          return (
            a.length > 0 && b.length > 0 && new Set([...a, ...b]).size === 4 && a.length + b.length === 4
          );
        },
        60_000,
        'partitions split between two members',
      );
      await produce(ticks(0, 800));
      await first.waitIdle();
      await second.waitIdle();
      await second.stop();
      await eventually(
        () => first.runs[0]!.assignedPartitions().length === 4,
        60_000,
        'first member takes over',
      );
      await produce(ticks(800, 800));
      await first.waitIdle();
      assertExactlyOnce(await readValues<Count>(client, codec, topics.output), 1600);
      await first.stop();
    });

    test('three members of a processor with two inputs each own whole tasks: partition p of both inputs', async () => {
      const { prefix, topics, codec, produce } = await setup('copartitioned');
      // Reads the timeouts topic too, only for its partitions: a task is partition p of both.
      const paired = defineProcessor<Tick>({
        ...counterProcessor(topics),
        name: 'paired',
        inputs: [topics.input, topics.timeouts],
      });
      const catalog = topics.catalog.withProcessors(prefix, [paired as never]);
      await client.applyTopics(catalog.all());
      const members = await Promise.all(
        [0, 1, 2].map(() =>
          Pipeline.start({
            appId: prefix,
            transport: harness.connect(),
            registry: harness.registry(client),
            catalog,
            processors: [paired as never],
            log: testLog,
          }),
        ),
      );
      const tasks = () => members.map((m) => m.runs[0]!.assignedPartitions());
      await eventually(
        () => {
          const owned = tasks().flat();
          return tasks().every((t) => t.length > 0) && owned.length === 4 && new Set(owned).size === 4;
        },
        90_000,
        'each of the 4 tasks on exactly one of 3 members',
      );
      await produce(ticks(0, 400));
      for (const member of members) await member.waitIdle();
      assertExactlyOnce(await readValues<Count>(client, codec, topics.output), 400);
      await Promise.all(members.map((m) => m.stop()));
    });

    test('a task with two inputs takes the record with the lowest timestamp first', async () => {
      const { prefix, topics, codec } = await setup('merge');
      // Each output record names the input record it saw: ticks carry odd seqs, the second input even.
      const merger = defineProcessor<{ seq: number }>({
        name: 'merger',
        inputs: [topics.input, topics.timeouts],
        outputs: [topics.output],
        process(record, ctx) {
          ctx.emit(topics.output, 'k', { key: 'k', seq: record.value.seq, count: 0, partition: 0 }, {});
        },
      });
      const catalog = topics.catalog.withProcessors(prefix, [merger as never]);
      await client.applyTopics(catalog.all());
      const { codec: writer } = await codecFor(client, catalog, [topics.input, topics.timeouts]);
      const at = (timestamp: number, record: ReturnType<RecordCodec['encode']>) => ({ ...record, timestamp });
      const base = Date.now() - 60_000;
      // Written one input after the other; the timestamps interleave.
      await client.produce([
        ...[1, 3, 5].map((seq) =>
          at(base + seq, writer.encode(topics.input, 'k', { key: 'k', seq, n: 1 }, {}, 0)),
        ),
        ...[2, 4, 6].map((seq) =>
          at(
            base + seq,
            writer.encode(topics.timeouts, 'k', { key: 'k', seq, count: 0, partition: 0 }, {}, 0),
          ),
        ),
      ]);
      const pipeline = await Pipeline.start({
        appId: prefix,
        transport: client,
        registry: harness.registry(client),
        catalog,
        processors: [merger as never],
        log: testLog,
      });
      await pipeline.waitIdle();
      await pipeline.stop();
      const seen = await readValues<Count>(client, codec, topics.output);
      expect(seen.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    test('a member killed with SIGKILL mid-stream restarts with exactly-once outputs and restored state', async () => {
      const { prefix, topics, codec, produce } = await setup('crash');
      const total = choice.kind === 'kafka' ? 6000 : 20000;
      await produce(ticks(0, total, 97));
      const outputs = async () =>
        (await client.describeTopics([topics.output]))[0]!.endOffsets.reduce((a, b) => a + b, 0);
      let kills = 0;
      for (let round = 0; round < 4; round++) {
        const child = startChild(prefix, harness.childEnv());
        await waitForLine(child, 'ready');
        const before = await outputs();
        // Kill at a random moment once the member is visibly making progress.
        await eventually(
          async () => (await outputs()) > before + 50 || (await outputs()) >= total,
          60_000,
          'child progress',
        );
        await new Promise((r) => setTimeout(r, Math.random() * 300));
        if (round < 3) {
          child.kill('SIGKILL');
          kills++;
          await new Promise((r) => child.once('exit', r));
        } else {
          const consumed = async () => {
            const committed = await client.committedOffsets(groupId(prefix, 'counter'), topics.input);
            const ends = (await client.describeTopics([topics.input]))[0]!.endOffsets;
            return committed.every((c, p) => c >= ends[p]!);
          };
          await eventually(consumed, 120_000, 'child to consume everything');
          child.kill('SIGTERM');
          await new Promise((r) => child.once('exit', r));
        }
      }
      expect(kills).toBe(3);
      assertExactlyOnce(await readValues<Count>(client, codec, topics.output), total);
    });

    (choice.kind === 'kafka' ? test : test.skip)(
      'changelog topics roll segments often, so a restore reads about the live state, not all history',
      async () => {
        const { prefix, topics } = await setup('segments');
        const catalog = topics.catalog.withProcessors(prefix, [counterProcessor(topics) as never]);
        const changelogs = catalog.all().filter((spec) => spec.cleanup === 'compact');
        expect(changelogs.length).toBeGreaterThan(0);
        const kafka = client as KafkaTransport;
        const { resources } = await (
          await kafka.admin()
        ).describeConfigs({
          includeSynonyms: false,
          resources: changelogs.map((spec) => ({
            type: 2,
            name: kafka.names.physical(spec.name),
            configNames: ['segment.ms', 'cleanup.policy'],
          })),
        });
        for (const resource of resources) {
          const config = Object.fromEntries(resource.configEntries.map((e) => [e.configName, e.configValue]));
          expect(config).toEqual({ 'cleanup.policy': 'compact', 'segment.ms': '600000' });
        }
      },
    );

    (choice.kind === 'kafka' ? test : test.skip)(
      'a new owner waits for the open transaction of a previous owner that sent offsets, and starts after them',
      async () => {
        const { prefix, topics, codec, start, produce } = await setup('stable');
        const kafka = client as KafkaTransport;
        await produce(ticks(0, 100));
        const [input] = await kafka.describeTopics([topics.input]);
        // The previous owner processed all of it and is committing, its transaction still open.
        const previous = kafka.kafka.producer({
          transactionalId: `${prefix}-previous-owner`,
          idempotent: true,
          maxInFlightRequests: 1,
        });
        await previous.connect();
        const transaction = await previous.transaction();
        await transaction.sendOffsets({
          consumerGroupId: kafka.names.group(groupId(prefix, 'counter')),
          topics: [
            {
              topic: kafka.names.physical(topics.input),
              partitions: input!.endOffsets.map((offset, partition) => ({
                partition,
                offset: String(offset),
              })),
            },
          ],
        });
        const pipeline = await start();
        await sleep(3000);
        expect(await readValues<Count>(client, codec, topics.output)).toEqual([]);
        await transaction.commit();
        await produce(ticks(100, 20));
        await pipeline.waitIdle();
        const counts = await readValues<Count>(client, codec, topics.output);
        expect(counts.map((c) => c.seq).sort((a, b) => a - b)).toEqual(range(100, 120));
        await previous.disconnect();
        await pipeline.stop();
      },
    );

    (choice.kind === 'kafka' ? test : test.skip)(
      'records of aborted transactions stay unread when the aborts land out of order (several producers, one partition)',
      async () => {
        const { prefix, topics, codec, start } = await setup('aborted');
        const kafka = client as KafkaTransport;
        // As in a fleet: one task's producer per partition upstream, all writing to this partition.
        const producers = ['a', 'b', 'c'].map((id) =>
          kafka.kafka.producer({
            transactionalId: `${prefix}-${id}`,
            idempotent: true,
            maxInFlightRequests: 1,
          }),
        );
        for (const producer of producers) await producer.connect();
        const [a, b, c] = producers as [Producer, Producer, Producer];
        const tick = (seq: number) => ({
          topicMessages: toTopicMessages(
            [codec.encode(topics.input, 'one-key', { key: 'one-key', seq, n: 1 })],
            kafka.names,
          ),
        });
        const first = await a.transaction();
        await first.sendBatch(tick(0));
        const second = await b.transaction();
        await second.sendBatch(tick(1));
        // Kafka lists aborted transactions in the order of their abort markers, here b before a,
        // though a's records come first in the log.
        await second.abort();
        await first.abort();
        const third = await c.transaction();
        await third.sendBatch(tick(2));
        await third.commit();
        for (const producer of producers) await producer.disconnect();

        const read = await readValues<Tick>(client, codec, topics.input);
        expect(read.map((t) => t.seq)).toEqual([2]);
        const pipeline = await start();
        await pipeline.waitIdle();
        const counts = await readValues<Count>(client, codec, topics.output);
        expect(counts.map(({ seq, count }) => ({ seq, count }))).toEqual([{ seq: 2, count: 1 }]);
        await pipeline.stop();
      },
    );

    (choice.kind === 'kafka' ? test : test.skip)(
      'a member that rejoins while its tasks hold uncommitted work does not process that work twice',
      async () => {
        const { topics, codec, start, produce } = await setup('rejoin');
        // Commits wait 5 s, so the second member's join finds the first member's tasks holding
        // processed, uncommitted records; after the join its consumer reads from the committed offsets.
        const slowCommits = { commit: { commitIntervalMs: 5000, lingerMs: 5000 } };
        const first = await start(harness.connect(), slowCommits);
        await eventually(
          () => first.runs[0]!.assignedPartitions().length === 4,
          30_000,
          'first member owns all',
        );
        await produce(ticks(0, 400));
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const second = await start(harness.connect(), slowCommits);
        await eventually(
          () => first.runs[0]!.assignedPartitions().length === 2,
          60_000,
          'partitions split between two members',
        );
        await first.waitIdle();
        await second.waitIdle();
        assertExactlyOnce(await readValues<Count>(client, codec, topics.output), 400);
        await second.stop();
        await first.stop();
      },
    );

    (choice.kind === 'kafka' ? test : test.skip)(
      'a follower keeps following after kafkajs stops its consumer for good, and delivers each record once',
      async () => {
        const { topics, codec, produce } = await setup('follower');
        await produce(ticks(0, 100));
        const seen: number[] = [];
        let calls = 0;
        const follower = client.follow(topics.input, async (records) => {
          // kafkajs gives up on an error marked not retriable, as it does when no group coordinator
          // answers while the broker restarts: it disconnects the consumer and does not restart it.
          if (calls++ === 0) throw Object.assign(new Error('stopped on purpose'), { retriable: false });
          for (const record of records) seen.push((await codec.decode<Tick>(record)).value.seq);
        });
        await follower.ready;
        await produce(ticks(100, 100));
        await eventually(() => seen.length >= 200, 60_000, 'the records written after the stop');
        await new Promise((resolve) => setTimeout(resolve, 1000));
        expect([...seen].sort((a, b) => a - b)).toEqual(range(0, 200));
        await follower.stop();
      },
    );

    test('sends undecodable and failing records to the DLQ and keeps going', async () => {
      const { topics, codec, start } = await setup('dlq');
      const pipeline = await start();
      const garbage = Buffer.from('definitely not avro');
      const good = (seq: number) => codec.encode(topics.input, 'k', { key: 'k', seq, n: 1 }, {}, 0);
      await client.produce([
        good(0),
        { ...good(1), value: garbage },
        good(2),
        codec.encode(topics.input, 'k', { key: 'k', seq: 3, n: -1 }, {}, 0),
        { ...good(4), value: wire.encode(999_999, Buffer.from([1, 2, 3])) },
        good(5),
      ]);
      await pipeline.waitIdle();
      const counts = await readValues<Count>(client, codec, topics.output);
      expect(counts.map((c) => [c.seq, c.count])).toEqual([
        [0, 1],
        [2, 2],
        [5, 3],
      ]);
      const { codec: reader } = await codecFor(client, pipeline.catalog, []);
      const dead = await readValues<Record<string, unknown>>(client, reader, dlqTopic(topics.input));
      expect(dead.map((d) => [d.errorType, d.sourceOffset, d.processor])).toEqual([
        ['DECODE_FAILED', 1, 'counter'],
        ['PROCESS_FAILED', 3, 'counter'],
        ['DECODE_FAILED', 4, 'counter'],
      ]);
      expect(dead[0]!.value).toEqual(garbage);
      expect(String(dead[1]!.error)).toContain('poison tick k/3');
      expect(String(dead[2]!.error)).toContain('schema id 999999 is not registered');
      await pipeline.stop();
    });

    test('reprocesses from an offset and from a timestamp', async () => {
      const { prefix, topics, codec, start, produce } = await setup('replay');
      let pipeline = await start();
      await produce(ticks(0, 100, 1));
      await pipeline.waitIdle();
      await new Promise((r) => setTimeout(r, 20));
      const cut = Date.now();
      await new Promise((r) => setTimeout(r, 20));
      await produce(ticks(100, 50, 1));
      await pipeline.waitIdle();
      await pipeline.stop();
      const partition = (await client.read(topics.input))[0]!.partition;
      const group = groupId(prefix, 'counter');

      await eventually(
        async () => {
          try {
            await client.setCommittedOffsets(group, topics.input, [{ partition, offset: 90 }]);
            return true;
          } catch {
            return false; // the stopped member may still count as live for a moment
          }
        },
        60_000,
        'group to become empty',
      );
      pipeline = await start(client, { replay: true });
      await pipeline.waitIdle();
      await pipeline.stop();
      let counts = await readValues<Count>(client, codec, topics.output);
      expect(counts.slice(150).map((c) => c.seq)).toEqual(range(90, 150));

      const offsets = await client.offsetsForTimestamp(topics.input, cut);
      expect(offsets[partition]).toBe(100);
      await eventually(
        async () => {
          try {
            await client.setCommittedOffsets(group, topics.input, [
              { partition, offset: offsets[partition]! },
            ]);
            return true;
          } catch {
            return false;
          }
        },
        60_000,
        'group to become empty',
      );
      pipeline = await start(client, { replay: true });
      await pipeline.waitIdle();
      await pipeline.stop();
      counts = await readValues<Count>(client, codec, topics.output);
      expect(counts.slice(210).map((c) => c.seq)).toEqual(range(100, 150));
      // State carried on through the replays: the count kept growing, nothing was reset.
      expect(counts.at(-1)!.count).toBe(260);
      const replayed = await client.read(topics.output);
      expect(replayed.slice(150).every((r) => r.headers['lf-replay'] === '1')).toBe(true);
      expect(replayed.slice(0, 150).some((r) => r.headers['lf-replay'] === '1')).toBe(false);
    });

    test('global tables load before processing starts and follow later changes', async () => {
      const prefix = `${harness.prefix}-global`;
      const topics = counterTopics(prefix, 2);
      const table = `${prefix}.limits`;
      const catalog = new Catalog([
        ...topics.catalog.all(),
        { ...topics.catalog.get(topics.input), name: table, cleanup: 'compact' as const },
      ]);
      const processor = defineProcessor<Tick>({
        name: 'lookup',
        inputs: [topics.input],
        outputs: [topics.output],
        globals: [table],
        process(record, ctx) {
          const limit = ctx.global<Tick>(table).get(record.key);
          ctx.emit(topics.output, record.key, {
            key: record.key,
            seq: record.value.seq,
            count: limit?.n ?? -1,
            partition: ctx.partition,
          });
        },
      });
      await client.applyTopics(catalog.withProcessors(prefix, [processor as never]).all());
      const { codec } = await codecFor(client, catalog, [topics.input, table]);
      await client.produce([
        codec.encode(table, 'a', { key: 'a', seq: 0, n: 7 }),
        codec.encode(table, 'b', { key: 'b', seq: 0, n: 9 }),
      ]);
      const pipeline = await startAlone(prefix, catalog, processor);
      await client.produce([codec.encode(topics.input, 'a', { key: 'a', seq: 1, n: 1 })]);
      await pipeline.waitIdle();
      await client.produce([
        codec.encode(table, 'a', { key: 'a', seq: 0, n: 8 }),
        codec.encode(table, 'b', null),
      ]);
      // The table follows the topic: later records see the new value and the deletion.
      await eventually(
        async () => {
          await client.produce([codec.encode(topics.input, 'b', { key: 'b', seq: 2, n: 1 })]);
          await pipeline.waitIdle();
          const counts = await readValues<Count>(client, codec, topics.output);
          return counts.some((c) => c.key === 'b' && c.count === -1);
        },
        30_000,
        'deletion to reach the table',
      );
      await client.produce([codec.encode(topics.input, 'a', { key: 'a', seq: 3, n: 1 })]);
      await pipeline.waitIdle();
      const counts = await readValues<Count>(client, codec, topics.output);
      expect(counts.find((c) => c.seq === 1)!.count).toBe(7);
      expect(counts.find((c) => c.seq === 3)!.count).toBe(8);
      await pipeline.stop();
    });

    /** A sink over `inputs` whose flush is `flush`, started alone; resolves to it and a codec. */
    async function startSink(
      prefix: string,
      catalog: Catalog,
      inputs: string[],
      flush: NonNullable<Processor<Tick>['flush']>,
      commit?: { lingerMs: number; commitIntervalMs: number },
    ) {
      const sink = defineProcessor<Tick>({ name: 'sink', inputs, outputs: [], process() {}, flush });
      await client.applyTopics(catalog.withProcessors(prefix, [sink as never]).all());
      const { codec } = await codecFor(client, catalog, inputs);
      const pipeline = await Pipeline.start({
        appId: prefix,
        transport: client,
        registry: harness.registry(client),
        catalog,
        processors: [sink as never],
        run: commit ? { commit } : undefined,
        log: testLog,
      });
      return { pipeline, codec };
    }

    test('flush runs before each commit, and a failing flush commits nothing and sees the records again', async () => {
      const prefix = `${harness.prefix}-flush`;
      const topics = counterTopics(prefix, 1);
      const written = new Set<number>();
      let failures = 2;
      const { pipeline, codec } = await startSink(prefix, topics.catalog, [topics.input], async (records) => {
        if (failures-- > 0) throw new Error('database unavailable');
        for (const record of records) written.add(record.value.seq);
      });
      await client.produce(ticks(0, 50, 5).map((t) => codec.encode(topics.input, t.key, t)));
      await eventually(() => written.size === 50, 60_000, 'flush to succeed after failures');
      await pipeline.waitIdle();
      const [committed] = await client.committedOffsets(groupId(prefix, 'sink'), topics.input);
      expect(committed).toBe(50);
      expect(failures).toBeLessThan(0);
      await pipeline.stop();
    });

    test("a failing flush on one partition leaves the other partitions' commits alone", async () => {
      const prefix = `${harness.prefix}-flush-isolated`;
      const topics = counterTopics(prefix, 2);
      const flushes = new Map<number, number>();
      const partitionsWritten = new Set<number>();
      let failures = 3;
      // Commits linger, so that on Kafka both partitions' work goes into the same commit.
      const { pipeline, codec } = await startSink(
        prefix,
        topics.catalog,
        [topics.input],
        async (records, ctx) => {
          if (ctx.partition === 0 && failures-- > 0) throw new Error('database unavailable');
          partitionsWritten.add(ctx.partition);
          for (const record of records)
            flushes.set(record.value.seq, (flushes.get(record.value.seq) ?? 0) + 1);
        },
        { lingerMs: 500, commitIntervalMs: 500 },
      );
      await client.produce(ticks(0, 50, 10).map((t) => codec.encode(topics.input, t.key, t)));
      await eventually(() => flushes.size === 50, 60_000, 'every record flushed');
      await pipeline.waitIdle();
      expect(partitionsWritten).toEqual(new Set([0, 1]));
      expect(failures).toBeLessThan(0);
      // Partition 1 flushed its records once: its commit was not failed (and its task rebuilt and
      // its input read again) because partition 0's database write failed.
      expect([...flushes.values()].filter((n) => n !== 1)).toEqual([]);
      await pipeline.stop();
    });

    test('batches fetched before a failed flush rewound the task are read again, not skipped', async () => {
      // More inputs than the consumer handles batches at once (16): batches of the same fetch
      // that start after the failed flush rebuilt the task reach the new task, fetched before the
      // rewind. The new task must not count them as read, or it skips them when they come again.
      const prefix = `${harness.prefix}-flush-rewind`;
      const inputs = Array.from({ length: 20 }, (_, i) => `${prefix}.ticks-${i}`);
      const catalog = new Catalog(
        inputs.map((name) => ({
          name,
          partitions: 1,
          cleanup: 'delete' as const,
          retentionMs: null,
          format: 'avro' as const,
          keySchema: 'string' as const,
          valueSchema: tickSchema as never,
          doc: 'test topic',
        })),
      );
      const flushed = new Set<string>();
      let failures = 1;
      // The records are there before the sink starts, so its first fetch holds all 20 batches.
      await client.applyTopics(catalog.all());
      const { codec: producing } = await codecFor(client, catalog, inputs);
      await client.produce(
        inputs.flatMap((topic) => ticks(0, 5, 5).map((t) => producing.encode(topic, t.key, t, {}, 0))),
      );
      const { pipeline } = await startSink(
        prefix,
        catalog,
        inputs,
        async (records) => {
          if (failures-- > 0) throw new Error('database unavailable');
          for (const record of records) flushed.add(`${record.topic}/${record.value.seq}`);
        },
        { lingerMs: 0, commitIntervalMs: 0 },
      );
      await pipeline.waitIdle();
      expect(failures).toBeLessThan(0);
      expect(flushed.size).toBe(inputs.length * 5);
      await pipeline.stop();
    });

    test('a timer whose handler keeps failing is dead-lettered with its key and time; the others fire', async () => {
      const { prefix, topics, codec } = await setup('failing-timer');
      const base = counterProcessor(topics, 300);
      const flaky = defineProcessor<Tick>({
        ...base,
        name: 'flaky-timers',
        onTimer(timer, ctx) {
          if (timer.key === 'bad') throw new RetryableError(`notifier down for ${timer.key}`);
          return base.onTimer!(timer, ctx);
        },
      });
      const pipeline = await startAlone(prefix, topics.catalog, flaky, fastRetries);
      await client.produce(
        ['bad', 'good'].map((key) => codec.encode(topics.input, key, { key, seq: 0, n: 1 }, {}, 0)),
      );
      const deadLetters = () =>
        readValues<{ errorType: string; timerKey: string | null; timerAt: number | null }>(
          client,
          codec,
          dlqTopic(topics.input),
        );
      await eventually(
        async () => (await deadLetters()).length === 1,
        30_000,
        'the failing timer to be dead-lettered',
      );
      await eventually(
        async () => (await readValues<Count>(client, codec, topics.timeouts)).length === 1,
        30_000,
        'the other timer to fire',
      );
      await pipeline.waitIdle();
      await pipeline.stop();
      const [letter] = await deadLetters();
      expect(letter).toMatchObject({ errorType: 'TIMER_FAILED', timerKey: 'bad', attempts: 2 });
      expect(letter!.timerAt).toBeGreaterThan(0);
      expect(await readValues<Count>(client, codec, topics.timeouts)).toEqual([
        expect.objectContaining({ key: 'good', count: 1 }),
      ]);
    });

    test('a record failing past its in-place retries is parked in the retry topic and tried again later', async () => {
      const { prefix, topics, codec } = await setup('retry-topic');
      const base = counterProcessor(topics);
      let receiverDown = true;
      const parking = defineProcessor<Tick>({
        ...base,
        name: 'parking',
        retryLaterMs: [500, 500],
        process(record, ctx) {
          const down = record.key === 'gone' || (record.key === 'slow' && receiverDown);
          if (down) throw new RetryableError(`receiver down for ${record.key}`);
          return base.process(record, ctx);
        },
      });
      const pipeline = await startAlone(prefix, topics.catalog, parking, fastRetries);
      const keys = ['slow', 'gone', 'a', 'b', 'c'];
      await client.produce(
        keys.map((key, seq) => codec.encode(topics.input, key, { key, seq, n: 1 }, {}, 0)),
      );
      const counts = () => readValues<Count>(client, codec, topics.output);
      // The records behind the failing ones are not held up.
      await eventually(async () => (await counts()).length === 3, 30_000, 'the healthy records');
      const parked = retryTopic(prefix, 'parking');
      await eventually(async () => (await client.read(parked)).length >= 2, 30_000, 'two records parked');
      receiverDown = false;
      await eventually(
        async () => (await counts()).some((c) => c.key === 'slow'),
        30_000,
        'the parked record to go through once the receiver is back',
      );
      const deadLetters = () =>
        readValues<{ errorType: string; sourceTopic: string; sourceOffset: number; attempts: number }>(
          client,
          codec,
          dlqTopic(topics.input),
        );
      await eventually(async () => (await deadLetters()).length === 1, 30_000, 'the last round to give up');
      await pipeline.waitIdle();
      await pipeline.stop();
      expect((await counts()).map((c) => [c.key, c.count]).sort()).toEqual([
        ['a', 1],
        ['b', 1],
        ['c', 1],
        ['slow', 1],
      ]);
      expect(await deadLetters()).toEqual([
        expect.objectContaining({
          errorType: 'RETRIES_EXHAUSTED',
          sourceTopic: topics.input,
          sourceOffset: 1,
        }),
      ]);
      // 'gone' parked for both rounds; 'slow' once or twice, depending on when the receiver came back.
      const rounds = (await client.read(parked)).map(
        (r) => `${r.headers['lf-retry-source']}#${r.headers['lf-retry-round']}`,
      );
      expect(rounds).toEqual(
        expect.arrayContaining([`${topics.input}/1#1`, `${topics.input}/1#2`, `${topics.input}/0#1`]),
      );
    });

    test('a table mirrors its topic, is rebuilt from it after a restart, and never reaches the changelog', async () => {
      const prefix = `${harness.prefix}-tables`;
      const topics = counterTopics(prefix);
      const { flags, catalog, gate } = gatedCounter(topics);
      // Its topic must be compacted: a table is restored from it.
      const deleting = new Catalog(
        catalog.all().map((t) => (t.name === flags ? { ...t, cleanup: 'delete' as const } : t)),
      );
      await expect(
        Pipeline.start({
          appId: prefix,
          transport: client,
          registry: harness.registry(client),
          catalog: deleting,
          processors: [gate as never],
          log: testLog,
        }),
      ).rejects.toThrow(`table flags of gate mirrors ${flags}, which must be a compacted topic`);
      const withInternal = catalog.withProcessors(prefix, [gate as never]);
      await client.applyTopics(withInternal.all());
      const { codec } = await codecFor(client, withInternal, [topics.input, flags]);
      const start = (transport: Transport) =>
        Pipeline.start({
          appId: prefix,
          transport,
          registry: harness.registry(transport),
          catalog,
          processors: [gate as never],
          log: testLog,
          run: fastRetries,
        });
      const produce = (topic: string, records: [string, Tick | null][]) =>
        client.produce(records.map(([key, value]) => codec.encode(topic, key, value)));
      const produceTicks = (list: Tick[]) =>
        produce(
          topics.input,
          list.map((t) => [t.key, t]),
        );

      let pipeline = await start(client);
      const flag = { key: '', seq: 0, n: 1 };
      await produce(flags, [
        ['key-0', flag],
        ['key-1', flag],
        ['key-1', null],
      ]);
      await pipeline.waitIdle();
      await produceTicks(ticks(0, 20, 5));
      await pipeline.waitIdle();
      await pipeline.stop();

      // Restarted: the table comes back from its topic, up to the committed offset.
      pipeline = await start(harness.connect());
      await produceTicks([...ticks(20, 10, 5), { key: 'key-2', seq: 99, n: -2 }]);
      await pipeline.waitIdle();
      const counts = await readValues<Count>(client, codec, topics.output);
      expect(new Set(counts.map((c) => c.key))).toEqual(new Set(['key-1', 'key-2', 'key-3', 'key-4']));
      expect(counts).toHaveLength(4 * 6);
      const changelog = await client.read(`${prefix}.gate.changelog`);
      expect(changelog.length).toBeGreaterThan(0);
      expect(changelog.filter((r) => r.key!.toString().startsWith('flags/'))).toEqual([]);
      const [dead] = await readValues<{ error: string }>(client, codec, dlqTopic(topics.input));
      expect(dead!.error).toMatch(/store flags is a table: the runtime keeps it from its topic/);
      await pipeline.stop();
    });

    test('fires timers, and timers survive a restart', async () => {
      const { topics, codec, start, produce } = await setup('timers', 1500);
      let pipeline = await start();
      await produce([{ key: 'a', seq: 0, n: 1 }]);
      await pipeline.waitIdle();
      await pipeline.stop(); // before the timer is due: it must come back from the changelog
      await new Promise((r) => setTimeout(r, 200));
      pipeline = await start(harness.connect());
      await eventually(
        async () => (await readValues<Count>(client, codec, topics.timeouts)).length === 1,
        30_000,
        'timer to fire after restart',
      );
      const [timeout] = await readValues<Count>(client, codec, topics.timeouts);
      expect(timeout).toMatchObject({ key: 'a', count: 1 });
      await pipeline.stop();
    });
  });
}

/** Every seq appears once, and per key the counts run 1..n in seq order. */
function assertExactlyOnce(counts: Count[], total: number) {
  const seqs = counts.map((c) => c.seq).sort((a, b) => a - b);
  expect(seqs).toEqual(range(0, total));
  const byKey = new Map<string, Count[]>();
  for (const c of counts) byKey.set(c.key, [...(byKey.get(c.key) ?? []), c]);
  for (const list of byKey.values()) {
    list.sort((a, b) => a.seq - b.seq);
    expect(list.map((c) => c.count)).toEqual(range(1, list.length + 1));
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function startChild(prefix: string, env: Record<string, string>): ChildProcess {
  const script = path.join(__dirname, '..', 'support', 'counter-child.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env, TEST_PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return child;
}

function waitForLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(line)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before "${line}"`)));
  });
}
