import { randomUUID } from 'node:crypto';
import { topicOffsets } from './admin';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { RawRecord } from '../../records';
import type { Follower } from '../../transport';
import { fromKafka, type TopicNames } from './convert';
import { replaceStoppedConsumer } from './replace';

/**
 * Reads whole partitions up to their end at the time of the call (the last stable offset, so an
 * open transaction's records are never included). kafkajs has no manual partition assignment, so
 * this joins a throwaway consumer group that never commits and deletes it afterwards.
 */
export async function readPartitions(
  kafka: Kafka,
  admin: Admin,
  target: { topic: string; names: TopicNames },
  partitions: readonly number[],
  from: ReadonlyMap<number, number> = new Map(),
): Promise<Map<number, RawRecord[]>> {
  const { topic } = target;
  const physical = target.names.physical(topic);
  const result = new Map<number, RawRecord[]>(partitions.map((p) => [p, []]));
  const ends = new Map<number, number>();
  const starts = new Map<number, number>();
  for (const { partition, offset, low } of await topicOffsets(admin, physical)) {
    const start = Math.max(Number(low), from.get(partition) ?? 0);
    if (result.has(partition) && Number(offset) > start) {
      ends.set(partition, Number(offset));
      starts.set(partition, start);
    }
  }
  if (ends.size === 0) return result;

  const groupId = target.names.group(`leadflow-reader-${randomUUID()}`);
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 100,
    sessionTimeout: 10_000,
  });
  const pending = new Set(ends.keys());
  /** Next offset to take per partition. */
  const taken = new Map<number, number>();
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  // The consumer can crash while `run` is still joining (a coordinator loading after a broker
  // restart), before `done` is awaited below: that rejection, unhandled, would end the process.
  done.catch(() => undefined);
  const progress = (partition: number, lastOffset: number) => {
    if (pending.has(partition) && lastOffset >= ends.get(partition)! - 1) {
      pending.delete(partition);
      if (pending.size === 0) finish();
    }
  };
  // END_BATCH_PROCESS also fires for batches that held only transaction markers or aborted
  // records, which never reach eachBatch: without it a partition ending in a marker never finishes.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic === physical) progress(payload.partition, Number(payload.lastOffset));
  });
  // Partitions nobody asked for are paused so their data is never fetched.
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const others = (payload.memberAssignment[physical] ?? []).filter((p) => !ends.has(p));
    if (others.length > 0) consumer.pause([{ topic: physical, partitions: others }]);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [physical], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: Math.max(1, partitions.length),
      eachBatch: async ({ batch }) => {
        const records = result.get(batch.partition);
        const end = ends.get(batch.partition);
        if (!records || end === undefined) return;
        // A rejoin of the throwaway group (the coordinator moving or loading) starts the
        // partition over from its beginning: records already taken are skipped, not read twice.
        const next = Math.max(from.get(batch.partition) ?? 0, taken.get(batch.partition) ?? 0);
        for (const message of batch.messages) {
          const offset = Number(message.offset);
          if (offset >= next && offset < end) {
            records.push(fromKafka(topic, batch.partition, message));
            taken.set(batch.partition, offset + 1);
          }
        }
      },
    });
    // Skips what comes before `from` (a restore after a checkpoint reads only the changelog's
    // tail); a rejoin would start over from the beginning, which the offset check above covers.
    for (const [partition, start] of starts) {
      if (start > 0) consumer.seek({ topic: physical, partition, offset: String(start) });
    }
    await done;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return result;
}

/**
 * Follows a whole topic from its start with a throwaway consumer group that never commits; `ready`
 * resolves once the records present at the start have been delivered. A follower outlives a
 * broker restart: when kafkajs stops its consumer for good, a new one takes over, and since every
 * rejoin starts over from the beginning, what was already delivered is skipped.
 */
export function followTopic(
  kafka: Kafka,
  adminClient: Promise<Admin>,
  target: { topic: string; names: TopicNames; log: Logger; from?: 'start' | 'end' },
  onRecords: (records: RawRecord[]) => void | Promise<void>,
): Follower {
  const { topic, log } = target;
  const physical = target.names.physical(topic);
  const groupId = target.names.group(`leadflow-follower-${randomUUID()}`);
  const pending = new Map<number, number>();
  /** Next offset to deliver per partition. */
  const delivered = new Map<number, number>();
  let following = true;
  let markReady!: () => void;
  let fail!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    fail = reject;
  });
  // A caller that never waits for `ready` must not have its failure end the process.
  ready.catch(() => undefined);
  const progress = (partition: number, lastOffset: number) => {
    const end = pending.get(partition);
    if (end !== undefined && lastOffset >= end - 1) pending.delete(partition);
    if (pending.size === 0) markReady();
  };
  const newConsumer = (): Consumer => {
    const created = kafka.consumer({
      groupId,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      sessionTimeout: 10_000,
    });
    created.on(created.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic === physical) progress(payload.partition, Number(payload.lastOffset));
    });
    created.on(created.events.CRASH, ({ payload }) => {
      if (payload.restart || !following || created !== consumer) return;
      void created.disconnect().catch(() => undefined);
      replacing = replaceStoppedConsumer({
        create: () => (consumer = newConsumer()),
        run: runConsumer,
        wanted: () => following,
        log,
        context: { follower: topic },
      });
    });
    return created;
  };
  const runConsumer = async (running: Consumer) => {
    await running.connect();
    const fromEnd = target.from === 'end';
    await running.subscribe({ topics: [physical], fromBeginning: !fromEnd });
    await running.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const next = delivered.get(batch.partition) ?? 0;
        const fresh = batch.messages.filter((m) => Number(m.offset) >= next);
        if (fresh.length === 0) return;
        await onRecords(fresh.map((m) => fromKafka(topic, batch.partition, m)));
        delivered.set(batch.partition, Number(fresh[fresh.length - 1]!.offset) + 1);
      },
    });
    // From the end, each partition starts where delivery stands (the end offset when following
    // began, or past what a replaced consumer delivered), not where the reset policy would put it:
    // a record written between reading the end and joining is not skipped.
    if (fromEnd) {
      for (const [partition, next] of delivered)
        running.seek({ topic: physical, partition, offset: String(next) });
    }
  };
  let consumer = newConsumer();
  let replacing: Promise<void> = Promise.resolve();
  const started = (async () => {
    const admin = await adminClient;
    for (const { partition, offset, low } of await topicOffsets(admin, physical)) {
      if (target.from === 'end') delivered.set(partition, Number(offset));
      else if (Number(offset) > Number(low)) pending.set(partition, Number(offset));
    }
    if (pending.size === 0) markReady();
    await runConsumer(consumer);
  })();
  started.catch(fail);
  return {
    ready,
    stop: async () => {
      following = false;
      await started.catch(() => undefined);
      await replacing;
      await consumer.disconnect().catch(() => undefined);
      await (await adminClient).deleteGroups([groupId]).catch(() => undefined);
    },
  };
}
