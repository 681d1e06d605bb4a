import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { RecordCodec } from '../runtime/codec';
import { Pipeline } from '../runtime/pipeline';
import { defineProcessor, type Processor } from '../runtime/processor';
import type { Transport } from '../runtime/transport';
import { EmbeddedTransport } from '../runtime/transports/embedded';
import { KafkaTransport } from '../runtime/transports/kafka';
import { createKafka } from '../runtime/transports/kafka/client';
import { BuiltInSchemaRegistry } from '../schemas/registry';
import { Catalog } from '../topics/catalog';
import type { TopicSpec } from '../topics/spec';
import { percentile, RssSampler } from './measure';

export interface EngineBenchOptions {
  transport: 'embedded' | 'kafka';
  records: number;
  brokers: string[];
  hops?: number;
  partitions?: number;
  /** Skip the plain-kafkajs baseline (e.g. no broker for an embedded-only run). */
  baseline?: boolean;
  log: Logger;
}

export interface EngineBenchResult {
  transport: string;
  records: number;
  hops: number;
  partitions: number;
  records_per_s: number;
  p50_ms: number;
  p99_ms: number;
  baseline_records_per_s: number | null;
  ratio: number | null;
  peak_rss_mb: number;
}

interface BenchRecord {
  id: number;
  t0: number;
  payload: string;
}

const valueSchema = {
  type: 'record',
  name: 'BenchRecord',
  namespace: 'bench',
  fields: [
    { name: 'id', type: 'long' },
    { name: 't0', type: 'long' },
    { name: 'payload', type: 'string' },
  ],
} as const;

const PAYLOAD = 'x'.repeat(200);
const KEYS = 1000;

/**
 * `leadflow bench engine`: a chain of `hops` processors, each reading, updating one state entry
 * and writing, exactly-once on; a final counting stage measures when each record got through.
 * In the same run, the same chain as plain kafkajs consume-and-produce (no state, no transactions)
 * gives the baseline.
 */
