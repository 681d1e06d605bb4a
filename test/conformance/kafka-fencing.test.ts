/**
 * Kafka-only guarantees around group membership and fencing: a member that lost a task cannot
 * undo its successor's commits, a restore or a slow flush does not get a member expelled, timer
 * ticks do not pile up behind a slow commit, a reader's consumer crashing fails the read and not
 * the process, a failed timer commit does not leave a partition
 * without a task, deployments sharing a cluster under
 * different topic prefixes stay apart, a producer claim that fails leaks no producer, the
 * broker refuses offsets from a stale group generation (KIP-447), a restore waits for the changelog
 * of the commit its offsets came from, a run frees its group's offsets from a transaction it left
 * hanging on the broker, a static member's restart moves no partitions, a produce call
 * is not held behind another on the wire, and a restart
 * restores its state
 * from a local checkpoint and the changelog after it, ignoring a checkpoint it cannot trust.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigResourceTypes, type Consumer, type Producer } from 'kafkajs';
import { engineMetrics } from '../../runtime/metrics';
import { Pipeline } from '../../runtime/pipeline';
import { retry } from '../../runtime/retry';
import { defineProcessor, type Processor } from '../../runtime/processor';
import { groupId } from '../../runtime/transport';
import { type KafkaOptions, KafkaTransport } from '../../runtime/transports/kafka';
import { encodeCommitMetadata } from '../../runtime/transports/kafka/commit-metadata';
import { retryConcurrentTransactions } from '../../runtime/transports/kafka/concurrent-transactions';
import { KafkaProcessorRun } from '../../runtime/transports/kafka/run';
import { changelogTopic } from '../../runtime/topic-spec';
import { type Count, counterProcessor, counterTopics, gatedCounter, type Tick } from '../support/counter';
import {
  codecFor,
  eventually,
  readValues,
  SESSION_TIMEOUT_MS,
  type TransportHarness,
  testLog,
  transportsUnderTest,
} from '../support/harness';
import { kafkaBrokers } from '../support/services';

jest.setTimeout(180_000);

const kafka = transportsUnderTest().find((choice) => choice.kind === 'kafka')!;
const suite = kafka.gate.run ? describe : describe.skip;

suite('kafka transport: fencing and liveness', () => {
  let harness: TransportHarness;
  let client: KafkaTransport;
  let members: KafkaTransport[];
  let gates: { open: () => void }[];

  beforeAll(() => {
    if (kafka.gate.reason) throw new Error(kafka.gate.reason);
  });
  beforeEach(() => {
    harness = kafka.create();
    client = harness.connect() as KafkaTransport;
    members = [];
    gates = [];
  });
  afterEach(async () => {
    // A test that failed while holding a gate shut would otherwise keep its tasks from closing.
    for (const held of gates) held.open();
    for (const transport of members) await transport.close().catch(() => undefined);
    await harness.dispose();
  });

  /**
   * A client of its own, as another process would have. Its client id starts the member ids the
   * broker gives it, and so decides the order in which the assigner deals partitions to members.
   */
  function member(
    clientId = 'leadflow-test',
    topicPrefix = `${harness.prefix}.`,
    options: Pick<KafkaOptions, 'stateDir' | 'checkpointIntervalMs' | 'instanceId'> = {},
  ): KafkaTransport {
    const transport = new KafkaTransport({
      brokers: kafkaBrokers,
      clientId,
      log: testLog,
      sessionTimeoutMs: SESSION_TIMEOUT_MS.kafka,
      topicPrefix,
      ...options,
    });
    members.push(transport);
    return transport;
  }

  async function setup(name: string, partitions = 1) {
    const appId = `${harness.prefix}-${name}`;
    const topics = counterTopics(appId, partitions);
    await client.applyTopics(topics.catalog.all());
    const { codec } = await codecFor(client, topics.catalog, [topics.input]);
    const start = (transport: KafkaTransport, processor: Processor<Tick>, run = {}) =>
      Pipeline.start({
        appId,
        transport,
        registry: harness.registry(transport),
        catalog: topics.catalog,
        processors: [processor as never],
        log: testLog,
        run,
      });
    const produce = (ticks: Tick[]) => client.produce(ticks.map((t) => codec.encode(topics.input, t.key, t)));
    const committed = (processor: string) => client.committedOffsets(groupId(appId, processor), topics.input);
    return { appId, topics, codec, start, produce, committed };
  }

  /** A sink: no outputs and no state, so each of its commits is of input offsets alone. */
  const sink = (input: string, flush: (records: Tick[]) => Promise<void>) =>
    defineProcessor<Tick>({
      name: 'sink',
      inputs: [input],
      outputs: [],
      process() {},
      flush: (records) => flush(records.map((r) => r.value)),
    });

  /** A promise the test resolves when it chooses: a database or a broker that answers late. */
  function gate() {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    gates.push({ open });
    return { open, opened };
  }

  /**
   * Leaves what a broker that shut down mid-commit left in the outage crash test: transactional
   * offsets on the group's offsets partition that no transaction will end. The TxnOffsetCommit goes
   * out under a fresh producer epoch with no AddOffsetsToTxn before it, so the coordinator never
   * knows of it; the broker's transaction verification (KIP-890), which would refuse it, is off
   * for that one request. kafkajs exposes its protocol calls only on its internal cluster. Into a
   * group with a live member the offsets go under that member's generation, as the cut-off
   * commit's did.
   */
  async function leaveHangingOffsets(
    transactionalId: string,
    group: string,
    topic: string,
    member: { generationId: number; memberId: string } = { generationId: -1, memberId: '' },
  ) {
    const admin = await client.admin();
    const { brokers } = await admin.describeCluster();
    // AlterConfigs replaces a broker's dynamic configs as a whole: the test brokers have none but
    // this one, so an empty list puts back the static default (verification on).
    const brokerConfigs = (configEntries: { name: string; value: string }[]) =>
      admin.alterConfigs({
        validateOnly: false,
        resources: brokers.map(({ nodeId }) => ({
          type: ConfigResourceTypes.BROKER,
          name: String(nodeId),
          configEntries,
        })),
      });
    const createCluster = Object.getOwnPropertySymbols(client.kafka).find(
      (symbol) => symbol.description === 'private:Kafka:createCluster',
    )!;
    const cluster = (client.kafka as unknown as Record<symbol, (options: object) => InternalCluster>)[
      createCluster
    ]!({});
    await cluster.connect();
    await brokerConfigs([{ name: 'transaction.partition.verification.enable', value: 'false' }]);
    try {
      // Coordinators of ids nobody used yet may still be loading: the whole write is retried.
      await retry(
        async () => {
          const coordinator = await cluster.findGroupCoordinator({
            groupId: transactionalId,
            coordinatorType: 1,
          });
          const { producerId, producerEpoch } = await coordinator.initProducerId({
            transactionalId,
            transactionTimeout: 10_000,
          });
          await (
            await cluster.findGroupCoordinator({ groupId: group })
          ).txnOffsetCommit({
            transactionalId,
            groupId: group,
            producerId,
            producerEpoch,
            ...member,
            groupInstanceId: null,
            topics: [{ topic, partitions: [{ partition: 0, offset: '0' }] }],
          });
        },
        { attempts: 20, baseDelayMs: 200, maxDelayMs: 2000 },
      );
    } finally {
      await brokerConfigs([]);
      await cluster.disconnect();
    }
  }

  /** Member ids of a group on the broker. */
  async function groupMembers(group: string): Promise<string[]> {
    const { groups } = await (await client.admin()).describeGroups([group]);
    return groups[0]?.members.map((m) => m.memberId) ?? [];
  }

  test('a producer that fails to claim its transactional id is disconnected, and the next claim serves the tasks', async () => {
    const { topics, start, produce } = await setup('leak', 4);
    const transport = member();
    let failed = false;
    const clients = watchClients(transport, (producer) => {
      if (failed) return;
      failed = true;
      producer.transaction = () => Promise.reject(new Error('broker unavailable (injected)'));
    });
    const pipeline = await start(transport, counterProcessor(topics));
    await produce(ticks(0, 100));
    await pipeline.waitIdle();
    expect(failed).toBe(true);
    expect(clients.transactionalIds).toHaveLength(2);
    expect(clients.connected.size).toBe(1);
    await pipeline.stop();
    expect(clients.connected.size).toBe(0);
  });

  test('a member that lost a task cannot move its committed offset back with a late offsets-only commit', async () => {
    const { topics, start, produce, committed } = await setup('zombie');
    const database = gate();
    let zombieFlushing = false;
    const zombie = member('z-zombie');
    const zombieClients = watchClients(zombie);
    // Its commits wait for the timer loop (a long linger), so the flush that hangs is outside
    // kafkajs' batch handler: the consumer goes on heartbeating and takes part in the rebalance.
    const first = await start(
      zombie,
      sink(topics.input, async () => {
        zombieFlushing = true;
        await database.opened;
      }),
      { commit: { lingerMs: 3000, commitIntervalMs: 3000 } },
    );
    await eventually(
      () => first.runs[0]!.assignedPartitions().length === 1,
      30_000,
      'the first member owns the task',
    );
    await produce(ticks(0, 10));
    await eventually(() => zombieFlushing, 30_000, 'the first member to flush');

    // Its client id sorts first, so the assigner gives the one partition to the new member.
    const successor = await start(
      member('a-successor'),
      sink(topics.input, async () => {}),
    );
    await eventually(
      () =>
        successor.runs[0]!.assignedPartitions().length === 1 &&
        first.runs[0]!.assignedPartitions().length === 0,
      60_000,
      'the task to move to the new member',
    );
    await eventually(async () => (await committed('sink'))[0] === 10, 60_000, 'the new owner to commit');
    await produce(ticks(10, 10));
    await eventually(async () => (await committed('sink'))[0] === 20, 60_000, 'the new owner to commit more');

    // The first member's flush returns, and it commits what it had processed (offset 10).
    database.open();
    await eventually(() => zombieClients.connected.size === 0, 60_000, 'the first member to drop its task');
    expect(await committed('sink')).toEqual([20]);
    await successor.stop();
    await first.stop();
  });

  test('stopping waits for the commit under way, which lands, and starts nothing after it', async () => {
    const { topics, start, produce, committed } = await setup('stop');
    const database = gate();
    let flushing = false;
    const transport = member();
    const clients = watchClients(transport);
    const pipeline = await start(
      transport,
      sink(topics.input, async () => {
        flushing = true;
        await database.opened;
      }),
      // A long linger: the timer loop commits, outside kafkajs' batch handler, which the
      // consumer's disconnect would wait for.
      { commit: { lingerMs: 1000, commitIntervalMs: 1000 } },
    );
    await produce(ticks(0, 10));
    await eventually(() => flushing, 30_000, 'the flush');
    const stopping = pipeline.stop();
    await sleep(500);
    database.open();
    await stopping;
    // Left the group first, the member's commit was refused (unknown member) and its task rebuilt,
    // with a new producer, after the run had stopped.
    expect(await committed('sink')).toEqual([10]);
    await sleep(1000);
    expect(clients.connected.size).toBe(0);
  });

  test('a batch that arrives while its task restores does not stop the heartbeats', async () => {
    const { appId, topics, codec, start, produce } = await setup('restore');
    const transport = member();
    const membership = watchMembership(transport);
    const changelog = gate();
    const read = transport.read.bind(transport);
    jest.spyOn(transport, 'read').mockImplementation(async (topic, options) => {
      if (topic === changelogTopic(appId, 'counter')) await changelog.opened;
      return read(topic, options);
    });
    const pipeline = await start(transport, counterProcessor(topics));
    await eventually(() => membership.memberId !== undefined, 30_000, 'the member to join');
    await produce(ticks(0, 20));
    await eventually(() => membership.batches > 0, 30_000, 'a batch for the restoring task');
    await sleep(2 * SESSION_TIMEOUT_MS.kafka);
    expect(await groupMembers(membership.group!)).toEqual([membership.memberId]);
    changelog.open();
    await pipeline.waitIdle();
    const counts = await readValues<Count>(client, codec, topics.output);
    expect(counts.map((c) => c.seq).sort((a, b) => a - b)).toEqual(range(0, 20));
    await pipeline.stop();
  });

  test('a flush that outlasts the session timeout does not get the member expelled', async () => {
    const { topics, start, produce, committed } = await setup('flush');
    const transport = member();
    const membership = watchMembership(transport);
    const database = gate();
    let flushing = false;
    const written: number[] = [];
    const slowSink = sink(topics.input, async (records) => {
      flushing = true;
      await database.opened;
      written.push(...records.map((r) => r.seq));
    });
    // Commits are due at once, so the flush runs inside kafkajs' batch handler.
    const pipeline = await start(transport, slowSink, { commit: { lingerMs: 0, commitIntervalMs: 0 } });
    await eventually(() => membership.memberId !== undefined, 30_000, 'the member to join');
    await produce(ticks(0, 20));
    await eventually(() => flushing, 30_000, 'the flush to start');
    await sleep(2 * SESSION_TIMEOUT_MS.kafka);
    expect(await groupMembers(membership.group!)).toEqual([membership.memberId]);
    database.open();
    await pipeline.waitIdle();
    expect([...written].sort((a, b) => a - b)).toEqual(range(0, 20));
    expect(await committed('sink')).toEqual([20]);
    await pipeline.stop();
  });

  test('timer ticks do not pile up behind a slow commit', async () => {
    const { topics, start, produce } = await setup('tick-pileup');
    const transport = member();
    const database = gate();
    let flushing = false;
    // Every tick of every run in this process is counted while it is under way.
    const run = KafkaProcessorRun.prototype as unknown as { tick(): Promise<void> };
    const tick = run.tick;
    let ticking = 0;
    let mostAtOnce = 0;
    const spy = jest.spyOn(run, 'tick').mockImplementation(async function (this: unknown) {
      mostAtOnce = Math.max(mostAtOnce, ++ticking);
      try {
        return await tick.call(this);
      } finally {
        ticking--;
      }
    });
    try {
      // A linger longer than a batch: the tick commits, and its flush waits for the database.
      const pipeline = await start(
        transport,
        sink(topics.input, async () => {
          flushing = true;
          await database.opened;
        }),
        { commit: { lingerMs: 200, commitIntervalMs: 200 } },
      );
      await produce(ticks(0, 5));
      await eventually(() => flushing, 30_000, 'the flush to start');
      await sleep(1000);
      expect(mostAtOnce).toBe(1);
      database.open();
      await pipeline.waitIdle();
      await pipeline.stop();
    } finally {
      spy.mockRestore();
    }
  });

  test('a reader whose consumer crashes while joining fails its read, not the process', async () => {
    const { topics, produce } = await setup('reader-crash');
    await produce(ticks(0, 5));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, '..', 'support', 'reader-crash-child.ts')],
      {
        env: {
          ...process.env,
          KAFKA_BROKERS: kafkaBrokers.join(','),
          KAFKA_TOPIC_PREFIX: `${harness.prefix}.`,
          TEST_TOPIC: topics.input,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect({ code, output: output.trim().split('\n').at(-1) }).toEqual({
      code: 0,
      output: 'read failed: The coordinator is loading (injected)',
    });
  });

  test('a timer commit that fails on an idle partition rebuilds the task at once', async () => {
    const { topics, codec, start, produce } = await setup('timer', 1);
    const transport = member();
    const broker = failingTransactions(transport);
    const pipeline = await start(transport, counterProcessor(topics, 1500));
    await produce([{ key: 'a', seq: 0, n: 1 }]);
    await pipeline.waitIdle();
    // The next commit is the timer's, with no input since the last one.
    broker.failNext = true;
    await eventually(
      async () => (await readValues<Count>(client, codec, topics.timeouts)).length > 0,
      30_000,
      'the timer to fire again after its commit failed',
    );
    expect(broker.failNext).toBe(false);
    await pipeline.waitIdle();
    expect(await readValues<Count>(client, codec, topics.timeouts)).toEqual([
      { key: 'a', seq: -1, count: 1, partition: 0 },
    ]);
    await pipeline.stop();
  });

  test('a timer commit that fails while kafkajs restarts the consumer does not end the process', async () => {
    const { topics, codec, start, produce } = await setup('timer-restart', 1);
    const transport = member();
    const broker = failingTransactions(transport);
    // While kafkajs restarts a crashed consumer it has no consumer group, and seek throws.
    let consumerStopped = false;
    const create = transport.newConsumer.bind(transport);
    jest.spyOn(transport, 'newConsumer').mockImplementation((group, sessionTimeout): Consumer => {
      const consumer = create(group, sessionTimeout);
      const seek = consumer.seek.bind(consumer);
      consumer.seek = (target) => {
        if (consumerStopped)
          throw new Error('Consumer group was not initialized, consumer#run must be called first');
        seek(target);
      };
      return consumer;
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const pipeline = await start(transport, counterProcessor(topics, 1500));
      await produce([{ key: 'a', seq: 0, n: 1 }]);
      await pipeline.waitIdle();
      consumerStopped = true;
      broker.failNext = true;
      await eventually(() => !broker.failNext, 30_000, 'the timer commit to fail');
      consumerStopped = false;
      await eventually(
        async () => (await readValues<Count>(client, codec, topics.timeouts)).length > 0,
        30_000,
        'the timer to fire again after its commit failed',
      );
      await pipeline.stop();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('two deployments with one app id and different topic prefixes each process all of their input', async () => {
    const appId = `${harness.prefix}-shared`;
    const topics = counterTopics(appId, 4);
    const deployments = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const prefix = `${harness.prefix}.${name}.`;
        const transport = member('leadflow-test', prefix);
        const clients = watchClients(transport);
        await transport.applyTopics(topics.catalog.all());
        const { codec } = await codecFor(transport, topics.catalog, [topics.input]);
        const pipeline = await Pipeline.start({
          appId,
          transport,
          registry: harness.registry(transport),
          catalog: topics.catalog,
          processors: [counterProcessor(topics) as never],
          log: testLog,
        });
        return { prefix, transport, clients, codec, pipeline };
      }),
    );
    for (const { transport, codec } of deployments)
      await transport.produce(ticks(0, 400).map((t) => codec.encode(topics.input, t.key, t)));
    for (const { pipeline } of deployments) await pipeline.waitIdle();
    for (const { prefix, transport, clients, codec, pipeline } of deployments) {
      const counts = await readValues<Count>(transport, codec, topics.output);
      expect(counts.map((c) => c.seq).sort((a, b) => a - b)).toEqual(range(0, 400));
      const committed = await transport.committedOffsets(groupId(appId, 'counter'), topics.input);
      expect(committed.reduce((a, b) => a + b, 0)).toBe(400);
      const follower = transport.follow(topics.input, () => {});
      await follower.ready;
      await follower.stop();
      // The processor's group and its producer, the reader's and the follower's groups.
      expect(clients.groups.length).toBeGreaterThanOrEqual(3);
      expect(clients.transactionalIds).toHaveLength(1);
      for (const id of [...clients.groups, ...clients.transactionalIds])
        expect(id.startsWith(prefix)).toBe(true);
      await pipeline.stop();
    }
  });

  test('starting a processor does not fence its producer in another deployment with the same app id', async () => {
    const appId = `${harness.prefix}-fence`;
    const topics = counterTopics(appId, 4);
    const [here, elsewhere] = ['a', 'b'].map((name) =>
      member('leadflow-test', `${harness.prefix}.${name}.`),
    ) as [KafkaTransport, KafkaTransport];
    const start = (transport: KafkaTransport) =>
      Pipeline.start({
        appId,
        transport,
        registry: harness.registry(transport),
        catalog: topics.catalog,
        processors: [counterProcessor(topics) as never],
        log: testLog,
      });
    // The transactional id of the processor in the other deployment, as its run uses it.
    const elsewhereClients = watchClients(elsewhere);
    const other = await start(elsewhere);
    await eventually(() => elsewhereClients.transactionalIds.length === 1, 30_000, 'its producer');
    await other.stop();
    const [transactionalId] = elsewhereClients.transactionalIds;
    // That deployment's producer, mid-transaction.
    const owner = client.kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await owner.connect();
    const transaction = await owner.transaction();
    await transaction.sendBatch({
      topicMessages: [
        {
          topic: elsewhere.names.physical(topics.output),
          messages: [{ key: 'k', value: 'from the other deployment', partition: 0 }],
        },
      ],
    });
    const pipeline = await start(here);
    await pipeline.waitIdle();
    expect(pipeline.runs[0]!.assignedPartitions()).toEqual([0, 1, 2, 3]);
    await expect(transaction.commit()).resolves.toBeUndefined();
    await owner.disconnect();
    await pipeline.stop();
  });

  // KIP-447, added to kafkajs by patches/kafkajs+2.2.4.patch (TxnOffsetCommit v3): what lets one
  // producer serve every task of a process, since the group generation, not a producer per task,
  // then fences a member that lost its partitions.
  test('offsets committed in a transaction with a stale group generation are refused', async () => {
    const topic = `${harness.prefix}.kip447`;
    const group = `${harness.prefix}.kip447-group`;
    const admin = await client.admin();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    /** The generation and member id of the consumer's next join. */
    const joinedGroup = (consumer: Consumer) =>
      new Promise<{ generationId: number; memberId: string }>((resolve) =>
        consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => resolve(payload)),
      );
    const consumers: Consumer[] = [];
    const join = async () => {
      const consumer = client.kafka.consumer({
        groupId: group,
        sessionTimeout: 10_000,
        heartbeatInterval: 500,
      });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topics: [topic] });
      return consumer;
    };
    const producer = client.kafka.producer({
      transactionalId: `${harness.prefix}.kip447-tx`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const commitOffset = async (offset: number, member: { generationId: number; memberId: string }) => {
      const transaction = await producer.transaction();
      try {
        // The coordinator may still be ending the previous (aborted) transaction.
        await retryConcurrentTransactions(() =>
          transaction.sendOffsets({
            consumerGroupId: group,
            topics: [{ topic, partitions: [{ partition: 0, offset: String(offset) }] }],
            ...member,
          }),
        );
        await transaction.commit();
      } catch (error) {
        await transaction.abort();
        throw error;
      }
    };
    try {
      const first = await join();
      const firstJoin = joinedGroup(first);
      await first.run({ eachBatch: async () => undefined });
      const before = await firstJoin;
      await commitOffset(5, before);
      // A second member joins: the group moves to a new generation.
      const rejoin = joinedGroup(first);
      await (await join()).run({ eachBatch: async () => undefined });
      const after = await rejoin;
      expect(after.generationId).toBeGreaterThan(before.generationId);
      await expect(commitOffset(9, before)).rejects.toMatchObject({ type: 'ILLEGAL_GENERATION' });
      await commitOffset(7, after);
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      expect(committed!.partitions.find((p) => p.partition === 0)!.offset).toBe('7');
    } finally {
      await Promise.all([...consumers.map((c) => c.disconnect()), producer.disconnect()]);
    }
  });

  test('a restore waits for the changelog of the commit its offsets come from, whichever marker lands first', async () => {
    const { appId, topics, codec, start, produce } = await setup('markers');
    const processor = () => counterProcessor(topics, 60_000, 'marked');
    const first = await start(member(), processor());
    await produce(ticks(0, 10, 1));
    await first.waitIdle();
    await first.stop();
    const group = client.names.group(groupId(appId, 'marked'));
    const [input] = await (
      await client.admin()
    ).fetchOffsets({
      groupId: group,
      topics: [client.names.physical(topics.input)],
    });
    const inputOffset = input!.partitions[0]!.offset;

    // A commit caught between its markers: the broker has written the offsets' one, not yet the
    // changelog's. The changelog write sits in a transaction still open, while the offsets it goes
    // with are committed (by another transaction), naming the changelog end the commit reached.
    const transactional = async (id: string) => {
      const producer = client.kafka.producer({
        transactionalId: `${harness.prefix}.${id}`,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
      return producer;
    };
    const changelogProducer = await transactional('markers-changelog');
    const offsetsProducer = await transactional('markers-offsets');
    try {
      const open = await changelogProducer.transaction();
      const [written] = await open.send({
        topic: client.names.physical(changelogTopic(appId, 'marked')),
        messages: [{ key: 'counts/key-0', value: '100', partition: 0 }],
      });
      const changelogEnd = Number(written!.baseOffset) + 1;
      // kafkajs sends a partition's metadata, though its types leave it out.
      const partition = {
        partition: 0,
        offset: inputOffset,
        metadata: encodeCommitMetadata({ changelogEnd }),
      };
      const offsets = await offsetsProducer.transaction();
      await offsets.sendOffsets({
        consumerGroupId: group,
        topics: [{ topic: client.names.physical(topics.input), partitions: [partition] }],
      });
      await offsets.commit();

      const again = await start(member(), processor());
      await sleep(1000);
      await open.commit();
      await produce(ticks(10, 1, 1));
      await again.waitIdle();
      // The restored count is the changelog's last (100), not the one before it (10).
      const counts = (await readValues<Count>(client, codec, topics.output)).filter((c) => c.seq === 10);
      expect(counts.map((c) => c.count)).toEqual([101]);
      await again.stop();
    } finally {
      await Promise.all([changelogProducer.disconnect(), offsetsProducer.disconnect()]);
    }
  });

  test('offsets a cut-off commit left hanging on the broker are freed by the run that left them', async () => {
    const { appId, topics, codec, start, produce } = await setup('hanging');
    const instanceId = 'hanging-a';
    const transport = member('leadflow-test-hanging', undefined, { instanceId });
    const group = transport.names.group(groupId(appId, 'hanging'));
    const input = transport.names.physical(topics.input);
    // The run's transactional id (run.ts): what the broker keys the pending offsets under.
    await leaveHangingOffsets(`${group}-${instanceId}`, group, input);
    const admin = await client.admin();
    await expect(admin.fetchOffsets({ groupId: group, topics: [input] })).rejects.toMatchObject({
      type: 'UNSTABLE_OFFSET_COMMIT',
    });
    const aborted = async () =>
      (await engineMetrics.hangingTransactionsAborted.get()).values.find(
        (v) => v.labels.processor === 'hanging',
      )?.value ?? 0;
    const before = await aborted();

    const pipeline = await start(transport, counterProcessor(topics, 60_000, 'hanging'));
    await produce(ticks(0, 10, 2));
    // Without the abort, every restore waits for offsets that no marker will ever make stable.
    await pipeline.waitIdle();
    const counts = await readValues<Count>(client, codec, topics.output);
    expect(Math.max(...counts.filter((c) => c.key === 'key-0').map((c) => c.count))).toBe(5);
    expect(await aborted()).toBe(before + 1);
    await pipeline.stop();
  });

  test('offsets left hanging while a run keeps its partitions are freed without a restart', async () => {
    const { appId, topics, codec, start, produce } = await setup('hanging-live');
    const instanceId = 'hanging-live-a';
    const transport = member('leadflow-test-hanging-live', undefined, { instanceId });
    const group = transport.names.group(groupId(appId, 'hanging-live'));
    const input = transport.names.physical(topics.input);
    // Quiet timers far off: a timer's commit would fail on the fenced producer and restore.
    const pipeline = await start(transport, counterProcessor(topics, 3_600_000, 'hanging-live'));
    await produce(ticks(0, 10, 2));
    await pipeline.waitIdle();
    const aborted = async () =>
      (await engineMetrics.hangingTransactionsAborted.get()).values.find(
        (v) => v.labels.processor === 'hanging-live',
      )?.value ?? 0;
    const before = await aborted();

    // The broker restarted mid-commit and no input follows: no restore and no commit of the run's
    // producer will come along to end what it left.
    const { member: live } = pipeline.runs[0] as unknown as {
      member: { generationId: number; memberId: string };
    };
    await leaveHangingOffsets(`${group}-${instanceId}`, group, input, live);
    const admin = await client.admin();
    await expect(admin.fetchOffsets({ groupId: group, topics: [input] })).rejects.toMatchObject({
      type: 'UNSTABLE_OFFSET_COMMIT',
    });
    await eventually(
      async () => {
        try {
          await admin.fetchOffsets({ groupId: group, topics: [input] });
          return true;
        } catch {
          return false;
        }
      },
      120_000,
      'the group offsets stable again',
    );
    expect(await aborted()).toBe(before + 1);

    // The run goes on from its own offsets, not the hanging ones (0).
    await produce(ticks(10, 2, 2));
    await pipeline.waitIdle();
    const counts = await readValues<Count>(client, codec, topics.output);
    expect(Math.max(...counts.filter((c) => c.key === 'key-0').map((c) => c.count))).toBe(6);
    await pipeline.stop();
  });

  test('a produce call does not wait behind a request already on the wire, and all of them land', async () => {
    const topic = `${harness.prefix}.ingress-like`;
    await (
      await client.admin()
    ).createTopics({ topics: [{ topic: client.names.physical(topic), numPartitions: 1 }] });
    const transport = member();
    // The first request to reach the broker is held there until the test lets it go.
    const held = gate();
    let reached!: () => void;
    const onWire = new Promise<void>((resolve) => (reached = resolve));
    let first = true;
    const newProducer = transport.kafka.producer.bind(transport.kafka);
    jest.spyOn(transport.kafka, 'producer').mockImplementation((config) => {
      const producer = newProducer(config);
      const sendBatch = producer.sendBatch.bind(producer);
      producer.sendBatch = async (batch) => {
        if (first) {
          first = false;
          reached();
          await held.opened;
        }
        return sendBatch(batch);
      };
      return producer;
    });
    const record = (n: number) => ({
      topic,
      partition: 0,
      key: Buffer.from(`k${n}`),
      value: Buffer.from(`v${n}`),
      headers: {},
      timestamp: Date.now(),
    });
    const onTheWire = transport.produce([record(0)]);
    let firstDone = false;
    void onTheWire.then(() => (firstDone = true));
    await onWire;
    // Sent and acknowledged while the first request is still held.
    await transport.produce([record(1)]);
    await transport.produce([record(2), record(3)]);
    expect(firstDone).toBe(false);
    held.open();
    await onTheWire;
    const values = (await client.read(topic)).map((r) => r.value!.toString());
    expect(values.sort()).toEqual(['v0', 'v1', 'v2', 'v3']);
  });

  describe('static membership (KAFKA_INSTANCE_ID)', () => {
    const joins = async (processor: string) =>
      (await engineMetrics.groupJoins.get()).values.find((v) => v.labels.processor === processor)?.value ?? 0;
    /** The latest count per key in the output. */
    const countsByKey = async (topics: { output: string }, codec: Parameters<typeof readValues>[1]) => {
      const latest = new Map<string, number>();
      for (const c of await readValues<Count>(client, codec, topics.output))
        latest.set(c.key, Math.max(latest.get(c.key) ?? 0, c.count));
      return latest;
    };

    test('a member restarted within the session timeout takes its partitions back without a rebalance', async () => {
      const { topics, codec, start, produce } = await setup('static', 4);
      const processor = () => counterProcessor(topics, 60_000, 'steady');
      const staticMember = (id: string) => member(`leadflow-test-${id}`, undefined, { instanceId: id });
      let a = await start(staticMember('a'), processor());
      const b = await start(staticMember('b'), processor());
      await eventually(
        () => a.runs[0]!.assignedPartitions().length === 2 && b.runs[0]!.assignedPartitions().length === 2,
        30_000,
        'two partitions each',
      );
      const partitionsOfA = a.runs[0]!.assignedPartitions();
      const partitionsOfB = b.runs[0]!.assignedPartitions();
      await produce(ticks(0, 100, 20));
      await a.waitIdle();
      await b.waitIdle();

      // b's partitions never move while a restarts: sampled every 20 ms throughout.
      const movedOnB: number[][] = [];
      const watch = setInterval(() => {
        const now = b.runs[0]!.assignedPartitions();
        if (now.join() !== partitionsOfB.join()) movedOnB.push(now);
      }, 20);
      try {
        const before = await joins('steady');
        await a.stop();
        a = await start(staticMember('a'), processor());
        await eventually(
          () => a.runs[0]!.assignedPartitions().join() === partitionsOfA.join(),
          30_000,
          "a's partitions back",
        );
        await produce(ticks(100, 100, 20));
        await a.waitIdle();
        await b.waitIdle();
        // One join, the restarted member's own: without static membership the stop and the start
        // would each rebalance the group, and b would have joined twice and held all four meanwhile.
        expect((await joins('steady')) - before).toBe(1);
      } finally {
        clearInterval(watch);
      }
      expect(movedOnB).toEqual([]);
      const counts = await countsByKey(topics, codec);
      expect(counts.size).toBe(20);
      for (const count of counts.values()) expect(count).toBe(10);
      await Promise.all([a.stop(), b.stop()]);
    });

    test('of two processes given one instance id, the later one processes and the earlier one stops', async () => {
      const { topics, codec, start, produce } = await setup('twins', 2);
      const processor = () => counterProcessor(topics, 60_000, 'twin');
      const earlier = await start(member('leadflow-test-1', undefined, { instanceId: 'twin' }), processor());
      await produce(ticks(0, 40, 10));
      await earlier.waitIdle();
      const later = await start(member('leadflow-test-2', undefined, { instanceId: 'twin' }), processor());
      await eventually(
        () =>
          later.runs[0]!.assignedPartitions().length === 2 &&
          earlier.runs[0]!.assignedPartitions().length === 0,
        30_000,
        'the later process holds both partitions, the earlier none',
      );
      await produce(ticks(40, 40, 10));
      await later.waitIdle();
      // The earlier one did not take its place back: the later one keeps both partitions.
      await sleep(SESSION_TIMEOUT_MS.kafka);
      expect(later.runs[0]!.assignedPartitions()).toEqual([0, 1]);
      expect(earlier.runs[0]!.assignedPartitions()).toEqual([]);
      const counts = await countsByKey(topics, codec);
      expect([...counts.values()]).toEqual(Array.from({ length: 10 }, () => 8));
      await Promise.all([earlier.stop(), later.stop()]);
    });
  });

  describe('local state checkpoints', () => {
    /** A member that checkpoints under `stateDir`, and its checkpoint files. */
    function checkpointing(appId: string, processor: string, checkpointIntervalMs = 0) {
      const stateDir = mkdtempSync(path.join(os.tmpdir(), 'leadflow-state-'));
      const dir = path.join(stateDir, client.names.group(groupId(appId, processor)));
      return {
        member: () => member('leadflow-test', `${harness.prefix}.`, { stateDir, checkpointIntervalMs }),
        // The directory appears with the first checkpoint.
        files: () => (existsSync(dir) ? readdirSync(dir).sort() : []),
        /** Each partition's checkpoint file: its lines, the header parsed. */
        read: (partition: number) => {
          const lines = readFileSync(path.join(dir, `${partition}.ndjson`), 'utf8')
            .trimEnd()
            .split('\n');
          return { lines, header: JSON.parse(lines[0]!) as { changelogOffset: number; writtenAt: number } };
        },
        write: (partition: number, lines: string[]) =>
          writeFileSync(path.join(dir, `${partition}.ndjson`), `${lines.join('\n')}\n`),
      };
    }

    /** Entries in a checkpoint's lines (between the header and the end line). */
    const entries = (lines: string[]) =>
      lines
        .slice(1, -1)
        .reduce((n, line) => n + (JSON.parse(line) as { entries: unknown[] }).entries.length, 0);

    async function restoredEntries(processor: string): Promise<number> {
      const metric = await engineMetrics.restoredEntries.get();
      return metric.values.find((v) => v.labels.processor === processor)?.value ?? 0;
    }

    /** The count each key reached in the output, from the records with seq >= `from`. */
    async function latestCounts(
      topics: { output: string },
      codec: Parameters<typeof readValues>[1],
      from: number,
    ) {
      const latest = new Map<string, number>();
      for (const c of await readValues<Count>(client, codec, topics.output)) {
        if (c.seq >= from) latest.set(c.key, Math.max(latest.get(c.key) ?? 0, c.count));
      }
      return latest;
    }

    test('a restart loads the checkpoint and reads only the changelog written after it, by anyone', async () => {
      const { appId, topics, codec, start, produce } = await setup('resume', 2);
      const local = checkpointing(appId, 'resumer');
      const processor = () => counterProcessor(topics, 60_000, 'resumer');
      const first = await start(local.member(), processor());
      await produce(ticks(0, 200, 20));
      await first.waitIdle();
      await first.stop();
      expect(local.files()).toEqual(['0.ndjson', '1.ndjson']);

      // Another process, without checkpoints, carries the partitions on meanwhile.
      const other = await start(member(), processor());
      await produce(ticks(200, 100, 20));
      await other.waitIdle();
      await other.stop();

      const changelog = changelogTopic(appId, 'resumer');
      const from = new Map([0, 1].map((p) => [p, local.read(p).header.changelogOffset]));
      const tail = (await client.read(changelog, { from })).length;
      const whole = (await client.read(changelog)).length;
      expect(tail).toBeGreaterThan(0);
      expect(tail).toBeLessThan(whole);

      const before = await restoredEntries('resumer');
      const again = await start(local.member(), processor());
      await produce(ticks(300, 20, 20));
      await again.waitIdle();
      expect((await restoredEntries('resumer')) - before).toBe(tail);
      // 320 ticks over 20 keys: each key's count went on from its state, through both processes.
      const counts = await latestCounts(topics, codec, 300);
      expect(counts.size).toBe(20);
      for (const count of counts.values()) expect(count).toBe(16);
      await again.stop();
    });

    test('an incomplete or too old checkpoint is ignored, and the task restores the whole changelog', async () => {
      const { appId, topics, codec, start, produce } = await setup('distrust', 2);
      const local = checkpointing(appId, 'doubter');
      const processor = () => counterProcessor(topics, 60_000, 'doubter');
      const first = await start(local.member(), processor());
      await produce(ticks(0, 100, 10));
      await first.waitIdle();
      await first.stop();

      // Partition 0 lost its end line (a write cut short); partition 1 is older than tombstones are kept.
      const cut = local.read(0).lines;
      local.write(0, cut.slice(0, -1));
      const old = local.read(1);
      const writtenAt = Date.now() - 13 * 3_600_000;
      local.write(1, [JSON.stringify({ ...old.header, version: 1, writtenAt }), ...old.lines.slice(1)]);

      const whole = (await client.read(changelogTopic(appId, 'doubter'))).length;
      const before = await restoredEntries('doubter');
      const again = await start(local.member(), processor());
      await produce(ticks(100, 10, 10));
      await again.waitIdle();
      expect((await restoredEntries('doubter')) - before).toBe(whole);
      const counts = await latestCounts(topics, codec, 100);
      expect(counts.size).toBe(10);
      for (const count of counts.values()) expect(count).toBe(11);
      await again.stop();
    });

    test('a table comes back from the checkpoint and its topic after it, changes by another process included', async () => {
      const topics = counterTopics(`${harness.prefix}-gated`, 2);
      const appId = `${harness.prefix}-gated`;
      const { flags, catalog, gate } = gatedCounter(topics);
      await client.applyTopics(catalog.withProcessors(appId, [gate]).all());
      const { codec } = await codecFor(client, catalog, [topics.input, flags]);
      const start = (transport: KafkaTransport) =>
        Pipeline.start({
          appId,
          transport,
          registry: harness.registry(transport),
          catalog,
          processors: [gate],
          log: testLog,
        });
      const produce = (topic: string, records: [string, Tick | null][]) =>
        client.produce(records.map(([key, value]) => codec.encode(topic, key, value)));
      const flag = { key: '', seq: 0, n: 1 };
      const local = checkpointing(appId, 'gate');

      const first = await start(local.member());
      await produce(flags, [
        ['key-0', flag],
        ['key-1', flag],
      ]);
      await first.waitIdle();
      await first.stop();
      const sources = [0, 1].map(
        (p) => (local.read(p).header as { sources?: Record<string, number> }).sources,
      );
      expect(sources.every((s) => s![flags] !== undefined)).toBe(true);
      expect(sources[0]![flags]! + sources[1]![flags]!).toBe(2);

      // Another process without checkpoints unflags key-0 and flags key-2.
      const other = await start(member());
      await produce(flags, [
        ['key-0', null],
        ['key-2', flag],
      ]);
      await other.waitIdle();
      await other.stop();

      const again = await start(local.member());
      await produce(
        topics.input,
        ticks(0, 8, 4).map((t) => [t.key, t]),
      );
      await again.waitIdle();
      const counted = (await readValues<Count>(client, codec, topics.output)).map((c) => c.key);
      expect(new Set(counted)).toEqual(new Set(['key-0', 'key-3']));
      await again.stop();
    });

    test('after a crash, the last periodic checkpoint and the changelog after it give the committed state', async () => {
      const { appId, topics, codec, start, produce } = await setup('crash', 1);
      const local = checkpointing(appId, 'survivor', 100);
      const processor = () => counterProcessor(topics, 60_000, 'survivor');
      const first = await start(local.member(), processor());
      await produce(ticks(0, 50, 5));
      await first.waitIdle();
      // Written while the member runs, without a close.
      let periodic: string[] = [];
      await eventually(
        () => {
          if (local.files().includes('0.ndjson')) periodic = local.read(0).lines;
          // A count and a timer per key (the timers' due-time index is not written, but rebuilt).
          return entries(periodic) === 5 * 2;
        },
        30_000,
        'a periodic checkpoint of the 5 keys',
      );
      await produce(ticks(50, 50, 5));
      await first.waitIdle();
      await first.stop();
      // As if the process had died after the periodic checkpoint: the later one never written.
      local.write(0, periodic);

      const again = await start(local.member(), processor());
      await produce(ticks(100, 5, 5));
      await again.waitIdle();
      const counts = await latestCounts(topics, codec, 100);
      expect([...counts.values()]).toEqual([21, 21, 21, 21, 21]);
      await again.stop();
    });
  });
});

