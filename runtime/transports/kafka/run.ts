import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer, EachBatchPayload, Kafka, Producer, Transaction } from 'kafkajs';
import { topicOffsets } from './admin';
import { heartbeatIntervalMs } from './client';
import { changelogTopic } from '../../topic-spec';
import { type Processor, taskInputs } from '../../processor';
import { HEADER, type OutgoingRecord, type RawRecord } from '../../records';
import { engineMetrics, observeStep } from '../../metrics';
import { retry } from '../../retry';
import { type Commit, commitDueIn, Task } from '../../task';
import type { ProcessorRun, ReadOptions, RunOptions } from '../../transport';
import { groupId } from '../../transport';
import { fromKafka, type TopicNames, toTopicMessages } from './convert';
import { replaceStoppedConsumer } from './replace';
import { retryConcurrentTransactions } from './concurrent-transactions';

interface KafkaTask {
  task: Task;
  producer: Producer;
  /** Next offset per input topic as of the task's last commit: where a rewind goes back to. */
  startOffsets: Map<string, number>;
  /** Next offset to process per input topic: a record fetched again is not processed twice. */
  nextOffsets: Map<string, number>;
  /** Whether the last batch reached the end of the partition. */
  caughtUp: boolean;
  /** Serialises batches and timers of one task: a task is single-threaded, like a Streams task. */
  lock: Promise<unknown>;
  closed: boolean;
}

/** Tells kafkajs' runner to re-join the group: its handler for this error type does exactly that. */
class RejoinGroup extends Error {
  readonly type = 'REBALANCE_IN_PROGRESS';
  override name = 'RejoinGroup';
}

/** What a processor run needs of the transport that starts it (KafkaTransport). */
export interface KafkaConnection {
  readonly kafka: Kafka;
  readonly names: TopicNames;
  admin(): Promise<Admin>;
  newConsumer(groupId: string, sessionTimeout: number): Consumer;
  read(topic: string, options?: ReadOptions): Promise<RawRecord[]>;
}

/**
 * One member of a processor's consumer group on Kafka. Each task (input partition) has its own
 * transactional producer (transactional.id = group + partition): initialising it fences any
 * previous owner and completes that owner's open transaction, after which the changelog and the
 * committed offsets are final and the task can restore from them. kafkajs does not implement
 * KIP-447 (its TxnOffsetCommit stops at v1), so a producer per task is what keeps zombies out.
 */
export class KafkaProcessorRun implements ProcessorRun {
  /** The consumer group on the cluster, topic prefix included; its tasks' transactional ids too. */
  private readonly group: string;
  /** The processor's inputs and its retry topic, if any. */
  private readonly inputs: string[];
  private consumer: Consumer;
  private readonly tasks = new Map<number, Promise<KafkaTask>>();
  /** Partitions of the latest group generation; undefined until the first join. */
  private assignment: Set<number> | undefined;
  private timerLoop: NodeJS.Timeout | undefined;
  /** Read position per topic:partition, past transaction markers (which committed offsets are not). */
  private readonly positions = new Map<string, number>();
  /**
   * Records fetched and not yet processed, per partition (task). kafkajs hands each input's batch
   * to its own eachBatch call, all of one fetch at once; collecting them before the task runs lets
   * the task merge its inputs by timestamp, as on the embedded log.
   */
  private readonly fetched = new Map<number, RawRecord[]>();
  private running = false;

  constructor(
    private readonly transport: KafkaConnection,
    private readonly processorDef: Processor<never>,
    private readonly options: RunOptions,
    private readonly sessionTimeoutMs: number,
  ) {
    this.group = transport.names.group(groupId(options.appId, processorDef.name));
    this.inputs = taskInputs(processorDef, options.appId);
    this.consumer = this.newConsumer();
  }

  get processor(): string {
    return this.processorDef.name;
  }

  private get names(): TopicNames {
    return this.transport.names;
  }

  assignedPartitions(): number[] {
    return [...this.tasks.keys()].sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    this.running = true;
    await this.runConsumer();
    this.timerLoop = setInterval(() => {
      // A tick's failures are handled per task inside it; whatever escapes must not end the process.
      this.tick().catch((error: unknown) =>
        this.options.log.error({ err: error, processor: this.processor }, 'timer loop failed'),
      );
    }, 10);
  }

