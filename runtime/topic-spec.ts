import type { AvroSchema } from '../schemas/avro';

/**
 * How a topic's bytes are read: `avro` topics carry Confluent wire-format Avro keys and values;
 * `raw` topics are private to the runtime: state changelogs carry UTF-8 keys and JSON values, retry
 * topics the parked records' own bytes.
 */
export type TopicFormat = 'avro' | 'raw';

export interface TopicSpec {
  name: string;
  partitions: number;
  cleanup: 'delete' | 'compact';
  /** How long records are kept; null keeps them forever (entity topics, changelogs). */
  retentionMs: number | null;
  format: TopicFormat;
  keySchema: AvroSchema;
  valueSchema: AvroSchema;
  doc: string;
}

const DAY = 24 * 60 * 60 * 1000;
export const RETENTION = { week: 7 * DAY, month: 30 * DAY, forever: null } as const;

export class UnknownTopicError extends Error {
  override name = 'UnknownTopicError';
  constructor(topic: string) {
    super(`topic "${topic}" is not in the catalogue (topics/platform.ts); add it there first`);
  }
}

/** Name of the dead letter topic for records that failed on their way out of `topic`. */
export const dlqTopic = (topic: string) => `${topic}.dlq`;

/** Name of a processor's retry topic: input records parked after a transient failure. */
export const retryTopic = (appId: string, processor: string) => `${appId}.${processor}.retry`;

/** Name of a processor's state changelog (one per processor, entries keyed by store and key). */
export const changelogTopic = (appId: string, processor: string) => `${appId}.${processor}.changelog`;
