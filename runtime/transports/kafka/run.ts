import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  Admin,
  Consumer,
  EachBatchPayload,
  Kafka,
  Producer,
  RecordMetadata,
  Transaction,
} from 'kafkajs';
import { committedOffsets, topicOffsets, UnstableOffsetsError } from './admin';
import { heartbeatIntervalMs } from './client';
import { changelogTopic } from '../../topic-spec';
import { type CheckpointHeader, StateCheckpoints } from '../../checkpoint';
import { type Processor, taskInputs } from '../../processor';
import { HEADER, type OutgoingRecord, type RawRecord } from '../../records';
import { engineMetrics, observeStep } from '../../metrics';
import { retry } from '../../retry';
import { isOutage } from '../../errors';
import { type Commit, commitDueIn, Task } from '../../task';
import type { ProcessorRun, ReadOptions, RunOptions } from '../../transport';
import { groupId } from '../../transport';
import { fromKafka, type TopicNames, toTopicMessages } from './convert';
import { replaceStoppedConsumer } from './replace';
import { retryConcurrentTransactions } from './concurrent-transactions';
import { changelogEndOf, encodeCommitMetadata } from './commit-metadata';

interface KafkaTask {
  task: Task;
  /** Next offset per input topic as of the task's last commit: where a rewind goes back to. */
  startOffsets: Map<string, number>;
  /** Next offset to process per input topic: a record fetched again is not processed twice. */
  nextOffsets: Map<string, number>;
  /** Whether the last batch reached the end of the partition. */
  caughtUp: boolean;
  /** Serialises batches and timers of one task: a task is single-threaded, like a Streams task. */
  lock: Promise<unknown>;
  closed: boolean;
  /** Set when the task's state may hold changes that never committed: it must not be checkpointed. */
  discarded: boolean;
  /** Every changelog record before this offset is in the task's state (as of its last commit). */
  changelogOffset: number;
  /** The offsets of the task's last checkpoint, or of the one it was restored from (checkpointAt). */
  checkpointed: string | undefined;
  /** A checkpoint write under way. */
  checkpointing: boolean;
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
  newConsumer(groupId: string, sessionTimeout: number, groupInstanceId?: string): Consumer;
  read(topic: string, options?: ReadOptions): Promise<RawRecord[]>;
}

/** The member of the group the consumer joined last: what the broker checks offsets against. */
interface GroupMember {
  generationId: number;
  memberId: string;
  /** A static member's instance id, which the broker checks its offsets against too. */
  groupInstanceId: string | undefined;
}

export interface RunSettings {
  sessionTimeoutMs: number;
  /** This process in the run's transactional id (KafkaOptions.instanceId). */
  instanceId: string;
  /** Makes the run's consumer a static member of its group (KafkaOptions.instanceId, when given). */
  groupInstanceId?: string;
  /** Where tasks checkpoint their state (KafkaOptions.stateDir); no checkpoints without it. */
  stateDir?: string;
  /** How often a task whose state changed checkpoints it; 0: only when it is closed. */
  checkpointIntervalMs?: number;
}

/**
 * Kafka aborts a transaction open this long. A commit opens its transaction only to write what
 * the tasks already computed, so this bounds how long a crashed process's open transaction holds
 * back readers and the partitions' next owner, as Kafka Streams' 10 s default for exactly-once.
 */
const TRANSACTION_TIMEOUT_MS = 10_000;

/**
 * How long a restore waits for its changelog to become stable up to the last commit's end before
 * it gives up (and task creation retries): the marker is normally moments late, and even a
 * transaction the broker must abort itself ends within its timeout.
 */
const CHANGELOG_STABLE_WAIT_MS = 3 * TRANSACTION_TIMEOUT_MS;

/**
 * How long a restore waits for its group's offsets to become stable before it takes the
 * transaction holding them for a hanging one: the broker aborts a transaction past its timeout on
 * its next check (every 10 s by default), so a transaction it knows is gone well before this.
 */
const HANGING_TRANSACTION_MS = 3 * TRANSACTION_TIMEOUT_MS;

/**
 * How often a run looks for offsets of its group left hanging. A restore frees those its producer
 * left, and any commit of that producer ends them too, but offsets left by a commit the broker cut
 * off at shutdown can hang where no restore or commit follows: the partitions stayed put and no
 * input came after (seen for the reward stage in the outage crash test, the group's offsets then
 * held unstable until the end).
 */
const HANGING_CHECK_INTERVAL_MS = TRANSACTION_TIMEOUT_MS;

/** The pause between ticks (due timers, commits of idle tasks, checkpoints). */
const TICK_INTERVAL_MS = 10;

