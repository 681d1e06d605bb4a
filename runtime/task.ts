import { setImmediate } from 'node:timers/promises';
import type { Logger } from 'pino';
import { changelogTopic, dlqTopic, retryTopic } from './topic-spec';
import type { RecordCodec } from './codec';
import type { KeyValueStore, ReadOnlyTable } from './store';
import type { Processor, ProcessorContext, Timer } from './processor';
import { engineMetrics } from './metrics';
import { PermanentError, RetryableError } from './errors';
import { retry, type RetryPolicy } from './retry';
import { type ConsumedRecord, HEADER, type Headers, type OutgoingRecord, type RawRecord } from './records';
import { TaskStore } from './store';
import type { StoreContents } from './checkpoint';

/** Everything one step of a task wants committed atomically. */
export interface Commit {
  records: OutgoingRecord[];
  /** Next offset to read, per input topic of the task's partition. */
  offsets: { topic: string; partition: number; offset: number }[];
  processed: number;
  deadLettered: number;
  /** Records parked in the retry topic, to be tried again later. */
  parked: number;
}

export interface TaskOptions {
  appId: string;
  processor: Processor<never>;
  partition: number;
  codec: RecordCodec;
  log: Logger;
  clock?: () => number;
  /** How a step failing with a RetryableError is tried again in place. */
  retry?: RetryPolicy;
  /** Global tables by topic, shared by every task of the process. */
  globals?: ReadonlyMap<string, ReadOnlyTable<unknown>>;
}

// Timers are kept in two internal stores so they are rolled back like any state: one by timer key
// (to move or cancel a timer), changelogged, and an index of it ordered by due time (to find what
// is due), which a restore rebuilds instead of reading it from the changelog: logging it too
// would double every timer's changelog records (the assign stage's were a third of all records
// the pipeline wrote per lead).
const TIMERS_BY_KEY = '__timers-by-key';
const TIMERS_DUE = '__timers-due';
// Parked records read back from the retry topic wait here, ordered by due time, until tried again.
const PARKED = '__parked';
const dueKey = (at: number, key: string) => `${String(at).padStart(15, '0')}/${key}`;

/**
 * A dead letter carries the failed record's bytes only up to this size: it is written inside the
 * same commit, and one that outgrew the log's record limit would fail every commit of its task.
 * Larger ones keep the pointer (topic, partition, offset) to the record, which stays in its log.
 */
export const MAX_DEAD_LETTER_PAYLOAD_BYTES = 256 * 1024;
const MAX_DEAD_LETTER_ERROR_CHARS = 4096;

/**
 * How long a task works through a batch, its due timers or a restore before it lets the event loop
 * turn. Processors are synchronous, so without a pause a large batch (a backlog after a restart)
 * holds the process: its consumers miss their heartbeats, are expelled, and the batch's commit
 * fails, to be redone from the same backlog (a loop the full crash test fell into).
 */
const SLICE_MS = 20;

/** Lets the event loop turn (timers, heartbeats, I/O) once `SLICE_MS` of work has run. */
class TimeSlice {
  private started = performance.now();

  async pause(): Promise<void> {
    if (performance.now() - this.started < SLICE_MS) return;
    await setImmediate();
    this.started = performance.now();
  }
}

/** A record processed since the last commit, kept for `flush` with its bytes for dead letters. */
interface FlushPending {
  raw: RawRecord;
  record: ConsumedRecord<never>;
}

/** A parked record as the PARKED store keeps it: the source record, base64 bytes, its round. */
interface ParkedRecord {
  topic: string;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Headers;
  round: number;
}

/** Why a step (a record or a timer) was given up, after how many attempts. */
interface StepFailure {
  error: unknown;
  attempts: number;
}

/**
 * One partition of one processor: its state, its timers, and the logic that turns a batch of
 * input records into a commit (outputs + changelog + offsets). Transports decide how a commit
 * is made atomic; the task never writes to a log itself.
 */
