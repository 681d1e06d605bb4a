import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { SchemaEntry, SchemaLog } from '../../registry';
import type { TopicSpec } from '../../topic-spec';
import { changelogTopic } from '../../topic-spec';
import { type Processor, taskInputs } from '../../processor';
import { HEADER, type OutgoingRecord, type RawRecord } from '../../records';
import { engineMetrics, observeStep } from '../../metrics';
import { Backoff } from '../../retry';
import { type Commit, commitDueIn, Task } from '../../task';
import type {
  Follower,
  FollowOptions,
  ProcessorRun,
  ReadOptions,
  RunOptions,
  TopicChange,
  TopicInfo,
  Transport,
} from '../../transport';
import { groupId } from '../../transport';
import { BUSY_BACKOFF, EmbeddedLog, FencedError, isBusy, retryWhileBusy } from './log';

export interface EmbeddedOptions {
  /** SQLite file of the log; `:memory:` for a throwaway log. */
  file: string;
  /** A member whose heartbeat is older than this is considered gone and loses its tasks. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** How long an idle member sleeps before looking for new records written by other processes. */
  pollIntervalMs?: number;
  /** How often retention and compaction run. */
  retentionIntervalMs?: number;
  /** Where a failed retention pass is reported (it is retried on the next interval). */
  log?: Logger;
}

const SCHEMAS_TOPIC = '_leadflow.schemas';

export const embeddedLogFile = (dataDir: string) => path.join(dataDir, 'log.sqlite');

/** The default transport: Kafka's semantics in one SQLite file, no services needed. */
export class EmbeddedTransport implements Transport {
  readonly kind = 'embedded' as const;
  readonly topicPrefix = '';
  readonly log: EmbeddedLog;
  private readonly runs = new Set<EmbeddedProcessorRun>();
  /** Followers still following: closing the transport stops them, as it stops the runs. */
  private readonly followers = new Set<Follower>();
  private readonly retentionTimer: NodeJS.Timeout;
  private retentionPass: Promise<void> | undefined;
  private readonly closing = new AbortController();
  private readonly retentionHolder = randomUUID();

  constructor(readonly options: EmbeddedOptions) {
    this.log = new EmbeddedLog(options.file);
    this.retentionTimer = setInterval(() => this.startRetention(), this.retentionIntervalMs);
    this.retentionTimer.unref();
  }

  /**
   * One retention pass at a time, and only in the process holding the retention lease: passes
   * in several processes would compete for the write lock and do the same work.
   */
  private startRetention(): void {
    if (this.retentionPass) return;
    const now = Date.now();
    // A holder that has stopped gives way after a few missed passes.
    const leaseMs = 3 * this.retentionIntervalMs;
    this.retentionPass = (async () => {
      if (!this.log.takeLease('retention', this.retentionHolder, now, leaseMs)) return;
      await this.log.enforceRetention(now, this.closing.signal);
    })()
      .catch((error: unknown) => {
        // A busy log ends the pass early; the next pass goes on where this one stopped. Any
        // other failure is reported and retried too: housekeeping must not stop the process.
        if (isBusy(error)) return;
        if (this.options.log) this.options.log.error({ err: error }, 'retention pass failed');
        else process.emitWarning(`leadflow: retention pass failed: ${String(error)}`);
      })
      .finally(() => (this.retentionPass = undefined));
  }

  private get retentionIntervalMs(): number {
    return this.options.retentionIntervalMs ?? 60_000;
  }

  async applyTopics(specs: readonly TopicSpec[]): Promise<TopicChange[]> {
    const changes: TopicChange[] = [];
    for (const spec of specs) changes.push(await retryWhileBusy(() => this.log.applyTopic(spec)));
    return changes;
  }

  async describeTopics(names?: readonly string[]): Promise<TopicInfo[]> {
    return this.log.describe(names);
  }

  async produce(records: readonly OutgoingRecord[]): Promise<void> {
    await retryWhileBusy(() => this.log.append(records));
  }