/**
 * One member of a processor's consumer group on Kafka, with one transactional producer for all of
 * its tasks (KIP-447, as a Kafka Streams thread with exactly-once v2): a commit writes every task's
 * outputs, changelog and offsets in one transaction. Zombies are fenced by the group generation:
 * offsets go with the generation and member id of the consumer's last join, and the broker refuses
 * them once the group has moved on (ILLEGAL_GENERATION). A new owner reads committed offsets as
 * stable (it waits while a transaction that sent offsets for its partitions is open) before it
 * restores its changelog, so it starts where the last commit left the task.
 */
export class KafkaProcessorRun implements ProcessorRun {
  /** The consumer group on the cluster, topic prefix included; its tasks' transactional ids too. */
  private readonly group: string;
  /** The processor's inputs and its retry topic, if any. */
  private readonly inputs: string[];
  private consumer: Consumer;
  private readonly tasks = new Map<number, Promise<KafkaTask>>();
  /** The tasks whose creation has finished, for the code that must not wait for the others. */
  private readonly ready = new WeakMap<Promise<KafkaTask>, KafkaTask>();
  /** Partitions of the latest group generation; undefined until the first join. */
  private assignment: Set<number> | undefined;
  private timerLoop: NodeJS.Timeout | undefined;
  private hangingCheck: NodeJS.Timeout | undefined;
  /** Read position per topic:partition, past transaction markers (which committed offsets are not). */
  private readonly positions = new Map<string, number>();
  /**
   * Records fetched and not yet processed, per partition (task). kafkajs hands each input's batch
   * to its own eachBatch call, all of one fetch at once; collecting them before the task runs lets
   * the task merge its inputs by timestamp, as on the embedded log.
   */
  private readonly fetched = new Map<number, RawRecord[]>();
  private running = false;
  /** Set at each join; offsets sent with it are refused once the group has a newer generation. */
  private member: GroupMember | undefined;
  /** The run's transactional producer, claimed; replaced after a failed commit. */
  private producer: Promise<Producer> | undefined;
  /** Commits run one at a time; a commit asked for while one runs follows it. */
  private commits: Promise<unknown> = Promise.resolve();
  /** Commits asked for and not finished: their tasks' work is taken but not yet durable. */
  private commitsInFlight = 0;
  private readonly sessionTimeoutMs: number;
  private readonly transactionalId: string;
  private readonly groupInstanceId: string | undefined;
  /** Whether the processor has state, and so a changelog. */
  private readonly stateful: boolean;
  private readonly checkpoints: StateCheckpoints | undefined;
  private readonly checkpointIntervalMs: number;
  private lastCheckpointRound = Date.now();
  /** Checkpoint writes under way, which `stop` waits for. */
  private readonly checkpointWrites = new Set<Promise<void>>();

  constructor(
    private readonly transport: KafkaConnection,
    private readonly processorDef: Processor<never>,
    private readonly options: RunOptions,
    settings: RunSettings,
  ) {
    this.group = transport.names.group(groupId(options.appId, processorDef.name));
    this.transactionalId = `${this.group}-${settings.instanceId}`;
    this.sessionTimeoutMs = settings.sessionTimeoutMs;
    this.groupInstanceId = settings.groupInstanceId;
    this.inputs = taskInputs(processorDef, options.appId);
    // One directory per consumer group: the group name holds the topic prefix, app and processor.
    // A processor without a changelog (a sink) has no state worth a checkpoint.
    this.stateful = options.codec.catalog.has(changelogTopic(options.appId, processorDef.name));
    this.checkpoints =
      settings.stateDir === undefined || !this.stateful
        ? undefined
        : new StateCheckpoints(path.join(settings.stateDir, this.group));
    this.checkpointIntervalMs = settings.checkpointIntervalMs ?? 0;
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
    this.scheduleTick();
    this.scheduleHangingCheck();
  }

  /**
   * Every run checks, whether or not it holds partitions now: the run that left offsets hanging
   * is the only one that can end them, and its partitions may have moved to a member that cannot.
   */
  private scheduleHangingCheck(): void {
    this.hangingCheck = setTimeout(() => {
      void this.freeHangingOffsets().finally(() => {
        if (this.running) this.scheduleHangingCheck();
      });
    }, HANGING_CHECK_INTERVAL_MS);
  }

  private async freeHangingOffsets(): Promise<void> {
    try {
      const admin = await this.transport.admin();
      for (const topic of this.inputs) if (this.running) await this.stableOffsets(admin, topic);
    } catch (error) {
      // While the broker is away the consumers and commits already say so, every few seconds.
      this.options.log[isOutage(error) ? 'debug' : 'warn'](
        { err: error, processor: this.processor },
        'the check for hanging offsets failed',
      );
    }
  }