export class Task {
  readonly partition: number;
  private readonly stores = new Map<string, TaskStore>();
  private readonly clock: () => number;
  private readonly retry: RetryPolicy;
  private readonly changelog: string;
  /** Set when the processor parks records (`retryLaterMs`). */
  private readonly retryTopic: string | undefined;
  private readonly outputs: Set<string>;
  /** Input topic -> the store that mirrors it (Processor.tables). */
  private readonly tables: Map<string, TaskStore>;
  /** Table stores as processors see them: read-only. */
  private readonly tableViews = new Map<TaskStore, KeyValueStore<unknown>>();
  /** Outputs that are compacted topics (tables): a commit writes only the last record per key. */
  private readonly tableOutputs: Set<string>;
  private pending: Commit = emptyCommit();
  /**
   * The record cache in front of table outputs, as Kafka Streams' for KTables: per topic,
   * partition and key, where the latest pending record sits in `pending.records`. An earlier one
   * for the same key is superseded: readers of a compacted topic keep only the latest value per
   * key anyway, so writing it would cost produce, fetch and sink work for nothing.
   */
  private readonly latestTableRecord = new Map<string, number>();
  private readonly superseded = new Set<number>();
  private readonly pendingOffsets = new Map<string, number>();
  private pendingSince: number | undefined;
  /** Records since the last commit, kept only for processors with `flush`. */
  private pendingRecords: FlushPending[] = [];

  constructor(private readonly options: TaskOptions) {
    this.partition = options.partition;
    this.clock = options.clock ?? Date.now;
    this.retry = options.retry ?? { attempts: 5, baseDelayMs: 100, maxDelayMs: 2000 };
    this.changelog = changelogTopic(options.appId, options.processor.name);
    const parks = (options.processor.retryLaterMs?.length ?? 0) > 0;
    this.retryTopic = parks ? retryTopic(options.appId, options.processor.name) : undefined;
    this.outputs = new Set(options.processor.outputs);
    const { catalog } = options.codec;
    this.tableOutputs = new Set(
      options.processor.outputs.filter((t) => catalog.has(t) && catalog.get(t).cleanup === 'compact'),
    );
    const internal = parks ? [TIMERS_BY_KEY, TIMERS_DUE, PARKED] : [TIMERS_BY_KEY, TIMERS_DUE];
    for (const name of [...(options.processor.stores ?? []), ...internal]) {
      this.stores.set(name, new TaskStore(name, name !== TIMERS_DUE));
    }
    this.tables = new Map(
      Object.entries(options.processor.tables ?? {}).map(([store, topic]) => [
        topic,
        this.stores.get(store)!,
      ]),
    );
    for (const table of this.tables.values()) this.tableViews.set(table, readOnly(table));
  }

  get processor(): Processor<never> {
    return this.options.processor;
  }

  /** Applies changelog records (oldest first) to rebuild state after assignment. */
  restore(changelog: Iterable<RawRecord>): number {
    let applied = 0;
    for (const record of changelog) if (this.restoreRecord(record)) applied++;
    return applied;
  }

  /**
   * `restore` for a process whose other tasks go on meanwhile: it lets the event loop turn every
   * `SLICE_MS`, as processing does (a changelog read from its start holds an entry per key).
   */
  async restoreInSlices(changelog: Iterable<RawRecord>): Promise<number> {
    let applied = 0;
    const slice = new TimeSlice();
    for (const record of changelog) {
      if (this.restoreRecord(record)) applied++;
      await slice.pause();
    }
    return applied;
  }

  private restoreRecord(record: RawRecord): boolean {
    const composite = record.key?.toString('utf8') ?? '';
    const slash = composite.indexOf('/');
    if (slash < 0) return false;
    const value = record.value === null ? null : JSON.parse(record.value.toString('utf8'));
    return this.restoreEntry(composite.slice(0, slash), composite.slice(slash + 1), value);
  }

  /**
   * Applies one changelog entry; false for a store this version no longer declares, or that is
   * now a table (its source topic is its changelog: entries copied before would be stale).
   */
  restoreEntry(store: string, key: string, value: unknown): boolean {
    const target = this.stores.get(store);
    if (!target || this.tableViews.has(target)) return false;
    return this.applyEntry(target, key, value);
  }

  /** Applies one entry of a checkpoint, which holds tables too; false for a store no longer declared. */
  loadEntry(store: string, key: string, value: unknown): boolean {
    const target = this.stores.get(store);
    return target !== undefined && this.applyEntry(target, key, value);
  }

