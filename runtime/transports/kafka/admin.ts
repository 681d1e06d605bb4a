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

/**
 * A group's offsets stayed unstable: some transaction that sent offsets for them has not ended. A
 * transaction the broker knows ends within its timeout; past that it is hanging (see
 * docs/operations.md, "Offsets that stay unstable").
 */
export class UnstableOffsetsError extends Error {
  constructor(
    readonly groupId: string,
    readonly topic: string,
    waitedMs: number,
    options: { cause: unknown },
  ) {
    super(
      `the offsets of group ${groupId} on ${topic} stayed unstable for ${Math.round(waitedMs / 1000)} s: ` +
        'a transaction that sent them has not ended',
      options,
    );
    this.name = 'UnstableOffsetsError';
  }
}

/**
 * A group's committed offsets for a topic and their metadata, by partition (offset -1 where none).
 * OffsetFetch asks for
 * stable offsets (KIP-447, patches/kafkajs+2.2.4.patch): while a transaction that sent offsets for
 * a partition is open, the broker answers UNSTABLE_OFFSET_COMMIT, and this waits for it to end
 * (commit, abort, or the transaction timeout), up to `withinMs`. A new owner reading too early
 * would start where a zombie's commit is about to move the offset, and process those records a
 * second time.
 */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
  { withinMs = 90_000 }: { withinMs?: number } = {},
) {
  const started = Date.now();
  const [result] = await retry(() => admin.fetchOffsets({ groupId, topics: [topic] }), {
    attempts: Infinity,
    baseDelayMs: 50,
    maxDelayMs: 1000,
    deadlineMs: withinMs,
    isRetryable: isUnstable,
  }).catch((error: unknown) => {
    throw isUnstable(error)
      ? new UnstableOffsetsError(groupId, topic, Date.now() - started, { cause: error })
      : error;
  });
  return (result?.partitions ?? [])
    .map((p) => ({ partition: p.partition, offset: Number(p.offset), metadata: p.metadata ?? null }))
    .sort((a, b) => a.partition - b.partition);
}

const isUnstable = (error: unknown) => (error as { type?: string }).type === 'UNSTABLE_OFFSET_COMMIT';