  /**
   * The next tick starts a moment after the last one ended, never beside it: a tick waits for
   * busy tasks and for the commit it asks for, and ticks started on a fixed interval would pile up
   * behind a slow commit, thousands of them on a starved machine, each then redoing the work.
   */
  private scheduleTick(): void {
    this.timerLoop = setTimeout(() => {
      this.tick()
        // A tick's failures are handled per task inside it; whatever escapes must not end the process.
        .catch((error: unknown) =>
          this.options.log.error({ err: error, processor: this.processor }, 'timer loop failed'),
        )
        .finally(() => {
          if (this.running) this.scheduleTick();
        });
    }, TICK_INTERVAL_MS);
  }

  private newConsumer(): Consumer {
    const consumer = this.transport.newConsumer(this.group, this.sessionTimeoutMs, this.groupInstanceId);
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      engineMetrics.groupJoins.inc({ processor: this.processor });
      this.member = {
        generationId: payload.generationId,
        memberId: payload.memberId,
        groupInstanceId: this.groupInstanceId,
      };
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
      if (payload.restart || !this.running || consumer !== this.consumer) return;
      if (errorType(payload.error) === 'FENCED_INSTANCE_ID') void this.yieldToNewerInstance();
      else void this.replaceConsumer();
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

  /**
   * Another process joined the group under this process's instance id, and the broker gave it
   * this member's place. Joining again would take the place back and fence that process in turn,
   * so this run stops processing, as the Java consumer does (FencedInstanceIdException), and says
   * why: two live processes were given one KAFKA_INSTANCE_ID.
   */
  private async yieldToNewerInstance(): Promise<void> {
    this.options.log.error(
      { processor: this.processor, groupInstanceId: this.groupInstanceId },
      'another process joined the group with this KAFKA_INSTANCE_ID; this one stops processing',
    );
    await this.consumer.disconnect().catch(() => undefined);
    await Promise.all([...this.tasks.keys()].map((p) => this.closeTask(p)));
    this.assignment = undefined;
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

  /**
   * True when every assigned partition has a task, has been read up to its last stable offset and
   * holds no work that is not committed. The broker is asked first, and everything in memory is
   * checked after it at once, so no batch or commit can slip in between the checks.
   */
  private async caughtUp(admin: Admin): Promise<boolean> {
    const ends: { topic: string; partition: number; end: number; committed: number }[] = [];
    for (const topic of this.inputs.map((t) => this.names.physical(t))) {
      const committed = await committedOffsets(admin, this.group, topic);
      for (const { partition, offset } of await topicOffsets(admin, topic)) {
        const fallback = committed.find((p) => p.partition === partition)?.offset ?? -1;
        ends.push({ topic, partition, end: Number(offset), committed: fallback });
      }
    }
    if (!this.assignment || this.commitsInFlight > 0) return false;
    for (const partition of this.assignment) {
      const task = this.tasks.get(partition);
      // A task still being created, or holding uncommitted work, is not idle.
      const kt = task && this.ready.get(task);
      if (!kt || kt.task.pendingWork() !== null) return false;
    }
    return ends.every(
      ({ topic, partition, end, committed }) =>
        !this.tasks.has(partition) ||
        end === 0 ||
        (this.positions.get(`${topic}:${partition}`) ?? committed) >= end,
    );
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.timerLoop);
    clearTimeout(this.hangingCheck);
    // The commit under way finishes while the member is still in the group, which it must be for
    // its offsets to be accepted.
    await this.commits;
    await this.consumer.disconnect();
    await Promise.all([...this.tasks.keys()].map((p) => this.closeTask(p, { checkpoint: true })));
    await this.commits;
    await this.dropProducer();
    await Promise.all(this.checkpointWrites);
  }

  /**
   * After a join: creates tasks for newly assigned partitions, closes revoked ones, and rebuilds
   * kept ones that hold uncommitted work.
   */
  private reconcile(assigned: Set<number>): void {
    this.assignment = assigned;
    for (const [partition, pending] of this.tasks) {
      if (!assigned.has(partition)) void this.closeTask(partition, { checkpoint: true });
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
      this.rebuildTasks([kt]);
    });
  }

  /**
   * Drops tasks whose state may hold changes that never committed and, for partitions still
   * assigned here, builds them again from the changelog (in one restore: one read of each topic
   * for all of them) and reads their input again from the committed offsets.
   */
  private rebuildTasks(tasks: readonly KafkaTask[]): void {
    const again: number[] = [];
    for (const kt of tasks) {
      kt.discarded = true;
      const { partition } = kt.task;
      const current = this.tasks.get(partition);
      if (current && this.ready.get(current) === kt) void this.closeTask(partition);
      this.rewind(kt);
      if (this.assignment?.has(partition) && !this.tasks.has(partition)) again.push(partition);
    }
    this.startTasks(again);
  }

