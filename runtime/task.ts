import type { Logger } from 'pino';
import { changelogTopic, dlqTopic } from '../topics/spec';
import type { RecordCodec } from './codec';
import type { ReadOnlyTable } from './global-table';
import type { Processor, ProcessorContext, Timer } from './processor';
import { engineMetrics } from './metrics';
import { RetryableError } from './processor';
import type { ConsumedRecord, Headers, OutgoingRecord, RawRecord } from './records';
import { TaskStore } from './store';

/** Everything one step of a task wants committed atomically. */
export interface Commit {
  records: OutgoingRecord[];
  /** Next offset to read, per input topic of the task's partition. */
  offsets: { topic: string; partition: number; offset: number }[];
  processed: number;
  deadLettered: number;
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
}

export interface TaskOptions {
  appId: string;
  processor: Processor<never>;
  partition: number;
  codec: RecordCodec;
  log: Logger;
  clock?: () => number;
  retry?: RetryPolicy;
  /** Global tables by topic, shared by every task of the process. */
  globals?: ReadonlyMap<string, ReadOnlyTable<unknown>>;
}

// Timers are kept in two internal stores so they are changelogged and rolled back like any state:
// one by timer key (to move or cancel a timer), one ordered by due time (to find what is due).
const TIMERS_BY_KEY = '__timers-by-key';
const TIMERS_DUE = '__timers-due';
const dueKey = (at: number, key: string) => `${String(at).padStart(15, '0')}/${key}`;

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
  private readonly outputs: Set<string>;
  private pending: Commit = emptyCommit();
  private readonly pendingOffsets = new Map<string, number>();
  private pendingSince: number | undefined;
  /** Decoded records since the last commit, kept only for processors with `flush`. */
  private pendingRecords: ConsumedRecord<never>[] = [];

  constructor(private readonly options: TaskOptions) {
    this.partition = options.partition;
    this.clock = options.clock ?? Date.now;
    this.retry = options.retry ?? { maxAttempts: 5, baseDelayMs: 100 };
    this.changelog = changelogTopic(options.appId, options.processor.name);
    this.outputs = new Set(options.processor.outputs);
    for (const name of [...(options.processor.stores ?? []), TIMERS_BY_KEY, TIMERS_DUE]) {
      this.stores.set(name, new TaskStore(name));
    }
  }

  get processor(): Processor<never> {
    return this.options.processor;
  }

  /** Applies changelog records (oldest first) to rebuild state after assignment. */
  restore(changelog: Iterable<RawRecord>): number {
    let applied = 0;
    for (const record of changelog) {
      const composite = record.key?.toString('utf8') ?? '';
      const slash = composite.indexOf('/');
      const store = this.stores.get(composite.slice(0, slash));
      if (slash < 0 || !store) continue; // a store this version no longer declares
      store.restore(
        composite.slice(slash + 1),
        record.value === null ? null : JSON.parse(record.value.toString('utf8')),
      );
      applied++;
    }
    return applied;
  }

  /**
   * Processes records of this task's partition, in order. Their outputs and offsets join the
   * pending commit; `takeCommit` hands it over. Several batches may share one commit, which is
   * how a busy task amortises transaction cost and writes each changed key to the changelog once.
   */
  async processBatch(records: readonly RawRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.pendingSince ??= this.clock();
    for (const raw of records) {
      await this.processOne(raw, this.pending);
      this.pendingOffsets.set(raw.topic, raw.offset + 1);
    }
  }

  /** Runs `onTimer` for every timer due by now; true if any fired. */
  async fireDueTimers(): Promise<boolean> {
    const due = this.stores.get(TIMERS_DUE)! as TaskStore<string>;
    const now = this.clock();
    const fired = [...due.range(undefined, dueKey(now + 1, ''))];
    if (fired.length === 0) return false;
    this.pendingSince ??= now;
    for (const [slot, key] of fired) {
      const at = Number(slot.slice(0, 15));
      due.delete(slot);
      (this.stores.get(TIMERS_BY_KEY) as TaskStore<number>).delete(key);
      const onTimer = this.processor.onTimer;
      if (!onTimer) continue;
      const emitted: OutgoingRecord[] = [];
      this.beginRecord();
      try {
        await onTimer.call(this.processor, { key, at } satisfies Timer, this.context(emitted, {}));
        this.pending.records.push(...emitted);
      } catch (error) {
        // A timer has no source record to dead-letter; its state changes are undone and it is
        // logged, so one failing timer does not stop the others.
        this.rollbackRecord();
        this.options.log.error({ err: error, timer: key }, 'timer handler failed');
      }
    }
    return true;
  }

  /** Work done since the last commit: records emitted, and how long ago the first was processed. */
  pendingWork(): { records: number; ageMs: number } | null {
    if (this.pendingSince === undefined) return null;
    return { records: this.pending.records.length, ageMs: this.clock() - this.pendingSince };
  }

  /** Runs the processor's `flush` over the records processed since the last commit. */
  async flush(): Promise<void> {
    if (!this.processor.flush || this.pendingRecords.length === 0) return;
    await this.processor.flush(this.pendingRecords, { partition: this.partition, log: this.options.log });
  }

  /**
   * The pending commit: outputs, the latest value of every changed state entry, and the next
   * offset per input. The transport makes it durable atomically, then calls `committed`.
   */
  takeCommit(): Commit {
    const commit = this.pending;
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

  private async processOne(raw: RawRecord, commit: Commit): Promise<void> {
    let record: ConsumedRecord<never>;
    try {
      record = await this.options.codec.decode<never>(raw);
    } catch (error) {
      commit.records.push(this.deadLetter(raw, 'DECODE_FAILED', error, 1));
      commit.deadLettered++;
      return;
    }
    for (let attempt = 1; ; attempt++) {
      const emitted: OutgoingRecord[] = [];
      this.beginRecord();
      try {
        await this.processor.process(record, this.context(emitted, raw.headers));
        commit.records.push(...emitted);
        commit.processed++;
        if (this.processor.flush) this.pendingRecords.push(record);
        return;
      } catch (error) {
        this.rollbackRecord();
        const retryable = error instanceof RetryableError;
        if (retryable && attempt < this.retry.maxAttempts) {
          engineMetrics.retries.inc({ processor: this.processor.name });
          await sleep(this.retry.baseDelayMs * 2 ** (attempt - 1));
          continue;
        }
        const type = retryable ? 'RETRIES_EXHAUSTED' : 'PROCESS_FAILED';
        commit.records.push(this.deadLetter(raw, type, error, attempt));
        commit.deadLettered++;
        return;
      }
    }
  }

  private context(emitted: OutgoingRecord[], inputHeaders: Headers): ProcessorContext {
    const { codec, log } = this.options;
    return {
      partition: this.partition,
      log,
      now: this.clock,
      store: <T>(name: string) => {
        const store = this.stores.get(name);
        if (!store || name.startsWith('__')) {
          throw new Error(`processor ${this.processor.name} has no store "${name}" (declare it in stores)`);
        }
        return store as TaskStore<T>;
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
        (this.stores.get(TIMERS_BY_KEY) as TaskStore<number>).put(key, at);
        (this.stores.get(TIMERS_DUE) as TaskStore<string>).put(dueKey(at, key), key);
      },
      cancel: (key) => this.cancelTimer(key),
    };
  }

  private cancelTimer(key: string): void {
    const byKey = this.stores.get(TIMERS_BY_KEY) as TaskStore<number>;
    const at = byKey.get(key);
    if (at === undefined) return;
    byKey.delete(key);
    this.stores.get(TIMERS_DUE)!.delete(dueKey(at, key));
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

  private deadLetter(raw: RawRecord, errorType: string, error: unknown, attempts: number): OutgoingRecord {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.options.log.warn(
      { topic: raw.topic, partition: raw.partition, offset: raw.offset, errorType, error: message },
      'record sent to dead letter topic',
    );
    return this.options.codec.encode(
      dlqTopic(raw.topic),
      `${raw.topic}/${raw.partition}/${raw.offset}`,
      {
        processor: this.processor.name,
        errorType,
        error: message,
        attempts,
        sourceTopic: raw.topic,
        sourcePartition: raw.partition,
        sourceOffset: raw.offset,
        sourceTimestamp: raw.timestamp,
        key: raw.key,
        value: raw.value,
        headers: raw.headers,
        failedAt: this.clock(),
      },
      {},
      raw.partition,
    );
  }
}

export interface CommitPolicy {
  /** Longest a busy task keeps work uncommitted (default 100 ms). */
  commitIntervalMs?: number;
  /** Most emitted records a task keeps uncommitted (default 5000). */
  maxPendingRecords?: number;
  /** How long a caught-up task waits for more input before committing (default 10 ms). */
  lingerMs?: number;
}

/**
 * Milliseconds until pending work must be committed (0: now). A task that has caught up with its
 * input commits after a short linger, so a stage fed by a busy upstream commits in batches rather
 * than once per upstream commit; a task with input waiting commits on the interval or size limit.
 */
export function commitDueIn(
  pending: { records: number; ageMs: number },
  caughtUp: boolean,
  policy: CommitPolicy,
): number {
  if (pending.records >= (policy.maxPendingRecords ?? 5000)) return 0;
  const limit = caughtUp ? (policy.lingerMs ?? 10) : (policy.commitIntervalMs ?? 100);
  return Math.max(0, limit - pending.ageMs);
}

const emptyCommit = (): Commit => ({ records: [], offsets: [], processed: 0, deadLettered: 0 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