  async read(topic: string, options: ReadOptions = {}): Promise<RawRecord[]> {
    const partitions = options.partitions ?? range(this.log.describe([topic])[0]!.partitions);
    const out: RawRecord[] = [];
    for (const partition of partitions) {
      const end = this.log.endOffset(topic, partition);
      for (let position = options.from?.get(partition) ?? 0; position < end;) {
        const page = this.log.fetch(topic, partition, position, 5000).filter((r) => r.offset < end);
        if (page.length === 0) break;
        out.push(...page);
        position = page[page.length - 1]!.offset + 1;
      }
    }
    return out;
  }

  async offsetsForTimestamp(topic: string, ts: number): Promise<number[]> {
    const [info] = this.log.describe([topic]);
    return Array.from({ length: info!.partitions }, (_, p) => this.log.offsetForTimestamp(topic, p, ts));
  }

  follow(
    topic: string,
    onRecords: (records: RawRecord[]) => void | Promise<void>,
    options: FollowOptions = {},
  ): Follower {
    const { log } = this;
    const partitions = log.describe([topic])[0]!.partitions;
    const ends = Array.from({ length: partitions }, (_, p) => log.endOffset(topic, p));
    const positions = options.from === 'end' ? [...ends] : new Array<number>(partitions).fill(0);
    let running = true;
    const sleeper = new WakeableSleep();
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const onAppend = (topics: Set<string>) => {
      if (topics.has(topic)) sleeper.wake();
    };
    log.events.on('append', onAppend);
    /** Delivers what each partition has past its position; true if there was anything. */
    const readPartitions = async () => {
      let got = false;
      for (let p = 0; p < partitions; p++) {
        const { records, end } = log.fetchWithEnd(topic, p, positions[p]!, 1000);
        if (records.length === 0) {
          // Nothing at or after our position: compaction may have removed the tail.
          positions[p] = Math.max(positions[p]!, end);
          continue;
        }
        await onRecords(records);
        positions[p] = records[records.length - 1]!.offset + 1;
        got = true;
      }
      return got;
    };
    const backoff = new Backoff(BUSY_BACKOFF);
    const loop = (async () => {
      while (running) {
        let got: boolean;
        try {
          got = await readPartitions();
          backoff.reset();
        } catch (error) {
          if (!isBusy(error)) throw error;
          await sleeper.sleep(backoff.next());
          continue;
        }
        if (positions.every((position, p) => position >= ends[p]!)) markReady();
        if (!got) await sleeper.sleep(this.options.pollIntervalMs ?? 25);
      }
    })().finally(() => log.events.off('append', onAppend));
    const follower: Follower = {
      ready,
      stop: async () => {
        running = false;
        sleeper.wake();
        await loop;
        this.followers.delete(follower);
      },
    };
    this.followers.add(follower);
    return follower;
  }

  async committedOffsets(group: string, topic: string): Promise<number[]> {
    const [info] = this.log.describe([topic]);
    return Array.from({ length: info!.partitions }, (_, p) => this.log.committed(group, topic, p) ?? -1);
  }

  async setCommittedOffsets(group: string, topic: string, offsets: { partition: number; offset: number }[]) {
    if (this.log.hasLiveMembers(group, Date.now(), this.sessionTimeoutMs)) {
      throw new Error(`consumer group ${group} has live members; stop them before moving its offsets`);
    }
    await retryWhileBusy(() =>
      this.log.db.transaction(() =>
        this.log.commitOffsetsInTransaction(
          group,
          offsets.map((o) => ({ topic, ...o })),
        ),
      )(),
    );
  }

  schemaLog(): SchemaLog {
    this.log.applyTopic({
      name: SCHEMAS_TOPIC,
      partitions: 1,
      cleanup: 'compact',
      retentionMs: null,
      format: 'raw',
      keySchema: 'string',
      valueSchema: 'bytes',
      doc: 'Built-in schema registry',
    });
    return {
      readAll: async () => {
        const entries: SchemaEntry[] = [];
        for (const record of await this.read(SCHEMAS_TOPIC)) {
          if (record.value) entries.push(JSON.parse(record.value.toString('utf8')) as SchemaEntry);
        }
        return entries;
      },
      append: async (entry) => {
        await this.produce([
          {
            topic: SCHEMAS_TOPIC,
            partition: 0,
            key: Buffer.from(`${entry.subject}/${entry.version}`),
            value: Buffer.from(JSON.stringify(entry)),
            headers: {},
            timestamp: Date.now(),
          },
        ]);
      },
    };
  }