/** The part of kafkajs's internal cluster and broker that leaveHangingOffsets uses. */
interface InternalBroker {
  initProducerId(request: { transactionalId: string; transactionTimeout: number }): Promise<{
    producerId: number;
    producerEpoch: number;
  }>;
  txnOffsetCommit(request: object): Promise<unknown>;
}
interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(request: { groupId: string; coordinatorType?: number }): Promise<InternalBroker>;
}

const ticks = (from: number, count: number, keys = 50): Tick[] =>
  Array.from({ length: count }, (_, i) => ({ key: `key-${(from + i) % keys}`, seq: from + i, n: 1 }));

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What a transport puts on the wire: consumer group ids and transactional ids, and which of its
 * transactional producers are connected. `adjust` may change a transactional producer as created.
 */
function watchClients(
  transport: KafkaTransport,
  adjust?: (producer: Producer, transactionalId: string) => void,
) {
  const seen = { groups: [] as string[], transactionalIds: [] as string[], connected: new Set<Producer>() };
  const { kafka } = transport;
  const newConsumer = kafka.consumer.bind(kafka);
  const newProducer = kafka.producer.bind(kafka);
  jest.spyOn(kafka, 'consumer').mockImplementation((config) => {
    seen.groups.push(config.groupId);
    return newConsumer(config);
  });
  jest.spyOn(kafka, 'producer').mockImplementation((config) => {
    const producer = newProducer(config);
    const transactionalId = config?.transactionalId;
    if (transactionalId) {
      seen.transactionalIds.push(transactionalId);
      producer.on(producer.events.CONNECT, () => seen.connected.add(producer));
      producer.on(producer.events.DISCONNECT, () => seen.connected.delete(producer));
      adjust?.(producer, transactionalId);
    }
    return producer;
  });
  return seen;
}

/** Lets a test make the next transaction a transport's task producers begin fail, once. */
function failingTransactions(transport: KafkaTransport) {
  const broker = { failNext: false };
  watchClients(transport, (producer) => {
    const begin = producer.transaction.bind(producer);
    producer.transaction = () => {
      if (!broker.failNext) return begin();
      broker.failNext = false;
      return Promise.reject(new Error('broker unavailable (injected)'));
    };
  });
  return broker;
}

/** The processor's consumer on the wire: its group, its member id, and how many batches it began. */
function watchMembership(transport: KafkaTransport) {
  const seen: { group?: string; memberId?: string; batches: number } = { batches: 0 };
  const create = transport.newConsumer.bind(transport);
  jest.spyOn(transport, 'newConsumer').mockImplementation((group, sessionTimeout): Consumer => {
    const consumer = create(group, sessionTimeout);
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      seen.group = payload.groupId;
      seen.memberId = payload.memberId;
    });
    consumer.on(consumer.events.START_BATCH_PROCESS, () => seen.batches++);
    return consumer;
  });
  return seen;
}