  private startTasks(fresh: number[]): void {
    // A commit that fails while the run stops (it left the group, so the broker no longer knows
    // its member id) must not start tasks again: they would outlive the run.
    if (fresh.length === 0 || !this.running) return;
    const creation = this.createTasksUntilDone(fresh);
    for (const partition of fresh) {
      const task = creation.then((tasks) => tasks.get(partition)!);
      task.then(
        (kt) => this.ready.set(task, kt),
        () => {
          if (this.tasks.get(partition) === task) this.tasks.delete(partition);
        },
      );
      this.tasks.set(partition, task);
    }
  }

  /**
   * Task creation talks to the broker several times (producer claim, offsets, changelog); a broker
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

  /**
   * Restores tasks from the committed offsets and the changelog. The run's producer is claimed
   * first: that ends any transaction this process left open (a commit cut off by a broker
   * restart), whose offsets the stable read below would otherwise wait for.
   */
  private async createTasks(partitions: number[]): Promise<Map<number, KafkaTask>> {
    const started = performance.now();
    // How long each step took, for the log line that ends the restore: a slow restore is what gets
    // a member expelled or holds its partitions back.
    const stepMs: Record<string, number> = {};
    let stepStarted = started;
    const stepDone = (step: string) => {
      const now = performance.now();
      stepMs[step] = Math.round(now - stepStarted);
      stepStarted = now;
    };
    await this.claimedProducer();
    stepDone('claim');
    const log = this.options.log.child({ processor: this.processor });
    const admin = await this.transport.admin();
    const starts = new Map<number, Map<string, number>>(partitions.map((p) => [p, new Map()]));
    /** Per partition, how far its changelog must be stable to hold the state its offsets go with. */
    const changelogEnds = new Map<number, number>();
    for (const topic of this.inputs) {
      for (const { partition, offset, metadata } of await this.stableOffsets(admin, topic)) {
        if (!starts.has(partition)) continue;
        starts.get(partition)!.set(topic, offset);
        const end = changelogEndOf(metadata);
        if (end !== undefined) changelogEnds.set(partition, Math.max(end, changelogEnds.get(partition) ?? 0));
      }
    }
    stepDone('offsets');
    const changelog = changelogTopic(this.options.appId, this.processor);
    if (this.stateful) await this.changelogStable(admin, changelog, changelogEnds);
    stepDone('stable');
    const newTask = (partition: number) =>
      new Task({
        appId: this.options.appId,
        processor: this.processorDef,
        partition,
        codec: this.options.codec,
        log: log.child({ partition }),
        clock: this.options.clock,
        retry: this.options.retry,
        globals: this.options.globals,
      });
    const built = new Map<number, { task: Task; checkpoint?: CheckpointHeader }>();
    for (const partition of partitions)
      built.set(partition, await this.fromCheckpoint(partition, newTask, starts.get(partition)!));
    stepDone('checkpoints');
    const from = new Map<number, number>();
    for (const [partition, { checkpoint }] of built)
      if (checkpoint) from.set(partition, checkpoint.changelogOffset);
    const restored = this.stateful ? await this.transport.read(changelog, { partitions, from }) : [];
    const tables = new Map<string, RawRecord[]>();
    for (const topic of Object.values(this.processorDef.tables ?? {})) {
      const sourceFrom = new Map<number, number>();
      for (const [partition, { checkpoint }] of built)
        sourceFrom.set(partition, checkpoint?.sources[topic] ?? 0);
      tables.set(topic, await this.transport.read(topic, { partitions, from: sourceFrom }));
    }
    stepDone('read');
    const entries: Record<number, number> = {};
    const tasks = new Map<number, KafkaTask>();
    for (const [partition, { task, checkpoint }] of built) {
      const records = restored.filter((r) => r.partition === partition);
      const applied = await task.restoreInSlices(records);
      let mirrored = 0;
      for (const [topic, source] of tables) {
        // Up to the committed offset: the records the task had put into the table.
        const committed = starts.get(partition)!.get(topic) ?? -1;
        mirrored += await task.restoreTable(
          topic,
          source.filter((r) => r.partition === partition && r.offset < committed),
        );
      }
      engineMetrics.restoredEntries.inc({ processor: this.processor }, applied + mirrored);
      entries[partition] = applied + mirrored;
      const changelogOffset = Math.max(checkpoint?.changelogOffset ?? 0, (records.at(-1)?.offset ?? -1) + 1);
      tasks.set(partition, {
        task,
        startOffsets: starts.get(partition)!,
        nextOffsets: new Map(starts.get(partition)!),
        lock: Promise.resolve(),
        closed: false,
        discarded: false,
        caughtUp: true,
        changelogOffset,
        checkpointed: checkpoint && checkpointAt(checkpoint),
        checkpointing: false,
      });
    }
    stepDone('apply');
    engineMetrics.restoreSeconds.observe(
      { processor: this.processor, from: from.size > 0 ? 'checkpoint' : 'changelog' },
      (performance.now() - started) / 1000,
    );
    log.info(
      {
        entries,
        checkpoints: [...from.keys()],
        ms: Math.round(performance.now() - started),
        stepMs,
      },
      'tasks restored',
    );
    return tasks;
  }