  /**
   * Puts a restored entry into its store and keeps the due-time index in step with the timers.
   * Index entries themselves (in changelogs and checkpoints written before it was rebuilt) are
   * skipped: the timers they index rebuild them.
   */
  private applyEntry(target: TaskStore, key: string, value: unknown): boolean {
    if (target === this.timersDue) return false;
    if (target === this.timersByKey) {
      const before = this.timersByKey.get(key);
      if (before !== undefined) this.timersDue.restore(dueKey(before, key), null);
      if (value !== null) this.timersDue.restore(dueKey(value as number, key), key);
    }
    target.restore(key, value);
    return true;
  }

  /** The input topics that tables mirror (Processor.tables). */
  tableTopics(): string[] {
    return [...this.tables.keys()];
  }

  /**
   * Rebuilds a table from its source topic's records (oldest first), those before the task's
   * committed offset on it: exactly the records the task had put into the table. Records that
   * do not decode were dead-lettered, not put, and are skipped here too.
   */
  async restoreTable(topic: string, records: Iterable<RawRecord>): Promise<number> {
    let applied = 0;
    for (const raw of records) {
      const record = await this.options.codec.decode<unknown>(raw).catch(() => undefined);
      if (record) {
        this.mirror(topic, record);
        applied++;
      }
    }
    return applied;
  }

  /** Every store's entries as of now, for a checkpoint; later processing does not change them. */
  storeSnapshots(): StoreContents[] {
    return [...this.stores]
      .filter(([, contents]) => contents !== this.timersDue)
      .map(([store, contents]) => ({ store, entries: contents.snapshot() }));
  }

  /**
   * Processes records of this task's partition. Their outputs and offsets join the pending
   * commit; `takeCommit` hands it over. Several batches may share one commit, which is how a busy
   * task amortises transaction cost and writes each changed key to the changelog once.
   *
   * Records of one input keep their offset order; across inputs (a screen's leads and its
   * do-not-contact entries), the record with the lowest timestamp goes first, as Kafka Streams
   * chooses among a task's partitions. Only the records handed over together are merged: a task
   * never waits for an input that has nothing read yet.
   */
  async processBatch(records: readonly RawRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.pendingSince ??= this.clock();
    const inputs = this.retryTopic ? records.filter((r) => r.topic !== this.retryTopic) : records;
    if (inputs.length < records.length) {
      for (const raw of records) if (raw.topic === this.retryTopic) this.parkUntilDue(raw);
    }
    const slice = new TimeSlice();
    for (const raw of inTimestampOrder(inputs, this.processor.inputs)) {
      await this.processOne(raw);
      this.pendingOffsets.set(raw.topic, raw.offset + 1);
      await slice.pause();
    }
  }

  /**
   * Runs `onTimer` for every timer due by now, then tries again the parked records due by now;
   * true if anything ran. A timer's removal is part of its handler's step: if the handler throws,
   * the timer is back with the rest of the step's changes, is retried like a record, and after the
   * last attempt is dead-lettered with its key and time.
   */
  async fireDueTimers(): Promise<boolean> {
    const now = this.clock();
    const due = [...this.timersDue.range(undefined, dueKey(now + 1, ''))];
    let fired = false;
    const slice = new TimeSlice();
    for (const [slot, key] of due) {
      await slice.pause();
      const at = Number(slot.slice(0, 15));
      // An earlier handler of this pass may have moved or cancelled this timer.
      if (this.timersByKey.get(key) !== at) continue;
      fired = true;
      this.pendingSince ??= now;
      const failure = await this.runStep(
        (ctx) => this.processor.onTimer?.call(this.processor, { key, at } satisfies Timer, ctx),
        {},
        () => this.cancelTimer(key),
      );
      if (failure) {
        this.cancelTimer(key);
        this.pending.records.push(this.timerDeadLetter({ key, at }, failure));
        this.pending.deadLettered++;
      }
    }
    if (this.retryTopic) {
      for (const [slot, parked] of [...this.parked.range(undefined, dueKey(now + 1, ''))]) {
        await slice.pause();
        fired = true;
        this.pendingSince ??= now;
        await this.processOne(fromParked(parked, this.partition), {
          round: parked.round,
          consume: () => this.parked.delete(slot),
        });
      }
    }
    return fired;
  }

  /** Work done since the last commit: records emitted, and how long ago the first was processed. */
  pendingWork(): { records: number; ageMs: number } | null {
    if (this.pendingSince === undefined) return null;
    return { records: this.pending.records.length, ageMs: this.clock() - this.pendingSince };
  }

