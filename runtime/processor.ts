import type { Logger } from 'pino';
import type { ConsumedRecord, Headers } from './records';
import type { KeyValueStore, ReadOnlyTable } from './store';
import { retryTopic } from './topic-spec';

/**
 * A processor is one stage of the pipeline: it reads records from its input topics, keeps state
 * in named stores, emits records to its output topics and sets timers. The runtime runs one task
 * per input partition, so a processor's state for a key lives where that key's records arrive.
 *
 * Inputs of one processor must be co-partitioned (same partition count, same keying), like the
 * inputs of a Kafka Streams sub-topology.
 */
export interface Processor<V = unknown> {
  /** Stable name: it names the consumer group, the changelog and the transactional ids. */
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Names of the state stores this processor owns. */
  readonly stores?: readonly string[];
  /**
   * Stores that mirror one of the inputs, a compacted topic such as the do-not-contact list: store
   * name -> input topic. The runtime puts each record read from that topic into the store (a
   * tombstone deletes the key) before `process` sees the record, and the processor may only read
   * the store. The topic itself is the store's changelog (Kafka Streams' source-topic changelog):
   * nothing is copied to the processor's changelog, and a restore reads the topic up to the task's
   * committed offset on it.
   */
  readonly tables?: Readonly<Record<string, string>>;
  /**
   * Compacted topics read as whole tables in every task (reference data such as agents or model
   * versions), through `ctx.global(topic)`. They are not inputs: they never trigger `process`.
   */
  readonly globals?: readonly string[];
  process(record: ConsumedRecord<V>, ctx: ProcessorContext): void | Promise<void>;
  /**
   * Later rounds for a record whose `process` still throws a RetryableError after the in-place
   * attempts (a webhook receiver down for minutes): the record is parked in the processor's retry
   * topic and tried again after each of these delays, while the records behind it go on. After
   * the last round it goes to the dead letter topic. Without it, the in-place attempts are all.
   * Parked records are tried out of order with the rest, so use it where order does not matter.
   */
  readonly retryLaterMs?: readonly number[];
  /**
   * Why this stage must not be replayed on its own, if it must not: a replay runs the stage with
   * fresh state of its own, so a stage whose state is the only record of effects that happen once
   * (a lead's routing, an offer to an agent) would make them again.
   */
  readonly replayRefused?: string;
  /** Called when a timer set with `ctx.schedule` comes due. */
  onTimer?(timer: Timer, ctx: ProcessorContext): void | Promise<void>;
  /**
   * Called before each commit with the records processed since the last one, for side effects
   * that must happen before their offsets commit: a sink's batched, idempotent database write.
   * If it throws, nothing commits; the task is rebuilt and the records are read again, so the
   * effect must be idempotent. Outages are not dead-lettered: the records wait. A PermanentError
   * (the store refuses the data itself) is different: the runtime splits the batch until it has
   * the records at fault, dead-letters them and flushes the rest, so one bad row cannot stall
   * the sink.
   */
  flush?(records: readonly ConsumedRecord<V>[], ctx: FlushContext): Promise<void>;
}

export interface FlushContext {
  readonly partition: number;
  readonly log: Logger;
}

export interface Timer {
  key: string;
  at: number;
}

export interface ProcessorContext {
  /** The task's partition number (same across all of the processor's inputs). */
  readonly partition: number;
  store<T>(name: string): KeyValueStore<T>;
  /** The current contents of a global table the processor declared. */
  global<T>(topic: string): ReadOnlyTable<T>;
  /** Emits a record; it becomes visible downstream only when the step commits. */
  emit(topic: string, key: string, value: unknown, headers?: Headers): void;
  /** Sets (or moves) the timer with this key; `onTimer` runs at or after `at` (epoch ms). */
  schedule(at: number, key: string): void;
  cancel(key: string): void;
  /** Wall-clock time as the runtime sees it (injectable in tests). */
  now(): number;
  /**
   * True when a RetryableError thrown now would not be retried again (no in-place attempt and no
   * retry round left): the step should record its failure rather than throw.
   */
  readonly lastAttempt: boolean;
  readonly log: Logger;
}

/**
 * The topics a processor's tasks read: its inputs, and its retry topic if it parks records.
 * Both transports subscribe to these.
 */
export function taskInputs(processor: Processor<never>, appId: string): string[] {
  return processor.retryLaterMs?.length
    ? [...processor.inputs, retryTopic(appId, processor.name)]
    : [...processor.inputs];
}

/** Declares a processor with its types checked, without a class. */
export function defineProcessor<V>(processor: Processor<V>): Processor<V> {
  if (!/^[a-z][a-z0-9-]*$/.test(processor.name)) {
    throw new Error(`processor name "${processor.name}" must be lower-case letters, digits and dashes`);
  }
  if (processor.inputs.length === 0) throw new Error(`processor ${processor.name} has no input topics`);
  for (const store of processor.stores ?? []) {
    if (!/^[a-z][a-z0-9-]*$/.test(store))
      throw new Error(`store name "${store}" of ${processor.name} is invalid`);
  }
  for (const [store, topic] of Object.entries(processor.tables ?? {})) {
    if (!processor.stores?.includes(store))
      throw new Error(`table ${store} of ${processor.name} must be one of its stores`);
    if (!processor.inputs.includes(topic))
      throw new Error(`table ${store} of ${processor.name} mirrors ${topic}, which is not one of its inputs`);
  }
  return processor;
}