export async function benchEngine(options: EngineBenchOptions): Promise<EngineBenchResult> {
  const hops = options.hops ?? 6;
  const partitions = options.partitions ?? 4;
  const rss = new RssSampler();
  const runId = `bench-${Date.now().toString(36)}`;
  let dir: string | undefined;
  let transport: Transport;
  if (options.transport === 'kafka') {
    transport = new KafkaTransport({
      brokers: options.brokers,
      clientId: 'leadflow-bench',
      log: options.log,
    });
  } else {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-bench-'));
    transport = new EmbeddedTransport({ file: path.join(dir, 'log.sqlite') });
  }
  try {
    const chain = await runChain(transport, runId, options.records, hops, partitions, options.log);
    const baseline =
      options.baseline === false ? null : await runKafkajsBaseline(options, runId, hops, partitions);
    return {
      transport: options.transport,
      records: options.records,
      hops,
      partitions,
      records_per_s: Math.round(chain.recordsPerSecond),
      p50_ms: round(percentile(chain.latencies, 0.5)),
      p99_ms: round(percentile(chain.latencies, 0.99)),
      baseline_records_per_s: baseline === null ? null : Math.round(baseline),
      ratio: baseline === null ? null : round(chain.recordsPerSecond / baseline, 3),
      peak_rss_mb: Math.round(rss.stop() / 1024 / 1024),
    };
  } finally {
    if (transport instanceof KafkaTransport) {
      const admin = await transport.admin();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${runId}.`));
      await admin.deleteTopics({ topics }).catch(() => undefined);
    }
    await transport.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function runChain(
  transport: Transport,
  runId: string,
  records: number,
  hops: number,
  partitions: number,
  log: Logger,
) {
  const topic = (i: number) => `${runId}.hop${i}`;
  const specs: TopicSpec[] = Array.from({ length: hops + 1 }, (_, i) => ({
    name: topic(i),
    partitions,
    cleanup: 'delete',
    retentionMs: 3_600_000,
    format: 'avro',
    keySchema: 'string',
    valueSchema: valueSchema as unknown as TopicSpec['valueSchema'],
    doc: 'benchmark',
  }));
  const latencies: number[] = [];
  let seen = 0;
  let lastSeenAt = 0;
  let allSeen!: () => void;
  const done = new Promise<void>((resolve) => (allSeen = resolve));
  const processors: Processor<BenchRecord>[] = [];
  for (let i = 1; i <= hops; i++) {
    processors.push(
      defineProcessor<BenchRecord>({
        name: `hop${i}`,
        inputs: [topic(i - 1)],
        outputs: [topic(i)],
        stores: ['seen'],
        process(record, ctx) {
          const store = ctx.store<number>('seen');
          store.put(record.key, (store.get(record.key) ?? 0) + 1);
          ctx.emit(topic(i), record.key, record.value);
        },
      }),
    );
  }
  processors.push(
    defineProcessor<BenchRecord>({
      name: 'finish',
      inputs: [topic(hops)],
      outputs: [],
      process(record) {
        const now = Date.now();
        latencies.push(now - record.value.t0);
        lastSeenAt = now;
        if (++seen === records) allSeen();
      },
    }),
  );
  const registry = new BuiltInSchemaRegistry(transport.schemaLog());
  const pipeline = await Pipeline.start({
    appId: runId,
    transport,
    registry,
    catalog: new Catalog(specs),
    processors: processors as Processor<never>[],
    log,
    run: { maxBatch: 1000 },
  });
  const codec = new RecordCodec(pipeline.catalog, registry);
  await codec.prepare([topic(0)]);
  // Let every member settle on its partitions before the clock starts.
  await pipeline.waitIdle(120_000);
  const started = Date.now();
  for (let id = 0; id < records;) {
    const chunk = [];
    for (const end = Math.min(records, id + 1000); id < end; id++) {
      chunk.push(codec.encode(topic(0), `k${id % KEYS}`, { id, t0: Date.now(), payload: PAYLOAD }));
    }
    await transport.produce(chunk);
  }
  await done;
  await pipeline.stop();
  return { recordsPerSecond: records / ((lastSeenAt - started) / 1000), latencies };
}

/** The same chain as plain kafkajs consumers and a producer: no state, no transactions. */
async function runKafkajsBaseline(
  options: EngineBenchOptions,
  runId: string,
  hops: number,
  partitions: number,
) {
  const kafka = createKafka(options.brokers, 'leadflow-bench-baseline', options.log);
  const admin = kafka.admin();
  await admin.connect();
  const topic = (i: number) => `${runId}.base${i}`;
  await admin.createTopics({
    waitForLeaders: true,
    topics: Array.from({ length: hops + 1 }, (_, i) => ({
      topic: topic(i),
      numPartitions: partitions,
      replicationFactor: 1,
    })),
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumers = [];
  let seen = 0;
  let lastSeenAt = 0;
  let allSeen!: () => void;
  const done = new Promise<void>((resolve) => (allSeen = resolve));
  for (let i = 1; i <= hops + 1; i++) {
    const consumer = kafka.consumer({ groupId: `${runId}-base${i}`, maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic: topic(i - 1), fromBeginning: true });
    const last = i === hops + 1;
    await consumer.run({
      partitionsConsumedConcurrently: partitions,
      eachBatch: async ({ batch }) => {
        if (last) {
          seen += batch.messages.length;
          lastSeenAt = Date.now();
          if (seen >= options.records) allSeen();
          return;
        }
        await producer.send({
          topic: topic(i),
          acks: -1,
          messages: batch.messages.map((m) => ({ key: m.key, value: m.value, partition: batch.partition })),
        });
      },
    });
    consumers.push(consumer);
  }
  await new Promise((r) => setTimeout(r, 3000)); // group joins settle, as for the chain
  const started = Date.now();
  const payload = Buffer.from(JSON.stringify({ payload: PAYLOAD }));
  for (let id = 0; id < options.records;) {
    const messages = [];
    for (const end = Math.min(options.records, id + 1000); id < end; id++) {
      messages.push({ key: `k${id % KEYS}`, value: payload });
    }
    await producer.send({ topic: topic(0), acks: -1, messages });
  }
  await done;
  const perSecond = options.records / ((lastSeenAt - started) / 1000);
  await Promise.all(consumers.map((c) => c.disconnect()));
  await producer.disconnect();
  await admin
    .deleteTopics({ topics: Array.from({ length: hops + 1 }, (_, i) => topic(i)) })
    .catch(() => undefined);
  await admin.disconnect();
  return perSecond;
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
