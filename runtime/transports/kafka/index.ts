import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { committedOffsets, offsetsAt, topicOffsets } from './admin';
import type { Logger } from 'pino';
import type { SchemaEntry, SchemaLog } from '../../registry';
import type { CleanupPolicy, TopicSpec } from '../../topic-spec';
import type { Processor } from '../../processor';
import type { Follower, FollowOptions } from '../../transport';
import type { OutgoingRecord, RawRecord } from '../../records';
import type {
  ProcessorRun,
  ReadOptions,
  RunOptions,
  TopicChange,
  TopicInfo,
  Transport,
} from '../../transport';
import { PROCESSOR_ASSIGNERS } from './assigner';
import { createKafka, heartbeatIntervalMs } from './client';
import { TopicNames, toTopicMessages } from './convert';
import { KafkaProcessorRun } from './run';
import { TOMBSTONE_RETENTION_MS } from '../../checkpoint';
import { followTopic, readPartitions } from './reader';

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  log: Logger;
  /** Consumer group session timeout; a crashed member's tasks move after this long. */
  sessionTimeoutMs?: number;
  /** Prepended to every topic, consumer group and transactional id on the cluster (KAFKA_TOPIC_PREFIX). */
  topicPrefix?: string;
  /**
   * Names this process in its transactional ids and consumer groups (KAFKA_INSTANCE_ID). Given,
   * it should be stable across restarts (a StatefulSet's pod name): the process is then a static
   * group member (KIP-345), whose restart within the session timeout takes back its partitions
   * without a rebalance of the other members, and a restarted process aborts its predecessor's
   * open transaction at once. Unset, it is random, a stop or crash rebalances the group, and an
   * open transaction waits for its timeout. Two live processes must never share one: the later
   * one fences the earlier, which stops processing.
   */
  instanceId?: string;
  /**
   * Where tasks checkpoint their in-memory state (runtime/checkpoint.ts), so a restart reads only
   * the changelog written since; unset: no checkpoints, every restore reads the whole changelog.
   */
  stateDir?: string;
  /** How often a task checkpoints state that changed; 0 (default): only when it is closed. */
  checkpointIntervalMs?: number;
}

const SCHEMAS_TOPIC = '_leadflow.schemas';

/** The production transport: kafkajs, with Kafka transactions for exactly-once steps. */
export class KafkaTransport implements Transport {
  readonly kind = 'kafka' as const;
  readonly kafka: Kafka;
  readonly names: TopicNames;
  private adminClient: Promise<Admin> | undefined;
  /** The idempotent producers behind `produce`, by slot; created on first use. */
  private readonly producerClients: (Promise<Producer> | undefined)[] = [];
  /** Slots of producers with no request on the wire. */
  private readonly idleProducers = Array.from({ length: PRODUCERS }, (_, slot) => slot);
  private readonly produceQueue: QueuedProduce[] = [];
  private readonly runs = new Set<ProcessorRun>();
  /** Followers still following: closing the transport stops them, as it stops the runs. */
  private readonly followers = new Set<Follower>();
  private readonly instanceId: string;
  /** Set with an explicit instance id: the process's consumers are static members under it. */
  private readonly groupInstanceId: string | undefined;

  constructor(readonly options: KafkaOptions) {
    this.kafka = createKafka(options.brokers, options.clientId, options.log);
    this.names = new TopicNames(options.topicPrefix);
    this.instanceId = options.instanceId ?? `${hostname()}-${randomUUID().slice(0, 8)}`;
    this.groupInstanceId = options.instanceId;
  }

  get topicPrefix(): string {
    return this.names.prefix;
  }

  admin(): Promise<Admin> {
    this.adminClient ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    return this.adminClient;
  }