  /**
   * Waits until each partition's changelog is stable (read-committed readable) up to the end its
   * last commit recorded with its offsets (commit-metadata.ts): the commit's changelog marker may
   * land after the offsets' one. It lands within moments; a changelog that stays short (recreated
   * while the group's offsets were kept) fails task creation, which is retried and logged, rather
   * than start the task on state older than its input position.
   */
  private async changelogStable(
    admin: Admin,
    changelog: string,
    needed: ReadonlyMap<number, number>,
  ): Promise<void> {
    if (needed.size === 0) return;
    const started = Date.now();
    const deadline = started + CHANGELOG_STABLE_WAIT_MS;
    for (let polls = 0; ; polls++) {
      const short = (await topicOffsets(admin, this.names.physical(changelog)))
        .filter(({ partition, offset }) => Number(offset) < (needed.get(partition) ?? 0))
        .map(({ partition, offset }) => `${partition} (stable to ${offset}, needs ${needed.get(partition)})`);
      if (short.length === 0) {
        if (polls > 0)
          this.options.log.info(
            { processor: this.processor, waitedMs: Date.now() - started },
            'restore waited for the last commit to become readable on the changelog',
          );
        return;
      }
      if (Date.now() > deadline)
        throw new Error(
          `${changelog} is not stable as far as the committed offsets of ${this.group} need, on partitions ${short.join(', ')}`,
        );
      await sleep(20);
    }
  }

  /**
   * A new task for the partition, with its checkpoint's state loaded when there is a usable one.
   * A checkpoint is usable when its changelog offset lies within the changelog (not before its
   * start, nor past its end after a topic was recreated) and each table's source offset is at
   * most the committed one (a replay may have moved that back; a table cannot go back).
   */
  private async fromCheckpoint(
    partition: number,
    newTask: (partition: number) => Task,
    committed: ReadonlyMap<string, number>,
  ): Promise<{ task: Task; checkpoint?: CheckpointHeader }> {
    const task = newTask(partition);
    const changelog = changelogTopic(this.options.appId, this.processor);
    if (!this.checkpoints) return { task };
    const admin = await this.transport.admin();
    const bounds = (await topicOffsets(admin, this.names.physical(changelog))).find(
      (o) => o.partition === partition,
    );
    const tables = Object.values(this.processorDef.tables ?? {});
    try {
      const checkpoint = await this.checkpoints.load(
        partition,
        ({ changelogOffset, sources }) =>
          bounds !== undefined &&
          Number(bounds.low) <= changelogOffset &&
          changelogOffset <= Number(bounds.high) &&
          tables.every((topic) => (sources[topic] ?? Infinity) <= Math.max(0, committed.get(topic) ?? -1)),
        (store, key, value) => task.loadEntry(store, key, value),
      );
      return { task, checkpoint };
    } catch (error) {
      this.options.log.warn(
        { err: error, processor: this.processor, partition },
        'checkpoint unreadable; restoring from the changelog',
      );
      return { task: newTask(partition) };
    }
  }

  /**
   * The group's committed offsets for an input topic, once no transaction holds them. Offsets held
   * past the transaction timeout are held by a transaction the broker no longer knows: a
   * TxnOffsetCommit written while the broker shut down mid-commit, its transaction then forgotten,
   * so no marker ever ends it (seen on Kafka 4.4 in the outage crash test; `kafka-transactions
   * find-hanging` lists it). The commit that was cut off was this run's, and the broker keys
   * pending offsets by producer id, which the run's transactional id keeps: an abort from it that
   * touches the group writes the marker that ends them.
   */
  private async stableOffsets(admin: Admin, topic: string) {
    const physical = this.names.physical(topic);
    try {
      return await committedOffsets(admin, this.group, physical, { withinMs: HANGING_TRANSACTION_MS });
    } catch (error) {
      if (!(error instanceof UnstableOffsetsError)) throw error;
      this.options.log.warn(
        { processor: this.processor, topic: physical, transactionalId: this.transactionalId },
        "a transaction holds the group's offsets past its timeout; aborting this run's, which ends one it left hanging " +
          '(if this repeats, another transactional id holds them: see docs/operations.md)',
      );
      await this.abortWithGroupOffsets();
      engineMetrics.hangingTransactionsAborted.inc({ processor: this.processor });
      return committedOffsets(admin, this.group, physical, { withinMs: HANGING_TRANSACTION_MS });
    }
  }