  async run(processor: Processor<never>, options: RunOptions): Promise<ProcessorRun> {
    const run = new EmbeddedProcessorRun(this, processor, options);
    this.runs.add(run);
    run.start(() => this.runs.delete(run));
    return run;
  }

  async close(): Promise<void> {
    await Promise.all([...this.runs].map((run) => run.stop()));
    await Promise.all([...this.followers].map((follower) => follower.stop()));
    clearInterval(this.retentionTimer);
    this.closing.abort();
    await this.retentionPass;
    this.log.close();
  }

  get sessionTimeoutMs(): number {
    return this.options.sessionTimeoutMs ?? 10_000;
  }
}

interface OwnedTask {
  task: Task;
  epoch: number;
  /** Next offset to read per input topic. */
  positions: Map<string, number>;
  /** A commit the log was too busy to take: retried before the task reads anything more. */
  unwritten?: Commit;
  /** The task's tables being rebuilt from their topics (decoding is asynchronous); awaited before its first step. */
  tablesRestored?: Promise<void>;
}

/** One member of a processor's consumer group on the embedded log. */
class EmbeddedProcessorRun implements ProcessorRun {
  private readonly group: string;
  private readonly member: string;
  private readonly tasks = new Map<number, OwnedTask>();
  private running = true;
  /** Loop iterations started, and the last one that found nothing to do. */
  private iteration = 0;
  private idleIteration = -1;
  private lastHeartbeat = 0;
  private loop: Promise<void> | undefined;
  private readonly sleeper = new WakeableSleep();
  /** The processor's inputs and its retry topic, if any. */
  private readonly inputs: string[];
  private readonly onAppend = (topics: Set<string>) => {
    for (const topic of topics) {
      if (this.inputs.includes(topic)) {
        this.sleeper.wake();
        return;
      }
    }
  };

  constructor(
    private readonly transport: EmbeddedTransport,
    readonly processorDef: Processor<never>,
    private readonly options: RunOptions,
  ) {
    this.group = groupId(options.appId, processorDef.name);
    this.inputs = taskInputs(processorDef, options.appId);
    this.member = options.instanceId ?? `${processorDef.name}-${randomUUID()}`;
  }

  get processor(): string {
    return this.processorDef.name;
  }

  assignedPartitions(): number[] {
    return [...this.tasks.keys()].sort((a, b) => a - b);
  }

  start(onExit: () => void): void {
    this.transport.log.events.on('append', this.onAppend);
    this.loop = this.runLoop()
      .catch((error) =>
        this.options.log.fatal({ err: error, processor: this.processor }, 'processor loop failed'),
      )
      .finally(() => {
        this.transport.log.events.off('append', this.onAppend);
        onExit();
      });
  }