  private newConsumer(): Consumer {
    const consumer = this.transport.newConsumer(this.group, this.sessionTimeoutMs);
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions = new Set<number>();
      for (const topic of this.inputs) {
        for (const p of payload.memberAssignment[this.names.physical(topic)] ?? []) partitions.add(p);
      }
      this.reconcile(partitions);
    });
    // Batches holding only transaction markers never reach eachBatch; kafkajs resolves them itself.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0)
        this.positions.set(`${payload.topic}:${payload.partition}`, Number(payload.lastOffset) + 1);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.options.log.error(
        { err: payload.error, processor: this.processor, restart: payload.restart },
        'consumer crashed',
      );
      if (!payload.restart && this.running && consumer === this.consumer) void this.replaceConsumer();
    });
    return consumer;
  }

  private async runConsumer(): Promise<void> {
    const { consumer } = this;
    await consumer.connect();
    await consumer.subscribe({
      topics: this.inputs.map((t) => this.names.physical(t)),
      fromBeginning: true,
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 16,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /**
   * After kafkajs stopped the consumer for good (see replaceStoppedConsumer), a new one rejoins
   * the group, and its tasks are rebuilt from the changelog like after any rebalance.
   */
  private async replaceConsumer(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
    await Promise.all([...this.tasks.keys()].map((p) => this.closeTask(p)));
    this.assignment = undefined;
    await replaceStoppedConsumer({
      create: () => (this.consumer = this.newConsumer()),
      run: () => this.runConsumer(),
      wanted: () => this.running,
      log: this.options.log,
      context: { processor: this.processor },
    });
  }

  async waitIdle(timeoutMs = 60_000): Promise<void> {
    const admin = await this.transport.admin();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (Date.now() > deadline)
        throw new Error(`${this.processor} did not become idle within ${timeoutMs} ms`);
      if (await this.caughtUp(admin)) return;
      await sleep(50);
    }
  }

  /** True when every assigned partition has a task and has been read up to its last stable offset. */
  private async caughtUp(admin: Admin): Promise<boolean> {
    if (!this.assignment) return false;
    for (const partition of this.assignment) {
      const task = this.tasks.get(partition);
      // A task still being created, or holding uncommitted work, is not idle.
      const settled = task && (await readyTask(task));
      const ready = settled && settled.task.pendingWork() === null;
      if (!ready) return false;
    }
    for (const topic of this.inputs.map((t) => this.names.physical(t))) {
      const [committed] = await admin.fetchOffsets({ groupId: this.group, topics: [topic] });
      for (const end of await topicOffsets(admin, topic)) {
        if (!this.tasks.has(end.partition)) continue;
        const fallback = Number(
          committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? -1,
        );
        const position = this.positions.get(`${topic}:${end.partition}`) ?? fallback;
        if (Number(end.offset) > 0 && position < Number(end.offset)) return false;
      }
    }
    return true;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.timerLoop);
    await this.consumer.disconnect();
    await Promise.all([...this.tasks.keys()].map((p) => this.closeTask(p)));
  }

  /**
   * After a join: creates tasks for newly assigned partitions, closes revoked ones, and rebuilds
   * kept ones that hold uncommitted work.
   */
  private reconcile(assigned: Set<number>): void {
    this.assignment = assigned;
    for (const [partition, pending] of this.tasks) {
      if (!assigned.has(partition)) void this.closeTask(partition);
      else void this.rebuildIfUncommitted(pending);
    }
    this.startTasks([...assigned].filter((p) => !this.tasks.has(p)));
  }

  /**
   * A rejoin (a member kicked out after a missed heartbeat, or any rebalance) makes the consumer
   * read its partitions again from the committed offsets. Records a kept task has processed but
   * not committed would then be processed twice: a screen stage found its own lead in its state
   * and rejected it as a duplicate. Such a task is dropped and rebuilt from its changelog, as
   * after a failed commit. Batches from before the join run first (they hold the lock), so
   * whatever they commit is not redone.
   */
  private async rebuildIfUncommitted(pending: Promise<KafkaTask>): Promise<void> {
    const kt = await pending.catch(() => undefined);
    if (!kt) return;
    await this.withTask(kt, async () => {
      if (kt.closed || kt.task.pendingWork() === null) return;
      this.options.log.warn(
        { processor: this.processor, partition: kt.task.partition },
        'rejoined while holding uncommitted work; rebuilding the task',
      );
      this.rebuildTask(pending, kt);
    });
  }

  /**
   * Drops a task whose state may hold changes that never committed and, while its partition is
   * still assigned here, builds it again from the changelog and reads its input again from the
   * committed offsets.
   */
  private rebuildTask(pending: Promise<KafkaTask>, kt: KafkaTask): void {
    const { partition } = kt.task;
    if (this.tasks.get(partition) === pending) void this.closeTask(partition);
    this.rewind(kt);
    if (this.assignment?.has(partition) && !this.tasks.has(partition)) this.startTasks([partition]);
  }

  private startTasks(fresh: number[]): void {
    if (fresh.length === 0) return;
    const creation = this.createTasksUntilDone(fresh);
    for (const partition of fresh) {
      const task = creation.then((tasks) => tasks.get(partition)!);
      task.catch(() => {
        if (this.tasks.get(partition) === task) this.tasks.delete(partition);
      });
      this.tasks.set(partition, task);
    }
  }

  /**
   * Task creation talks to the broker several times (producer init, offsets, changelog); a broker
   * that is briefly unavailable must not leave partitions without a task, so it retries for as
   * long as the partitions stay assigned.
   */
  private async createTasksUntilDone(partitions: number[]): Promise<Map<number, KafkaTask>> {
    return retry(() => this.createTasks(partitions), {
      attempts: Infinity,
      baseDelayMs: 500,
      maxDelayMs: 10_000,
      isRetryable: () => this.running && partitions.every((p) => this.assignment?.has(p)),
      onRetry: ({ error, attempt }) =>
        this.options.log.warn(
          { err: error, processor: this.processor, partitions, attempt },
          'task creation failed; retrying',
        ),
    });
  }

  private async createTasks(partitions: number[]): Promise<Map<number, KafkaTask>> {
    const log = this.options.log.child({ processor: this.processor });
    // Every producer is waited for, so that when one fails none of the others is left connected
    // (a leak per retry of a task start while the broker is unavailable).
    const claims = await Promise.allSettled(
      partitions.map(async (partition) => {
        const producer = this.transport.kafka.producer({
          transactionalId: `${this.group}-${partition}`,
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          transactionTimeout: 60_000,
        });
        try {
          await producer.connect();
          await fence(producer);
        } catch (error) {
          await disconnect([producer]);
          throw error;
        }
        return [partition, producer] as const;
      }),
    );
    const producers = new Map(claims.flatMap((claim) => (claim.status === 'fulfilled' ? [claim.value] : [])));
    try {
      const failed = claims.find((claim) => claim.status === 'rejected');
      if (failed) throw failed.reason;
      return await this.restoreTasks(partitions, producers, log);
    } catch (error) {
      await disconnect(producers.values());
      throw error;
    }
  }

  private async restoreTasks(
    partitions: number[],
    producers: Map<number, Producer>,
    log: RunOptions['log'],
  ): Promise<Map<number, KafkaTask>> {
    const admin = await this.transport.admin();
    const starts = new Map<number, Map<string, number>>(partitions.map((p) => [p, new Map()]));
    for (const topic of this.inputs) {
      const [committed] = await admin.fetchOffsets({
        groupId: this.group,
        topics: [this.names.physical(topic)],
      });
      for (const { partition, offset } of committed?.partitions ?? [])
        starts.get(partition)?.set(topic, Number(offset));
    }
    const changelog = changelogTopic(this.options.appId, this.processor);
    const restored = this.options.codec.catalog.has(changelog)
      ? await this.transport.read(changelog, { partitions })
      : [];
    const tasks = new Map<number, KafkaTask>();
    for (const [partition, producer] of producers) {
      const task = new Task({
        appId: this.options.appId,
        processor: this.processorDef,
        partition,
        codec: this.options.codec,
        log: log.child({ partition }),
        clock: this.options.clock,
        retry: this.options.retry,
        globals: this.options.globals,
      });
      const applied = task.restore(restored.filter((r) => r.partition === partition));
      engineMetrics.restoredEntries.inc({ processor: this.processor }, applied);
      log.debug({ partition, applied }, 'task restored');
      tasks.set(partition, {
        task,
        producer,
        startOffsets: starts.get(partition)!,
        nextOffsets: new Map(starts.get(partition)!),
        lock: Promise.resolve(),
        closed: false,
        caughtUp: true,
      });
    }
    return tasks;
  }

  private async closeTask(partition: number): Promise<void> {
    const pending = this.tasks.get(partition);
    this.tasks.delete(partition);
    this.fetched.delete(partition);
    const kt = await pending?.catch(() => undefined);
    if (!kt || kt.closed) return;
    kt.closed = true;
    await kt.lock.catch(() => undefined);
    await kt.producer.disconnect().catch(() => undefined);
  }

  private withTask<T>(kt: KafkaTask, work: () => Promise<T>): Promise<T> {
    const next = kt.lock.then(work, work);
    kt.lock = next.catch(() => undefined);
    return next;
  }

  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    // Before any await, so that every batch of this fetch is collected before the task runs.
    const topic = this.names.logical(batch.topic);
    const fetched = this.fetched.get(batch.partition) ?? [];
    for (const message of batch.messages) {
      const record = fromKafka(topic, batch.partition, message);
      if (this.options.replay) record.headers[HEADER.replay] = '1';
      fetched.push(record);
    }
    this.fetched.set(batch.partition, fetched);
    const pending = this.tasks.get(batch.partition);
    if (!pending) {
      // Not (or no longer) ours: leave the offsets unresolved and let the rejoin sort it out.
      this.fetched.delete(batch.partition);
      await sleep(50);
      throw new RejoinGroup(`${this.processor}: no task for partition ${batch.partition}`);
    }
    // A task restores its changelog before it takes records; kafkajs heartbeats only between
    // batches, so the wait heartbeats itself, or a long restore would get the member expelled.
    const kt = await this.heartbeating(heartbeat, () => pending);
    await this.heartbeating(heartbeat, () =>
      this.withTask(kt, async () => {
        const records = this.takeFetched(kt);
        if (kt.closed || !isRunning() || isStale()) return;
        await kt.task.processBatch(records);
        kt.caughtUp = batch.offsetLag() === '0';
        // Until the commit policy says so, later batches join the same transaction; `tick`
        // commits work that stops receiving batches.
        const work = kt.task.pendingWork();
        if (work && commitDueIn(work, kt.caughtUp, this.options.commit ?? {}) === 0) await this.commit(kt);
        resolveOffset(batch.lastOffset());
        this.positions.set(`${batch.topic}:${batch.partition}`, Number(batch.lastOffset()) + 1);
      }),
    );
    await heartbeat();
  }

  /** The task's fetched records it has not processed yet (none of those fetched again). */
  private takeFetched(kt: KafkaTask): RawRecord[] {
    const { partition } = kt.task;
    const records: RawRecord[] = [];
    for (const record of this.fetched.get(partition) ?? []) {
      if (record.offset < (kt.nextOffsets.get(record.topic) ?? 0)) continue;
      records.push(record);
      kt.nextOffsets.set(record.topic, record.offset + 1);
    }
    this.fetched.delete(partition);
    return records;
  }

  /**
   * Heartbeats while a batch waits for its task (a timer's commit may hold it) and is processed
   * and committed: a sink's flush retrying its database, or a processor retrying a record, can
   * outlast the session timeout, and kafkajs heartbeats only between batches. A failed heartbeat
   * (a rebalance began) changes nothing here: kafkajs rejoins after the batch, and a commit made
   * meanwhile is fenced by the producer epoch if the task has moved.
   */
  private async heartbeating<T>(heartbeat: () => Promise<void>, work: () => Promise<T>): Promise<T> {
    const beat = setInterval(() => {
      heartbeat().catch((error: unknown) =>
        this.options.log.debug({ err: error, processor: this.processor }, 'heartbeat during a batch failed'),
      );
    }, heartbeatIntervalMs(this.sessionTimeoutMs));
    try {
      return await work();
    } finally {
      clearInterval(beat);
    }
  }

  /**
   * Moves the consumer back to the task's last committed offsets. The records of a failed commit
   * were already read (kafkajs moves on once a batch returns), so without this the rebuilt task
   * would never see them.
   */
  private rewind(kt: KafkaTask): void {
    for (const topic of this.inputs) {
      const offset = Math.max(0, kt.startOffsets.get(topic) ?? 0);
      try {
        this.consumer.seek({
          topic: this.names.physical(topic),
          partition: kt.task.partition,
          offset: String(offset),
        });
      } catch (error) {
        // kafkajs refuses a seek while its consumer is stopped (restarting after a crash, or
        // being replaced); the consumer that runs next starts from the committed offsets anyway.
        this.options.log.debug({ err: error, processor: this.processor }, 'rewind skipped');
      }
    }
  }

  /** Fires due timers and commits work left pending by batches that stopped arriving. */
  private async tick(): Promise<void> {
    for (const [partition, pending] of this.tasks) {
      const kt = await readyTask(pending);
      if (!kt || kt.closed) continue;
      await this.withTask(kt, async () => {
        if (kt.closed) return;
        await kt.task.fireDueTimers();
        const work = kt.task.pendingWork();
        if (work && commitDueIn(work, kt.caughtUp, this.options.commit ?? {}) === 0) await this.commit(kt);
      }).catch((error) => {
        this.options.log.warn(
          { err: error, processor: this.processor, partition },
          'commit from timer failed; rebuilding the task',
        );
        // Not left to a rejoin: on an idle partition no batch would come to trigger one, and
        // the partition would have no task, nor fire its timers, until input arrived.
        this.rebuildTask(pending, kt);
      });
    }
  }

  /**
   * Outputs, changelog and input offsets in one Kafka transaction, offsets alone (a sink, or
   * records that changed nothing) included. An offset commit through the consumer is checked
   * against the group generation but not against who owns the partition: a member that lost the
   * task in a rebalance and committed late moved the offset back behind its successor's, and those
   * records were processed twice after the next failover. In a transaction the producer epoch
   * fences it, as in Kafka Streams. The cost, on most of the pipeline's commits (sinks, and the
   * metrics, webhook and notification stages): three requests and a marker where one OffsetCommit
   * did, about 23% more broker CPU (docs/benchmarks.md, 2026-12-03, measured the other way round).
   */
  private async commit(kt: KafkaTask): Promise<void> {
    const started = performance.now();
    let transaction: Transaction | undefined;
    try {
      await kt.task.flush();
      const commit = kt.task.takeCommit();
      transaction = await kt.producer.transaction();
      for (const chunk of chunkBySize(commit.records)) {
        await transaction.sendBatch({ topicMessages: toTopicMessages(chunk, this.names), acks: -1 });
      }
      if (commit.offsets.length > 0) {
        const offsets = { consumerGroupId: this.group, topics: groupOffsets(commit.offsets, this.names) };
        await retryConcurrentTransactions(() => transaction!.sendOffsets(offsets));
      }
      await transaction.commit();
      kt.task.committed();
      for (const o of commit.offsets) kt.startOffsets.set(o.topic, o.offset);
      observeStep(this.processor, commit, (performance.now() - started) / 1000);
    } catch (error) {
      engineMetrics.commitFailures.inc({ processor: this.processor });
      await transaction?.abort().catch(() => undefined);
      // The in-memory state now holds changes that never committed, or another member owns the
      // task: either way this task is dropped and rebuilt from the changelog after a rejoin.
      this.options.log.warn(
        { err: error, processor: this.processor, partition: kt.task.partition },
        'commit failed; rejoining',
      );
      void this.closeTask(kt.task.partition);
      this.rewind(kt);
      throw new RejoinGroup(
        `${this.processor}: commit failed for partition ${kt.task.partition}: ${(error as Error).message}`,
      );
    }
  }
}