  /**
   * Aborts a transaction that adds the group's offsets and sends none: the abort marker lands on
   * the group's offsets partition and ends whatever the run's producer id left pending there. It
   * queues behind the commits, as they share the producer. A producer the broker restart left
   * fenced or broken fails it once; a fresh claim then does it.
   */
  private abortWithGroupOffsets(): Promise<void> {
    const abort = this.commits.then(async () => {
      for (let attempt = 1; ; attempt++) {
        if (!this.running) return;
        const producer = await this.claimedProducer();
        const transaction = await producer.transaction();
        try {
          await retryConcurrentTransactions(() =>
            transaction.sendOffsets({ consumerGroupId: this.group, topics: [], ...this.member }),
          );
          await transaction.abort();
          return;
        } catch (error) {
          await transaction.abort().catch(() => undefined);
          await this.dropProducer();
          if (attempt >= 2) throw error;
        }
      }
    });
    this.commits = abort.catch(() => undefined);
    return abort;
  }

  /** The run's transactional producer, created and claimed on first use. */
  private claimedProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.transport.kafka.producer({
        transactionalId: this.transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        transactionTimeout: TRANSACTION_TIMEOUT_MS,
      });
      try {
        await producer.connect();
        await claim(producer);
        return producer;
      } catch (error) {
        await producer.disconnect().catch(() => undefined);
        throw error;
      }
    })();
    const pending = this.producer;
    pending.catch(() => {
      if (this.producer === pending) this.producer = undefined;
    });
    return pending;
  }

  private async dropProducer(): Promise<void> {
    const pending = this.producer;
    this.producer = undefined;
    const producer = await pending?.catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }

  /**
   * Ends a task once it has finished what it is doing. With `checkpoint` (the partition revoked,
   * the run stopping), a task whose state is all committed writes it to a checkpoint first, so
   * whoever restores the partition next on this machine reads only the changelog after it.
   */
  private async closeTask(partition: number, options: { checkpoint?: boolean } = {}): Promise<void> {
    const pending = this.tasks.get(partition);
    this.tasks.delete(partition);
    this.fetched.delete(partition);
    const kt = await pending?.catch(() => undefined);
    if (!kt || kt.closed) return;
    kt.closed = true;
    await kt.lock.catch(() => undefined);
    if (options.checkpoint) this.checkpoint(kt);
  }

  /**
   * Writes the task's state to its checkpoint when the state is exactly what its last commit made
   * durable and has changed since the last checkpoint. Called under the task's lock or after the
   * task closed: a commit holds the lock from taking the work until it is durable, and a failed
   * one marks the task discarded before it lets go. The write itself runs after the lock is
   * released, from a copy-on-write snapshot of the stores.
   */
  private checkpoint(kt: KafkaTask): void {
    const { checkpoints } = this;
    if (!checkpoints || kt.discarded || kt.checkpointing || kt.task.pendingWork() !== null) return;
    // With no work pending, each table holds exactly its topic's records before the committed offset.
    const offsets = {
      changelogOffset: kt.changelogOffset,
      sources: Object.fromEntries(
        kt.task.tableTopics().map((topic) => [topic, Math.max(0, kt.startOffsets.get(topic) ?? -1)]),
      ),
    };
    const at = checkpointAt(offsets);
    if (at === kt.checkpointed) return;
    const stores = kt.task.storeSnapshots();
    kt.checkpointing = true;
    const started = performance.now();
    const write = checkpoints
      .save(kt.task.partition, offsets, stores)
      .then(
        () => {
          kt.checkpointed = at;
          engineMetrics.checkpointSeconds.observe(
            { processor: this.processor },
            (performance.now() - started) / 1000,
          );
        },
        (error: unknown) =>
          this.options.log.warn(
            { err: error, processor: this.processor, partition: kt.task.partition },
            'checkpoint failed; a restart restores from the changelog',
          ),
      )
      .finally(() => {
        kt.checkpointing = false;
        this.checkpointWrites.delete(write);
      });
    this.checkpointWrites.add(write);
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
    await this.heartbeating(heartbeat, async () => {
      const processed = await this.withTask(kt, async () => {
        if (kt.closed || !isRunning() || isStale()) {
          // Fetched before a rewind (a task rebuilt after a failed flush or commit) or for a task
          // that is gone: the consumer reads them again from the rewound or committed offsets.
          // Taking them would move the task's position past them, and it would then skip them.
          this.fetched.delete(batch.partition);
          return false;
        }
        const records = this.takeFetched(kt);
        await kt.task.processBatch(records);
        kt.caughtUp = batch.offsetLag() === '0';
        resolveOffset(batch.lastOffset());
        this.positions.set(`${batch.topic}:${batch.partition}`, Number(batch.lastOffset()) + 1);
        return true;
      });
      // Until the commit policy says so, later batches join the same transaction; `tick` commits
      // work that stops receiving batches. Waiting for the commit here holds this partition's
      // next fetch, which bounds the work a task holds uncommitted.
      if (processed && this.commitDue()) await this.commit();
    });
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
    for (const pending of this.tasks.values()) {
      const kt = this.ready.get(pending);
      if (!kt || kt.closed) continue;
      await this.withTask(kt, async () => {
        if (!kt.closed) await kt.task.fireDueTimers();
      });
    }
    // A failed commit has rebuilt its tasks already: on an idle partition no batch would come to
    // trigger a rejoin, and the partition would have no task, nor fire its timers, until input did.
    if (this.commitDue()) await this.commit().catch(() => undefined);
    if (this.checkpointIntervalMs > 0 && Date.now() - this.lastCheckpointRound >= this.checkpointIntervalMs) {
      this.lastCheckpointRound = Date.now();
      for (const pending of this.tasks.values()) {
        const kt = this.ready.get(pending);
        if (kt && !kt.closed) await this.withTask(kt, async () => !kt.closed && this.checkpoint(kt));
      }
    }
  }

  /** Ready tasks holding work not yet committed. */
  private tasksWithWork(): KafkaTask[] {
    const tasks: KafkaTask[] = [];
    for (const pending of this.tasks.values()) {
      const kt = this.ready.get(pending);
      if (kt && !kt.closed && kt.task.pendingWork() !== null) tasks.push(kt);
    }
    return tasks;
  }

  /** Whether some task's work is due by the commit policy; the commit then takes every task's. */
  private commitDue(): boolean {
    return this.tasksWithWork().some(
      (kt) => commitDueIn(kt.task.pendingWork()!, kt.caughtUp, this.options.commit ?? {}) === 0,
    );
  }

  /** Commits the work of every task that has some, after the commit under way if there is one. */
  private commit(): Promise<void> {
    this.commitsInFlight++;
    const next = this.commits.then(() => this.commitTasks()).finally(() => this.commitsInFlight--);
    this.commits = next.catch(() => undefined);
    return next;
  }

  /**
   * Outputs, changelog and input offsets of every task with work in one Kafka transaction, offsets
   * alone (a sink, or records that changed nothing) included. The tasks' locks are held from taking
   * their work to marking it committed, so no record is processed in between. Each task's offsets
   * are sent even when unchanged (a commit of timers only): a transaction holding offsets for a
   * partition makes its next owner wait for it before restoring, which is what keeps that owner
   * from missing the changelog records of a commit still under way.
   */
  private async commitTasks(): Promise<void> {
    const candidates = this.tasksWithWork();
    if (candidates.length === 0) return;
    const release = await this.holdTasks(candidates);
    // The generation the work belongs to. A rebalance while the commit is under way (a slow sink
    // flush) may take these tasks elsewhere; the broker then refuses the offsets, as it must.
    const member = this.member;
    const held = candidates.filter((kt) => !kt.closed && kt.task.pendingWork() !== null);
    const started = performance.now();
    let transaction: Transaction | undefined;
    let tasks: KafkaTask[] = [];
    try {
      tasks = await this.flushed(held);
      if (tasks.length === 0) return;
      const commits = tasks.map((kt) => kt.task.takeCommit());
      const producer = await this.claimedProducer();
      transaction = await producer.transaction();
      const changelogEnds = new Map<number, number>();
      for (const chunk of chunkBySize(commits.flatMap((c) => c.records))) {
        const written = await transaction.sendBatch({
          topicMessages: toTopicMessages(chunk, this.names),
          acks: -1,
        });
        this.noteChangelogEnds(chunk, written, changelogEnds);
      }
      const offsets = tasks.flatMap((kt, i) =>
        this.offsetsToCommit(kt, commits[i]!, changelogEnds.get(kt.task.partition) ?? kt.changelogOffset),
      );
      if (offsets.length > 0) {
        await retryConcurrentTransactions(() =>
          transaction!.sendOffsets({
            consumerGroupId: this.group,
            topics: groupOffsets(offsets, this.names),
            ...member,
          }),
        );
      }
      await transaction.commit();
      const seconds = (performance.now() - started) / 1000;
      tasks.forEach((kt, i) => {
        kt.task.committed();
        kt.changelogOffset = changelogEnds.get(kt.task.partition) ?? kt.changelogOffset;
        for (const o of commits[i]!.offsets) kt.startOffsets.set(o.topic, o.offset);
        observeStep(this.processor, commits[i]!, seconds);
      });
    } catch (error) {
      engineMetrics.commitFailures.inc({ processor: this.processor });
      await transaction?.abort().catch(() => undefined);
      // A fenced or broken producer cannot commit again; a new one is claimed for the next commit,
      // which also ends a transaction the abort could not.
      await this.dropProducer();
      // The in-memory state now holds changes that never committed, or another member owns the
      // tasks: either way they are dropped and rebuilt from the changelog.
      const partitions = tasks.map((kt) => kt.task.partition);
      this.options.log.warn(
        { err: error, processor: this.processor, partitions },
        'commit failed; rebuilding',
      );
      this.rebuildTasks(tasks);
      throw new RejoinGroup(
        `${this.processor}: commit failed for partitions ${partitions.join(',')}: ${(error as Error).message}`,
      );
    } finally {
      release();
    }
  }

  /**
   * Per changelog partition, the offset after the last changelog record of a sent chunk: what a
   * checkpoint of the task after this commit reflects. A partition's records of one send form one
   * batch, numbered on from the batch's base offset.
   */
  private noteChangelogEnds(
    chunk: readonly OutgoingRecord[],
    written: readonly RecordMetadata[],
    ends: Map<number, number>,
  ): void {
    const changelog = changelogTopic(this.options.appId, this.processor);
    const counts = new Map<number, number>();
    for (const record of chunk)
      if (record.topic === changelog) counts.set(record.partition, (counts.get(record.partition) ?? 0) + 1);
    const physical = this.names.physical(changelog);
    for (const { topicName, partition, baseOffset } of written) {
      const count = counts.get(partition);
      if (topicName === physical && count !== undefined && baseOffset !== undefined)
        ends.set(partition, Number(baseOffset) + count);
    }
  }

  /**
   * Flushes each task's sinks and returns the tasks that flushed. A task whose flush failed (its
   * database is down) is rebuilt on its own and left out of the commit: failing the whole commit
   * would rebuild every task of the member and make all of them read their input again because
   * one partition's write failed.
   */
  private async flushed(tasks: readonly KafkaTask[]): Promise<KafkaTask[]> {
    const results = await Promise.allSettled(tasks.map((kt) => kt.task.flush()));
    const flushed: KafkaTask[] = [];
    const failed: KafkaTask[] = [];
    results.forEach((result, i) => {
      const kt = tasks[i]!;
      if (result.status === 'fulfilled') {
        flushed.push(kt);
        return;
      }
      engineMetrics.commitFailures.inc({ processor: this.processor });
      this.options.log.warn(
        { err: result.reason, processor: this.processor, partition: kt.task.partition },
        'flush failed; rebuilding the task',
      );
      failed.push(kt);
    });
    this.rebuildTasks(failed);
    return flushed;
  }

  /**
   * The task's offsets to commit: those it processed up to, and its last committed ones for the
   * rest, each with the changelog end its state reaches after this commit (a processor with state).
   */
  private offsetsToCommit(kt: KafkaTask, commit: Commit, changelogEnd: number): OffsetToCommit[] {
    const offsets = [...commit.offsets];
    for (const [topic, offset] of kt.startOffsets) {
      if (offset >= 0 && !offsets.some((o) => o.topic === topic))
        offsets.push({ topic, partition: kt.task.partition, offset });
    }
    const metadata = this.stateful ? encodeCommitMetadata({ changelogEnd }) : null;
    return offsets.map((o) => ({ ...o, metadata }));
  }

  /** Takes the locks of the given tasks, once each has finished what it is doing; resolves to their release. */
  private async holdTasks(tasks: readonly KafkaTask[]): Promise<() => void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await Promise.all(
      tasks.map(
        (kt) =>
          new Promise<void>((held) => {
            void this.withTask(kt, () => {
              held();
              return released;
            });
          }),
      ),
    );
    return release;
  }
}

