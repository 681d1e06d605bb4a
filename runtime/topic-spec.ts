import type { AvroSchema } from '../schemas/avro';

/**
 * How a topic's bytes are read: `avro` topics carry Confluent wire-format Avro keys and values;
 * `raw` topics are private to the runtime: state changelogs carry UTF-8 keys and JSON values, retry
 * topics the parked records' own bytes.
 */
export type TopicFormat = 'avro' | 'raw';

/**
 * What the log drops, as Kafka's cleanup.policy: `delete` drops records past retention; `compact`
 * keeps the latest record per key for good (retention does not apply); `compact,delete` keeps the
 * latest per key only until it is past retention too (a table of personal data, kept no longer
 * than its data class allows).
 */
export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

export interface TopicSpec {
  name: string;
  partitions: number;
  cleanup: CleanupPolicy;
  /** How long records are kept; null keeps them forever (entity topics, changelogs). */
  retentionMs: number | null;
  format: TopicFormat;
  keySchema: AvroSchema;
  valueSchema: AvroSchema;
  doc: string;
}

const DAY = 24 * 60 * 60 * 1000;
export const RETENTION = { week: 7 * DAY, month: 30 * DAY, forever: null } as const;

/** The shortest of some retentions, null meaning forever. */
export function shortestRetention(...retentions: (number | null)[]): number | null {
  const finite = retentions.filter((ms): ms is number => ms !== null);
  return finite.length > 0 ? Math.min(...finite) : null;
}

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