  /** Runs the processor's `flush` over the records processed since the last commit. */
  async flush(): Promise<void> {
    if (!this.processor.flush || this.pendingRecords.length === 0) return;
    await this.flushIsolatingRejects(this.pendingRecords);
  }

  /**
   * Flushes a batch; when the store rejects the data (PermanentError), halves the batch until the
   * rejected records stand alone and dead-letters them. Halves are flushed in order, so a sink
   * that keeps the latest change per key still sees the changes in log order.
   */
  private async flushIsolatingRejects(batch: readonly FlushPending[]): Promise<void> {
    try {
      await this.processor.flush!(
        batch.map((p) => p.record),
        { partition: this.partition, log: this.options.log },
      );
    } catch (error) {
      if (!(error instanceof PermanentError)) throw error;
      if (batch.length === 1) {
        this.pending.records.push(this.deadLetter(batch[0]!.raw, 'FLUSH_REJECTED', { error, attempts: 1 }));
        this.pending.deadLettered++;
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await this.flushIsolatingRejects(batch.slice(0, half));
      await this.flushIsolatingRejects(batch.slice(half));
    }
  }

  /**
   * The pending commit: outputs, the latest value of every changed state entry, and the next
   * offset per input. The transport makes it durable atomically, then calls `committed`.
   */
  takeCommit(): Commit {
    const commit = this.pending;
    if (this.superseded.size > 0) {
      engineMetrics.supersededRecords.inc({ processor: this.processor.name }, this.superseded.size);
      commit.records = commit.records.filter((_, i) => !this.superseded.has(i));
    }
    this.superseded.clear();
    this.latestTableRecord.clear();
    for (const [topic, offset] of this.pendingOffsets)
      commit.offsets.push({ topic, partition: this.partition, offset });
    commit.records.push(...this.changelogRecords());
    this.pending = emptyCommit();
    this.pendingRecords = [];
    this.pendingOffsets.clear();
    this.pendingSince = undefined;
    return commit;
  }

  /** Called by the transport once a commit is durable. */
  committed(): void {
    for (const store of this.stores.values()) store.markCommitted();
  }

  /** Store contents, for tests and diagnostics. */
  storeEntries(name: string): [string, unknown][] {
    const store = this.stores.get(name);
    if (!store) throw new Error(`processor ${this.processor.name} has no store ${name}`);
    return [...store.range()];
  }

  /**
   * Decodes and processes one record. A record still failing with a RetryableError after the
   * in-place attempts is parked for its next round if the processor has one left; any other
   * failure goes to the dead letter topic. `parked` is set for a record coming back from the
   * retry topic: its round, and `consume`, which takes it out of the PARKED store in the same step.
   */
  private async processOne(raw: RawRecord, parked?: { round: number; consume: () => void }): Promise<void> {
    let record: ConsumedRecord<never>;
    try {
      record = await this.options.codec.decode<never>(raw);
    } catch (error) {
      parked?.consume();
      this.pending.records.push(this.deadLetter(raw, 'DECODE_FAILED', { error, attempts: 1 }));
      this.pending.deadLettered++;
      return;
    }
    // First reads only: a parked record coming back must not overwrite a later value of its key.
    if (!parked) this.mirror(raw.topic, record);
    const round = parked?.round ?? 0;
    const roundsLeft = round < (this.processor.retryLaterMs?.length ?? 0);
    const failure = await this.runStep(
      (ctx) => this.processor.process(record, ctx),
      raw.headers,
      parked?.consume,
      roundsLeft,
    );
    if (failure) {
      parked?.consume();
      const retryable = failure.error instanceof RetryableError;
      if (retryable && roundsLeft) {
        this.pending.records.push(this.park(raw, round + 1, failure.error));
        this.pending.parked++;
        return;
      }
      this.pending.records.push(
        this.deadLetter(raw, retryable ? 'RETRIES_EXHAUSTED' : 'PROCESS_FAILED', failure),
      );
      this.pending.deadLettered++;
      return;
    }
    this.pending.processed++;
    if (this.processor.flush) this.pendingRecords.push({ raw, record });
  }

  /** The record for the retry topic: the failed record's own bytes, and where and when it goes back. */
  private park(raw: RawRecord, round: number, error: unknown): OutgoingRecord {
    const delayMs = this.processor.retryLaterMs![round - 1]!;
    const due = this.clock() + delayMs;
    const reason = describeError(error);
    this.options.log.warn(
      { topic: raw.topic, partition: raw.partition, offset: raw.offset, round, delayMs, error: reason },
      'record parked in the retry topic',
    );
    return {
      topic: this.retryTopic!,
      partition: this.partition,
      key: raw.key,
      value: raw.value,
      headers: {
        ...raw.headers,
        [HEADER.retrySource]: `${raw.topic}/${raw.offset}`,
        [HEADER.retryTimestamp]: String(raw.timestamp),
        [HEADER.retryRound]: String(round),
        [HEADER.retryDue]: String(due),
        [HEADER.retryError]: reason,
      },
      timestamp: this.clock(),
    };
  }

  /** A record read back from the retry topic waits in the PARKED store until it is due. */
  private parkUntilDue(raw: RawRecord): void {
    const {
      [HEADER.retrySource]: source = '',
      [HEADER.retryTimestamp]: timestamp,
      [HEADER.retryRound]: round,
      [HEADER.retryDue]: due,
      [HEADER.retryError]: _error,
      ...headers
    } = raw.headers;
    const slash = source.lastIndexOf('/');
    const topic = source.slice(0, slash);
    const numbers = [Number(due), Number(source.slice(slash + 1)), Number(timestamp), Number(round)];
    this.pendingOffsets.set(raw.topic, raw.offset + 1);
    if (!this.processor.inputs.includes(topic) || !numbers.every(Number.isSafeInteger)) {
      // Not a record this task parked (written by hand, or by another version): without its source
      // and due time it would wait forever, so it goes where an operator looks, the first input's DLQ.
      const error = new Error(`retry topic record ${raw.offset} lacks a valid lf-retry-source/-due/-round`);
      this.pending.records.push(
        this.deadLetter(raw, 'RETRY_RECORD_INVALID', { error, attempts: 0 }, this.processor.inputs[0]!),
      );
      this.pending.deadLettered++;
      return;
    }
    this.parked.put(dueKey(Number(due), String(raw.offset)), {
      topic,
      offset: Number(source.slice(slash + 1)),
      timestamp: Number(timestamp),
      key: raw.key?.toString('base64') ?? null,
      value: raw.value?.toString('base64') ?? null,
      headers,
      round: Number(round),
    });
  }

  /**
   * Runs one step (a record's `process`, a timer's `onTimer`) so that it takes effect whole or not
   * at all: outputs join the pending commit only if it returns, and its state changes, including
   * those of `begin`, are undone if it throws. A RetryableError is retried with backoff; the step
   * sees `lastAttempt` on its final in-place attempt unless a retry round is left after it.
   */
  private async runStep(
    step: (ctx: ProcessorContext) => void | Promise<void>,
    inputHeaders: Headers,
    begin?: () => void,
    roundsLeft = false,
  ): Promise<StepFailure | undefined> {
    let attempts = 0;
    try {
      await retry(
        async (attempt) => {
          attempts = attempt;
          const emitted: OutgoingRecord[] = [];
          this.beginRecord();
          try {
            begin?.();
            const lastAttempt = !roundsLeft && attempt >= this.retry.attempts;
            await step(this.context(emitted, inputHeaders, lastAttempt));
          } catch (error) {
            this.rollbackRecord();
            throw error;
          }
          for (const record of emitted) this.addOutput(record);
        },
        {
          ...this.retry,
          isRetryable: (error) => error instanceof RetryableError,
          onRetry: () => engineMetrics.retries.inc({ processor: this.processor.name }),
        },
      );
      return undefined;
    } catch (error) {
      return { error, attempts };
    }
  }

  private context(emitted: OutgoingRecord[], inputHeaders: Headers, lastAttempt: boolean): ProcessorContext {
    const { codec, log } = this.options;
    return {
      partition: this.partition,
      log,
      now: this.clock,
      lastAttempt,
      store: <T>(name: string) => {
        const store = this.stores.get(name);
        if (!store || name.startsWith('__')) {
          throw new Error(`processor ${this.processor.name} has no store "${name}" (declare it in stores)`);
        }
        return (this.tableViews.get(store) ?? store) as KeyValueStore<T>;
      },
      global: <T>(topic: string) => {
        const table = this.options.globals?.get(topic);
        if (!table || !this.processor.globals?.includes(topic)) {
          throw new Error(
            `processor ${this.processor.name} has no global table "${topic}" (declare it in globals)`,
          );
        }
        return table as ReadOnlyTable<T>;
      },
      emit: (topic, key, value, headers) => {
        if (!this.outputs.has(topic)) {
          throw new Error(
            `processor ${this.processor.name} emitted to ${topic}, which is not among its outputs`,
          );
        }
        // Headers travel downstream (ingest time, replay marks) unless a stage overrides them.
        emitted.push(codec.encode(topic, key, value, { ...inputHeaders, ...headers }));
      },
      schedule: (at, key) => {
        this.cancelTimer(key);
        this.timersByKey.put(key, at);
        this.timersDue.put(dueKey(at, key), key);
      },
      cancel: (key) => this.cancelTimer(key),
    };
  }

  private get timersByKey(): TaskStore<number> {
    return this.stores.get(TIMERS_BY_KEY) as TaskStore<number>;
  }

  private get timersDue(): TaskStore<string> {
    return this.stores.get(TIMERS_DUE) as TaskStore<string>;
  }

  private get parked(): TaskStore<ParkedRecord> {
    return this.stores.get(PARKED) as TaskStore<ParkedRecord>;
  }

  private cancelTimer(key: string): void {
    const at = this.timersByKey.get(key);
    if (at === undefined) return;
    this.timersByKey.delete(key);
    this.timersDue.delete(dueKey(at, key));
  }

  /**
   * Puts a record of a mirrored topic into its table, outside the processor's step: the table
   * holds the record even if `process` then fails, as a restore from the topic would.
   */
  private mirror(topic: string, record: ConsumedRecord<unknown>): void {
    this.tables.get(topic)?.restore(record.key, record.value ?? null);
  }

  private addOutput(record: OutgoingRecord): void {
    if (record.key !== null && this.tableOutputs.has(record.topic)) {
      const slot = `${record.topic}\0${record.partition}\0${record.key.toString('latin1')}`;
      const earlier = this.latestTableRecord.get(slot);
      if (earlier !== undefined) this.superseded.add(earlier);
      this.latestTableRecord.set(slot, this.pending.records.length);
    }
    this.pending.records.push(record);
  }

  private beginRecord(): void {
    for (const store of this.stores.values()) store.beginRecord();
  }

  private rollbackRecord(): void {
    for (const store of this.stores.values()) store.rollbackRecord();
  }

  private changelogRecords(): OutgoingRecord[] {
    const records: OutgoingRecord[] = [];
    for (const store of this.stores.values()) {
      for (const change of store.pendingChanges()) {
        records.push(
          this.options.codec.encode(
            this.changelog,
            `${change.store}/${change.key}`,
            change.value,
            {},
            this.partition,
          ),
        );
      }
    }
    return records;
  }

  /** `input`: the input whose DLQ takes it, when the record did not come from one (a retry topic). */
  private deadLetter(
    raw: RawRecord,
    errorType: string,
    failure: StepFailure,
    input = raw.topic,
  ): OutgoingRecord {
    const error = describeError(failure.error);
    this.options.log.warn(
      { topic: raw.topic, partition: raw.partition, offset: raw.offset, errorType, error },
      'record sent to dead letter topic',
    );
    const headerBytes = Object.entries(raw.headers).reduce((n, [k, v]) => n + k.length + v.length, 0);
    const payloadOmitted =
      (raw.key?.length ?? 0) + (raw.value?.length ?? 0) + headerBytes > MAX_DEAD_LETTER_PAYLOAD_BYTES;
    return this.options.codec.encode(
      dlqTopic(input),
      `${raw.topic}/${raw.partition}/${raw.offset}`,
      {
        ...this.deadLetterBase(errorType, error, failure.attempts),
        sourceTopic: raw.topic,
        sourcePartition: raw.partition,
        sourceOffset: raw.offset,
        sourceTimestamp: raw.timestamp,
        key: payloadOmitted ? null : raw.key,
        value: payloadOmitted ? null : raw.value,
        headers: payloadOmitted ? {} : raw.headers,
        payloadOmitted,
      },
      {},
      raw.partition,
    );
  }

  /** A timer has no source record: its dead letter names the timer, in the first input's DLQ. */
  private timerDeadLetter(timer: Timer, failure: StepFailure): OutgoingRecord {
    const error = describeError(failure.error);
    this.options.log.warn({ timer: timer.key, at: timer.at, error }, 'timer sent to dead letter topic');
    return this.options.codec.encode(
      dlqTopic(this.processor.inputs[0]!),
      `timer/${this.partition}/${timer.key}`,
      {
        ...this.deadLetterBase('TIMER_FAILED', error, failure.attempts),
        sourceTopic: '',
        sourcePartition: this.partition,
        sourceOffset: -1,
        sourceTimestamp: timer.at,
        timerKey: timer.key,
        timerAt: timer.at,
      },
      {},
      this.partition,
    );
  }

  private deadLetterBase(errorType: string, error: string, attempts: number) {
    return { processor: this.processor.name, errorType, error, attempts, failedAt: this.clock() };
  }
}

/**
 * Merges records of several inputs: each input stays in the order given, and the next record is
 * the input head with the lowest timestamp (ties go to the input declared first).
 */
export function* inTimestampOrder(
  records: readonly RawRecord[],
  inputs: readonly string[],
): Generator<RawRecord> {
  if (inputs.length === 1) return yield* records;
  const queues = inputs.map((topic) => records.filter((r) => r.topic === topic));
  const heads = queues.map(() => 0);
  for (;;) {
    let next = -1;
    for (let i = 0; i < queues.length; i++) {
      const head = queues[i]![heads[i]!];
      if (head && (next < 0 || head.timestamp < queues[next]![heads[next]!]!.timestamp)) next = i;
    }
    if (next < 0) return;
    yield queues[next]![heads[next]!++]!;
  }
}

function describeError(error: unknown): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return message.length > MAX_DEAD_LETTER_ERROR_CHARS
    ? `${message.slice(0, MAX_DEAD_LETTER_ERROR_CHARS)}... (${message.length} characters)`
    : message;
}

