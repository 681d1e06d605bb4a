import type { SchemaLog } from './registry';
import type { CleanupPolicy, TopicSpec } from './topic-spec';
import type { RecordCodec } from './codec';
import type { Processor } from './processor';
import type { OutgoingRecord, RawRecord } from './records';
import type { Logger } from 'pino';
import type { ReadOnlyTable } from './store';
import type { RetryPolicy } from './retry';
import type { CommitPolicy } from './task';

/** Follows a topic from its start: every record as it is committed, in offset order per partition. */
export interface Follower {
  /** Resolves once everything that was in the topic when following began has been delivered. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export interface FollowOptions {
  from?: 'start' | 'end';
}

export interface TopicInfo {
  name: string;
  partitions: number;
  cleanup: CleanupPolicy;
  retentionMs: number | null;
  /** Next offset to be written, per partition. */
  endOffsets: number[];
}

export interface ReadOptions {
  partitions?: readonly number[];
  /** First offset to read, per partition. */
  from?: ReadonlyMap<number, number>;
}

export interface TopicChange {
  topic: string;
  action: 'created' | 'updated' | 'unchanged';
  detail?: string;
}

export interface RunOptions {
  appId: string;
  codec: RecordCodec;
  log: Logger;
  clock?: () => number;
  retry?: RetryPolicy;
  /** Stable member identity: a restarted member with the same id takes its tasks back at once. */
  instanceId?: string;
  /** Most records read for a task at a time. */
  maxBatch?: number;
  /** When tasks commit: see `commitDueIn` in task.ts. */
  commit?: CommitPolicy;
  /** Global tables the processor declared, already bootstrapped. */
  globals?: ReadonlyMap<string, ReadOnlyTable<unknown>>;
  /** Re-run marks: records read by this run are tagged as replays downstream. */
  replay?: boolean;
}

/** A processor running as one member of its consumer group. */
export interface ProcessorRun {
  readonly processor: string;
  /** Partitions this member owns right now. */
  assignedPartitions(): number[];
  /** Resolves when every owned task has no more input to read right now. */
  waitIdle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * What the runtime needs from a log: the kafka transport (kafkajs) and the embedded one (SQLite)
 * implement it with the same semantics, checked by the conformance suite in test/conformance.
 */
export interface Transport {
  readonly kind: 'embedded' | 'kafka';
  /** Prefix of topic names on the wire (KAFKA_TOPIC_PREFIX); empty for the embedded log. */
  readonly topicPrefix: string;
  /** Creates missing topics and brings configs in line; never deletes or shrinks. */
  applyTopics(specs: readonly TopicSpec[]): Promise<TopicChange[]>;
  describeTopics(names?: readonly string[]): Promise<TopicInfo[]>;
  /** Appends records durably (acknowledged by all in-sync replicas, or committed to disk). */
  produce(records: readonly OutgoingRecord[]): Promise<void>;
  /**
   * Reads partitions (default: all) from `from` (default: their start) up to their end at the time
   * of the call, in offset order per partition. For restores, tools and tests, not hot paths.
   */
  read(topic: string, options?: ReadOptions): Promise<RawRecord[]>;
  /** Per partition, the first offset whose timestamp is >= ts (the end offset if none). */
  offsetsForTimestamp(topic: string, ts: number): Promise<number[]>;
  /** Committed next-offset per partition for a consumer group (-1 where none). */
  committedOffsets(group: string, topic: string): Promise<number[]>;
  /** Moves a consumer group's committed offsets; the group must have no live members. */
  setCommittedOffsets(
    group: string,
    topic: string,
    offsets: { partition: number; offset: number }[],
  ): Promise<void>;
  /**
   * Delivers every record of a topic (all partitions) from its start and keeps following it,
   * without a consumer group's commits: for global tables. From `end`, only records written after
   * the call (for waiting on events, not for tables).
   */
  follow(
    topic: string,
    onRecords: (records: RawRecord[]) => void | Promise<void>,
    options?: FollowOptions,
  ): Follower;
  /** Storage for the built-in schema registry. */
  schemaLog(): SchemaLog;
  run(processor: Processor<never>, options: RunOptions): Promise<ProcessorRun>;
  close(): Promise<void>;
}

/** Consumer group of a processor, as the runtime names it (Kafka prefixes it on the wire). */
export const groupId = (appId: string, processor: string) => `${appId}.${processor}`;