  async waitIdle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Only an iteration that started after this call can vouch that nothing is left to read.
    const since = this.iteration;
    while (this.idleIteration <= since || this.tasks.size === 0) {
      if (Date.now() > deadline)
        throw new Error(`${this.processor} did not become idle within ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.sleeper.wake();
    await this.loop;
  }

  private get clock(): () => number {
    return this.options.clock ?? Date.now;
  }

  private async runLoop(): Promise<void> {
    const backoff = new Backoff(BUSY_BACKOFF);
    try {
      while (this.running) {
        try {
          await this.runIteration();
          backoff.reset();
        } catch (error) {
          if (!isBusy(error)) throw error;
          // Another process holds the write lock (retention, a large append): wait for it
          // without blocking the event loop, then go on where this iteration stopped.
          this.options.log.debug({ err: error, processor: this.processor }, 'log busy, backing off');
          await this.sleeper.sleep(backoff.next());
        }
      }
    } finally {
      await this.leaveGroup();
    }
  }

  private async runIteration(): Promise<void> {
    const { log: storage } = this.transport;
    const iteration = ++this.iteration;
    const now = Date.now();
    if (now - this.lastHeartbeat >= (this.transport.options.heartbeatIntervalMs ?? 500)) {
      storage.heartbeat(this.group, this.member, now);
      this.rebalance(now);
      this.lastHeartbeat = now;
    }
    let worked = false;
    let uncommitted = false;
    let sleepMs = this.transport.options.pollIntervalMs ?? 25;
    for (const [partition, owned] of this.tasks) {
      try {
        const result = await this.step(owned);
        worked ||= result.worked;
        if (result.commitDueIn !== null) {
          uncommitted = true;
          sleepMs = Math.min(sleepMs, result.commitDueIn);
        }
      } catch (error) {
        // A busy log took nothing from the task (see step): it is kept, to go on after a pause.
        if (isBusy(error)) throw error;
        // Fenced, or the log refused the commit: the in-memory state may hold changes that
        // never committed, so the task is dropped and rebuilt from the changelog.
        this.options.log.warn({ err: error, processor: this.processor, partition }, 'task dropped');
        this.tasks.delete(partition);
        if (!(error instanceof FencedError)) storage.release(this.group, partition, this.member);
      }
    }
    if (!worked) {
      // Idle means caught up with everything committed: uncommitted work is not done yet.
      if (!uncommitted) this.idleIteration = iteration;
      await this.sleeper.sleep(sleepMs);
    }
  }

  /**
   * Gives the tasks back and leaves the group, waiting out a busy log for up to a session
   * timeout: by then the other members count this one as gone anyway.
   */
  private async leaveGroup(): Promise<void> {
    const { log: storage } = this.transport;
    await retryWhileBusy(
      () =>
        storage.db
          .transaction(() => {
            for (const partition of this.tasks.keys()) storage.release(this.group, partition, this.member);
            storage.leave(this.group, this.member);
          })
          .immediate(),
      this.transport.sessionTimeoutMs,
    );
    this.tasks.clear();
  }

  /** Keeps the tasks this member should own (partition p goes to live member p mod n). */
  private rebalance(now: number): void {
    const { log: storage } = this.transport;
    const live = storage.liveMembers(this.group, now, this.transport.sessionTimeoutMs);
    const partitions = storage.describe([this.processorDef.inputs[0]!])[0]!.partitions;
    const mine = new Set<number>();
    for (let p = 0; p < partitions; p++) if (live[p % live.length] === this.member) mine.add(p);
    for (const partition of this.tasks.keys()) {
      if (!mine.has(partition)) {
        storage.release(this.group, partition, this.member);
        this.tasks.delete(partition);
      }
    }
    const liveSet = new Set(live);
    for (const partition of mine) {
      if (this.tasks.has(partition)) continue;
      const epoch = storage.claim(this.group, partition, this.member, liveSet);
      if (epoch !== null) this.tasks.set(partition, this.createTask(partition, epoch));
    }
  }

  private createTask(partition: number, epoch: number): OwnedTask {
    const { log: storage } = this.transport;
    const task = new Task({
      appId: this.options.appId,
      processor: this.processorDef,
      partition,
      codec: this.options.codec,
      log: this.options.log.child({ processor: this.processor, partition }),
      clock: this.options.clock,
      retry: this.options.retry,
      globals: this.options.globals,
    });
    const changelog = changelogTopic(this.options.appId, this.processor);
    let restored = 0;
    if (this.options.codec.catalog.has(changelog)) {
      const end = storage.endOffset(changelog, partition);
      for (let position = 0; position < end;) {
        // Paged, so a large changelog is never held in memory whole.
        const page = storage.fetch(changelog, partition, position, 5000);
        if (page.length === 0) break;
        restored += task.restore(page);
        position = page[page.length - 1]!.offset + 1;
      }
    }
    engineMetrics.restoredEntries.inc({ processor: this.processor }, restored);
    const positions = new Map<string, number>();
    for (const topic of this.inputs)
      positions.set(topic, storage.committed(this.group, topic, partition) ?? 0);
    const tablesRestored = task.tableTopics().length > 0 ? this.restoreTables(task, positions) : undefined;
    // Awaited by the task's first step; until then a failure must not count as unhandled.
    tablesRestored?.catch(() => undefined);
    return { task, epoch, positions, tablesRestored };
  }

  /** Rebuilds each table from its topic, up to the committed offset: the records the task had put into it. */
  private async restoreTables(task: Task, committed: ReadonlyMap<string, number>): Promise<void> {
    const { log: storage } = this.transport;
    let mirrored = 0;
    for (const topic of task.tableTopics()) {
      const end = committed.get(topic) ?? 0;
      for (let position = 0; position < end;) {
        const page = storage.fetch(topic, task.partition, position, 5000).filter((r) => r.offset < end);
        if (page.length === 0) break;
        mirrored += await task.restoreTable(topic, page);
        position = page[page.length - 1]!.offset + 1;
      }
    }
    engineMetrics.restoredEntries.inc({ processor: this.processor }, mirrored);
  }

  /**
   * Reads and processes one batch, fires due timers, and commits when the commit policy says so.
   * Returns whether anything was done, and when uncommitted work will be due.
   */
  private async step(owned: OwnedTask): Promise<{ worked: boolean; commitDueIn: number | null }> {
    const { log: storage } = this.transport;
    const { task } = owned;
    if (owned.tablesRestored) {
      // A failed restore (even a busy log) drops the task, as a failed commit does: it is rebuilt afresh.
      await owned.tablesRestored.catch((error: unknown) => {
        throw new Error(`${this.processor}: restoring tables failed`, { cause: error });
      });
      owned.tablesRestored = undefined;
    }
    if (owned.unwritten) {
      this.commit(owned, owned.unwritten);
      return { worked: true, commitDueIn: null };
    }
    const limit = this.options.maxBatch ?? 500;
    const batch: RawRecord[] = [];
    let caughtUp = true;
    for (const topic of this.inputs) {
      const records = storage.fetch(topic, task.partition, owned.positions.get(topic)!, limit);
      if (records.length === limit) caughtUp = false;
      if (this.options.replay)
        for (const record of records) record.headers = { ...record.headers, [HEADER.replay]: '1' };
      batch.push(...records);
    }
    // Only once every fetch succeeded: a busy fetch leaves the task as it was, to read again.
    for (const record of batch) owned.positions.set(record.topic, record.offset + 1);
    await task.processBatch(batch);
    const fired = await task.fireDueTimers();
    const pending = task.pendingWork();
    let dueIn: number | null = null;
    if (pending) {
      dueIn = commitDueIn(pending, caughtUp, this.options.commit ?? {});
      if (dueIn === 0) {
        await task.flush();
        this.commit(owned);
        dueIn = null;
      }
    }
    return { worked: batch.length > 0 || fired, commitDueIn: dueIn };
  }

  private commit(owned: OwnedTask, commit = owned.task.takeCommit()): void {
    const started = performance.now();
    try {
      this.transport.log.commitStep(
        this.group,
        { partition: owned.task.partition, member: this.member, epoch: owned.epoch },
        commit.records,
        commit.offsets,
      );
    } catch (error) {
      engineMetrics.commitFailures.inc({ processor: this.processor });
      // A busy log wrote none of it, and the task's state is exactly what the commit holds.
      owned.unwritten = isBusy(error) ? commit : undefined;
      throw error;
    }
    owned.unwritten = undefined;
    owned.task.committed();
    observeStep(this.processor, commit, (performance.now() - started) / 1000);
  }
}

/** A sleep that ends early when woken: by new input in this process, or by a stop. */
class WakeableSleep {
  private wakeUp: (() => void) | undefined;

  async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeUp = undefined;
  }

  wake(): void {
    this.wakeUp?.();
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