export interface CommitPolicy {
  /** Longest a busy task keeps work uncommitted (default 100 ms). */
  commitIntervalMs?: number;
  /** Most emitted records a task keeps uncommitted (default 5000). */
  maxPendingRecords?: number;
  /** How long a caught-up task waits for more input before committing (default 0). */
  lingerMs?: number;
}

/**
 * Milliseconds until pending work must be committed (0: now). A task that has caught up with its
 * input commits at once (after `lingerMs`, if set); a task with input waiting commits on the
 * interval or size limit. Committing at once does not mean a commit per record under load: a
 * member's commits run one at a time, so work done while one is on the wire goes into the next
 * (group commit). Measured against a 10 ms linger (docs/benchmarks.md, 2026-12-06): p99 20-57%
 * lower at 100 leads/s, the same throughput with every lead sent at once.
 */
export function commitDueIn(
  pending: { records: number; ageMs: number },
  caughtUp: boolean,
  policy: CommitPolicy,
): number {
  if (pending.records >= (policy.maxPendingRecords ?? 5000)) return 0;
  const limit = caughtUp ? (policy.lingerMs ?? 0) : (policy.commitIntervalMs ?? 100);
  return Math.max(0, limit - pending.ageMs);
}

const emptyCommit = (): Commit => ({ records: [], offsets: [], processed: 0, deadLettered: 0, parked: 0 });

/** The source record of a parked one, as first read: dead letters and logs point at it. */
function fromParked(parked: ParkedRecord, partition: number): RawRecord {
  return {
    topic: parked.topic,
    partition,
    offset: parked.offset,
    timestamp: parked.timestamp,
    key: parked.key === null ? null : Buffer.from(parked.key, 'base64'),
    value: parked.value === null ? null : Buffer.from(parked.value, 'base64'),
    headers: parked.headers,
  };
}

/** A table's store as processors see it: the runtime alone writes it, from the table's topic. */
function readOnly<T>(store: TaskStore<T>): KeyValueStore<T> {
  const refuse = (): never => {
    throw new Error(`store ${store.name} is a table: the runtime keeps it from its topic`);
  };
  return {
    get: (key) => store.get(key),
    range: (from, to) => store.range(from, to),
    get size() {
      return store.size;
    },
    put: refuse,
    delete: refuse,
  };
}