/** A kafkajs error's broker error type, looked for through its causes (retries wrap it). */
function errorType(error: unknown): string | undefined {
  for (let e = error as { type?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.type) return e.type;
  }
  return undefined;
}

/** What a checkpoint reflects, to tell whether the state changed since the last one. */
function checkpointAt({ changelogOffset, sources }: Pick<CheckpointHeader, 'changelogOffset' | 'sources'>) {
  return JSON.stringify([changelogOffset, sources]);
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

type OffsetToCommit = Commit['offsets'][number] & { metadata: string | null };

function groupOffsets(offsets: readonly OffsetToCommit[], names: TopicNames) {
  const byTopic = new Map<string, { partition: number; offset: string; metadata: string | null }[]>();
  for (const o of offsets) {
    const list = byTopic.get(o.topic) ?? [];
    list.push({ partition: o.partition, offset: String(o.offset), metadata: o.metadata });
    byTopic.set(o.topic, list);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic: names.physical(topic), partitions }));
}

/**
 * Claims the producer's transactional.id: the transactional InitProducerId bumps the epoch, aborts
 * the transaction an earlier holder of the id left open and waits (CONCURRENT_TRANSACTIONS,
 * retried by kafkajs) for one it was already committing. kafkajs's `connect()` does not do this (it
 * asks for a plain idempotent producer id and leaves the transactional one to the first
 * `transaction()`). An empty transaction claims the id; aborting it sends nothing, since nothing
 * was added to it.
 */
async function claim(producer: Producer): Promise<void> {
  const transaction = await producer.transaction();
  await transaction.abort();
}