  async applyTopics(specs: readonly TopicSpec[]): Promise<TopicChange[]> {
    const admin = await this.admin();
    const existing = new Set(
      (await admin.listTopics()).filter((t) => this.names.owns(t)).map((t) => this.names.logical(t)),
    );
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length > 0) {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((spec) => ({
            topic: this.names.physical(spec.name),
            numPartitions: spec.partitions,
            replicationFactor: -1,
            configEntries: topicConfig(spec),
          })),
        });
      } catch (error) {
        // The topics were created, but kafkajs gives up waiting for their leaders when a busy
        // broker does not list them yet (UNKNOWN_TOPIC_OR_PARTITION); wait for them ourselves.
        if ((error as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error;
        for (const spec of missing) await topicOffsets(admin, this.names.physical(spec.name));
      }
    }
    const changes: TopicChange[] = missing.map((s) => ({ topic: s.name, action: 'created' }));
    const present = specs.filter((s) => existing.has(s.name));
    if (present.length === 0) return changes;
    const current = await this.describeTopics(present.map((s) => s.name));
    const currentConfigs = await this.topicConfigs(present.map((s) => s.name));
    for (const spec of present) {
      const info = current.find((i) => i.name === spec.name)!;
      const detail: string[] = [];
      if (spec.partitions < info.partitions) {
        throw new Error(
          `topic ${spec.name} has ${info.partitions} partitions; shrinking to ${spec.partitions} is not possible`,
        );
      }
      if (spec.partitions > info.partitions) {
        await admin.createPartitions({
          topicPartitions: [{ topic: this.names.physical(spec.name), count: spec.partitions }],
        });
        detail.push(`partitions ${info.partitions} -> ${spec.partitions}`);
      }
      const wanted = topicConfig(spec);
      const configs = currentConfigs.get(spec.name)!;
      const drifted = wanted.filter(({ name, value }) =>
        name === 'cleanup.policy' ? cleanupPolicy(configs.get(name)) !== value : configs.get(name) !== value,
      );
      if (drifted.length > 0) {
        // Not incremental: the entries given replace the topic's own settings, so all are sent.
        await admin.alterConfigs({
          validateOnly: false,
          resources: [{ type: 2 /* TOPIC */, name: this.names.physical(spec.name), configEntries: wanted }],
        });
        detail.push(...drifted.map(({ name, value }) => `${name} ${configs.get(name)} -> ${value}`));
      }
      changes.push(
        detail.length > 0
          ? { topic: spec.name, action: 'updated', detail: detail.join(', ') }
          : { topic: spec.name, action: 'unchanged' },
      );
    }
    return changes;
  }

  async describeTopics(names?: readonly string[]): Promise<TopicInfo[]> {
    const admin = await this.admin();
    const topics = names
      ? [...names]
      : (await admin.listTopics())
          .filter((t) => this.names.owns(t) && !t.startsWith('__'))
          .map((t) => this.names.logical(t))
          .sort();
    if (topics.length === 0) return [];
    const configs = await this.topicConfigs(topics);
    const infos: TopicInfo[] = [];
    for (const name of topics) {
      const offsets = await topicOffsets(admin, this.names.physical(name));
      const topicConfigs = configs.get(name)!;
      const retention = Number(topicConfigs.get('retention.ms') ?? -1);
      infos.push({
        name,
        partitions: offsets.length,
        cleanup: cleanupPolicy(topicConfigs.get('cleanup.policy')),
        retentionMs: retention < 0 ? null : retention,
        endOffsets: offsets.map((o) => Number(o.offset)),
      });
    }
    return infos;
  }

  /** The settings `topicConfig` manages, as the broker has them, by logical topic name. */
  private async topicConfigs(topics: readonly string[]): Promise<Map<string, Map<string, string>>> {
    const { resources } = await (
      await this.admin()
    ).describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({
        type: 2,
        name: this.names.physical(name),
        configNames: [...MANAGED_CONFIGS],
      })),
    });
    return new Map(
      topics.map((name) => {
        const entries =
          resources.find((r) => r.resourceName === this.names.physical(name))?.configEntries ?? [];
        return [name, new Map(entries.map((e) => [e.configName, e.configValue]))];
      }),
    );
  }

  /**
   * Appends records with acks from all in-sync replicas. An idempotent kafkajs producer has one
   * request in flight, so a call that finds every producer busy waits for one to return and goes
   * out with the calls queued meanwhile (group commit: many concurrent single-lead POSTs cost a
   * few round trips, not one each); a call that finds one idle goes out at once, in one round trip.
   * One call's records are written in their order; concurrent calls are not ordered.
   */
  produce(records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.produceQueue.push({ records, resolve, reject });
      const slot = this.idleProducers.pop();
      if (slot !== undefined) void this.sendQueued(slot);
    });
  }

  private async sendQueued(slot: number): Promise<void> {
    try {
      this.producerClients[slot] ??= (async () => {
        const producer = this.kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
        });
        await producer.connect();
        return producer;
      })();
      const producer = await this.producerClients[slot].catch((error: unknown) => {
        this.producerClients[slot] = undefined;
        throw error;
      });
      while (this.produceQueue.length > 0) {
        const calls = takeUpTo(this.produceQueue, MAX_RECORDS_PER_REQUEST);
        try {
          const records = calls.flatMap((call) => call.records);
          await producer.sendBatch({ topicMessages: toTopicMessages(records, this.names), acks: -1 });
          for (const call of calls) call.resolve();
        } catch (error) {
          for (const call of calls) call.reject(error);
        }
      }
    } catch (error) {
      for (const call of this.produceQueue.splice(0)) call.reject(error);
    } finally {
      this.idleProducers.push(slot);
    }
  }

  async read(topic: string, options: ReadOptions = {}): Promise<RawRecord[]> {
    const admin = await this.admin();
    const partitions =
      options.partitions ?? (await topicOffsets(admin, this.names.physical(topic))).map((o) => o.partition);
    const result = await readPartitions(
      this.kafka,
      admin,
      { topic, names: this.names },
      partitions,
      options.from,
    );
    return partitions.flatMap((p) => result.get(p) ?? []);
  }

  follow(
    topic: string,
    onRecords: (records: RawRecord[]) => void | Promise<void>,
    options: FollowOptions = {},
  ): Follower {
    const following = followTopic(
      this.kafka,
      this.admin(),
      { topic, names: this.names, log: this.options.log, from: options.from ?? 'start' },
      onRecords,
    );
    const follower: Follower = {
      ready: following.ready,
      stop: async () => {
        await following.stop();
        this.followers.delete(follower);
      },
    };
    this.followers.add(follower);
    return follower;
  }

  async offsetsForTimestamp(topic: string, ts: number): Promise<number[]> {
    const admin = await this.admin();
    const found = await offsetsAt(admin, this.names.physical(topic), ts);
    const ends = await topicOffsets(admin, this.names.physical(topic));
    return found.map((o) =>
      Number(o.offset) >= 0
        ? Number(o.offset)
        : Number(ends.find((e) => e.partition === o.partition)!.offset),
    );
  }

  async committedOffsets(group: string, topic: string): Promise<number[]> {
    const offsets = await committedOffsets(
      await this.admin(),
      this.names.group(group),
      this.names.physical(topic),
    );
    return offsets.map((p) => p.offset);
  }

  async setCommittedOffsets(group: string, topic: string, offsets: { partition: number; offset: number }[]) {
    const admin = await this.admin();
    await admin.setOffsets({
      groupId: this.names.group(group),
      topic: this.names.physical(topic),
      partitions: offsets.map((o) => ({ partition: o.partition, offset: String(o.offset) })),
    });
  }

  schemaLog(): SchemaLog {
    const ensureTopic = (async () => {
      await this.applyTopics([
        {
          name: SCHEMAS_TOPIC,
          partitions: 1,
          cleanup: 'compact',
          retentionMs: null,
          format: 'raw',
          keySchema: 'string',
          valueSchema: 'bytes',
          doc: 'Built-in schema registry',
        },
      ]);
    })();
    return {
      readAll: async () => {
        await ensureTopic;
        const entries: SchemaEntry[] = [];
        for (const record of await this.read(SCHEMAS_TOPIC)) {
          if (record.value) entries.push(JSON.parse(record.value.toString('utf8')) as SchemaEntry);
        }
        return entries;
      },
      append: async (entry) => {
        await ensureTopic;
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
    const run = new KafkaProcessorRun(this, processor, options, {
      sessionTimeoutMs: this.options.sessionTimeoutMs ?? 10_000,
      instanceId: this.instanceId,
      groupInstanceId: this.groupInstanceId,
      stateDir: this.options.stateDir,
      checkpointIntervalMs: this.options.checkpointIntervalMs,
    });
    await run.start();
    this.runs.add(run);
    return run;
  }

  newConsumer(groupId: string, sessionTimeout: number, groupInstanceId?: string): Consumer {
    return this.kafka.consumer({
      groupId,
      groupInstanceId,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      sessionTimeout,
      heartbeatInterval: heartbeatIntervalMs(sessionTimeout),
      maxWaitTimeInMs: 50,
      partitionAssigners: PROCESSOR_ASSIGNERS,
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.runs].map((run) => run.stop()));
    this.runs.clear();
    await Promise.all([...this.followers].map((follower) => follower.stop()));
    for (const client of this.producerClients) await (await client?.catch(() => undefined))?.disconnect();
    if (this.adminClient) await (await this.adminClient).disconnect();
  }
}

interface QueuedProduce {
  records: readonly OutgoingRecord[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Records per grouped request: well under the broker's 1 MB per-partition batch for lead-sized records. */
const MAX_RECORDS_PER_REQUEST = 2000;

/**
 * Producers behind `produce`: while one request is on the wire the next call can still leave at
 * once (the HTTP ingress answers after one round trip, not two), and under load each carries a
 * group of calls.
 */
const PRODUCERS = 3;

/** Removes and returns the first calls holding up to `max` records (always at least one call). */
function takeUpTo(queue: QueuedProduce[], max: number): QueuedProduce[] {
  let count = 0;
  let n = 0;
  while (n < queue.length && (n === 0 || count + queue[n]!.records.length <= max)) {
    count += queue[n]!.records.length;
    n++;
  }
  return queue.splice(0, n);
}

const MAX_COMPACTION_LAG_MS = 24 * 3_600_000;

const MANAGED_CONFIGS = [
  'cleanup.policy',
  'retention.ms',
  'segment.ms',
  'delete.retention.ms',
  'min.cleanable.dirty.ratio',
  'max.compaction.lag.ms',
] as const;

type ManagedConfig = (typeof MANAGED_CONFIGS)[number];

function topicConfig(spec: TopicSpec): { name: ManagedConfig; value: string }[] {
  const config: { name: ManagedConfig; value: string }[] = [
    { name: 'cleanup.policy', value: spec.cleanup },
    { name: 'retention.ms', value: String(spec.retentionMs ?? -1) },
  ];
  if (spec.cleanup !== 'delete') {
    // The cleaner never compacts the active segment, and by default a segment stays active for
    // 7 days or 1 GiB: a restarted task would replay every state change ever made. Rolling every
    // 10 minutes keeps a restore close to the size of the live state.
    config.push(
      { name: 'segment.ms', value: String(COMPACTED_SEGMENT_MS) },
      // Explicit, because local checkpoints rely on it (CHECKPOINT_MAX_AGE_MS).
      { name: 'delete.retention.ms', value: String(TOMBSTONE_RETENTION_MS) },
      { name: 'min.cleanable.dirty.ratio', value: '0.2' },
      // However little else changed: an erased lead's wrapped key (privacy.keys) must leave the
      // broker's disks within a day of its erased mark, not when enough else is dirty.
      { name: 'max.compaction.lag.ms', value: String(MAX_COMPACTION_LAG_MS) },
    );
  } else if (spec.retentionMs !== null) {
    // Retention drops whole segments once their newest record has expired, and never the active
    // one: a record outlives its retention by up to a segment's lifetime, 7 days by default, which
    // personal data must not. Rolling daily (or sooner, for a shorter retention) bounds that.
    config.push({ name: 'segment.ms', value: String(Math.min(EXPIRING_SEGMENT_MS, spec.retentionMs)) });
  }
  return config;
}

/** The policy a broker's cleanup.policy value names, whatever order it lists them in. */
function cleanupPolicy(value: string | undefined): CleanupPolicy {
  const policies = new Set(value?.split(',').map((p) => p.trim()));
  if (!policies.has('compact')) return 'delete';
  return policies.has('delete') ? 'compact,delete' : 'compact';
}

const COMPACTED_SEGMENT_MS = 10 * 60_000;
const EXPIRING_SEGMENT_MS = 24 * 3_600_000;
