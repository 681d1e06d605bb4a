import type { Admin } from 'kafkajs';
import { retry } from '../../retry';

// Right after a topic is created, or its leader moves, kafkajs' cached metadata can point at the
// wrong broker and offset requests fail with these; fresh metadata fixes it.
const STALE_METADATA = new Set([
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
]);

function withFreshMetadata<T>(admin: Admin, topic: string, call: () => Promise<T>): Promise<T> {
  return retry(call, {
    attempts: 10,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    // kafkajs also fails with a TypeError ("low.pop(...) is undefined") while it has no
    // partitions for a topic in its metadata yet.
    isRetryable: (error) =>
      STALE_METADATA.has((error as { type?: string }).type ?? '') || error instanceof TypeError,
    onRetry: () => admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined),
  });
}

/** End (last stable) and start offsets per partition, sorted by partition. */
export async function topicOffsets(admin: Admin, topic: string) {
  const offsets = await withFreshMetadata(admin, topic, () => admin.fetchTopicOffsets(topic));
  return offsets.sort((a, b) => a.partition - b.partition);
}

/** Per partition, the first offset with a timestamp >= ts (-1 where there is none). */
export async function offsetsAt(admin: Admin, topic: string, ts: number) {
  const offsets = await withFreshMetadata(admin, topic, () => admin.fetchTopicOffsetsByTimestamp(topic, ts));
  return offsets.sort((a, b) => a.partition - b.partition);
}