// A Kafka record batch must stay under the broker's message.max.bytes (1 MiB by default); one
// commit can hold far more, so it is sent in pieces inside the same transaction.
const MAX_CHUNK_BYTES = 512 * 1024;

function* chunkBySize(records: readonly OutgoingRecord[]): Generator<OutgoingRecord[]> {
  let chunk: OutgoingRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = (record.key?.length ?? 0) + (record.value?.length ?? 0) + 64;
    if (chunk.length > 0 && bytes + size > MAX_CHUNK_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(record);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

function groupOffsets(offsets: Commit['offsets'], names: TopicNames) {
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const o of offsets) {
    const list = byTopic.get(o.topic) ?? [];
    list.push({ partition: o.partition, offset: String(o.offset) });
    byTopic.set(o.topic, list);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic: names.physical(topic), partitions }));
}

/**
 * Claims the producer's transactional.id before the task restores: the transactional
 * InitProducerId bumps the epoch, so the previous owner can no longer commit, aborts that owner's
 * open transaction and waits (CONCURRENT_TRANSACTIONS, retried by kafkajs) for one it was already
 * committing. Only then are the changelog and the committed offsets final. kafkajs's `connect()`
 * does not do this (it asks for a plain idempotent producer id and leaves the transactional one
 * to the first `transaction()`), and restoring before it let a commit that was under way during a
 * broker restart land after the restore: its records were processed again, and duplicated. An
 * empty transaction claims the id; aborting it sends nothing, since nothing was added to it.
 */
async function fence(producer: Producer): Promise<void> {
  const claim = await producer.transaction();
  await claim.abort();
}

async function disconnect(producers: Iterable<Producer>): Promise<void> {
  await Promise.all([...producers].map((producer) => producer.disconnect().catch(() => undefined)));
}

/** The task if it is ready now, undefined while it is being created or if its creation failed. */
function readyTask(pending: Promise<KafkaTask>): Promise<KafkaTask | undefined> {
  return Promise.race([pending.catch(() => undefined), sleep(0).then(() => undefined)]);
}
