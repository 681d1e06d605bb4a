import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { RecordCodec } from '../runtime/codec';
import { fuse } from '../runtime/fusion';
import { Pipeline } from '../runtime/pipeline';
import { defineProcessor, type Processor } from '../runtime/processor';
import type { Transport } from '../runtime/transport';
import { EmbeddedTransport } from '../runtime/transports/embedded';
import { KafkaTransport } from '../runtime/transports/kafka';
import { createKafka } from '../runtime/transports/kafka/client';
import { BuiltInSchemaRegistry } from '../runtime/registry';
import { Catalog } from '../runtime/catalog';
import type { TopicSpec } from '../runtime/topic-spec';
import { percentile, RssSampler } from './measure';

export interface EngineBenchOptions {
  transport: 'embedded' | 'kafka';
  records: number;
  brokers: string[];
  hops?: number;
  partitions?: number;
  /** Skip the plain-kafkajs baseline (e.g. no broker for an embedded-only run). */
  baseline?: boolean;
  /**
   * Processes the chain is spread over (this one plus workers-1 children), as a deployment
   * would spread processors over processes with `leadflow start --processors`.
   */
  workers?: number;
  /** Runs the hops fused into one processor (runtime/fusion.ts): one task, one commit per step. */
  fuse?: boolean;
  log: Logger;
}

export interface EngineBenchResult {
  transport: string;
  records: number;
  hops: number;
  partitions: number;
  workers: number;
  fused: boolean;
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
  const workers = options.workers ?? 1;
  if (options.fuse && workers > 1) throw new Error('a fused chain runs in one process: use --workers 1');
  const children: ChildProcess[] = [];
  try {
    const chain = await runChain(
      { transport, runId, records: options.records, hops, partitions, fuse: options.fuse, log: options.log },
      async (groups) => {
        // Hop groups after the first run in child processes joined to the same log.
        for (const group of groups.slice(1)) {
          const child = spawnWorker({
            ...options,
            runId,
            hops,
            partitions,
            processors: group,
            dataFile: dir && path.join(dir, 'log.sqlite'),
          });
          children.push(child);
          await waitForReady(child);
        }
      },
      workers,
    );
    const baseline =
      options.baseline === false ? null : await runKafkajsBaseline(options, runId, hops, partitions);
    return {
      transport: options.transport,
      records: options.records,
      hops,
      partitions,
      workers,
      fused: options.fuse === true,
      records_per_s: Math.round(chain.recordsPerSecond),
      p50_ms: round(percentile(chain.latencies, 0.5)),
      p99_ms: round(percentile(chain.latencies, 0.99)),
      baseline_records_per_s: baseline === null ? null : Math.round(baseline),
      ratio: baseline === null ? null : round(chain.recordsPerSecond / baseline, 3),
      peak_rss_mb: Math.round(rss.stop() / 1024 / 1024),
    };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
    if (transport instanceof KafkaTransport) {
      const admin = await transport.admin();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${runId}.`));
      await admin.deleteTopics({ topics }).catch(() => undefined);
    }
    await transport.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The chain's topics and processors; children rebuild the same chain from its run id. */
export function benchChain(runId: string, hops: number, partitions: number) {
  const topic = (i: number) => `${runId}.hop${i}`;
  const catalog = new Catalog(
    Array.from({ length: hops + 1 }, (_, i) => ({
      name: topic(i),
      partitions,
      cleanup: 'delete' as const,
      retentionMs: 3_600_000,
      format: 'avro' as const,
      keySchema: 'string',
      valueSchema: valueSchema as unknown as TopicSpec['valueSchema'],
      doc: 'benchmark',
    })),
  );
  const hop = (i: number) =>
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
    }) as Processor<never>;
  return { topic, catalog, hops: Array.from({ length: hops }, (_, i) => hop(i + 1)) };
}

interface ChainRun {
  transport: Transport;
  runId: string;
  records: number;
  hops: number;
  partitions: number;
  fuse?: boolean;
  log: Logger;
}

async function runChain(run: ChainRun, startWorkers: (groups: string[][]) => Promise<void>, workers: number) {
  const { transport, runId, records, log } = run;
  const chain = benchChain(runId, run.hops, run.partitions);
  const groups = splitEvenly(
    chain.hops.map((p) => p.name),
    workers,
  );
  const latencies: number[] = [];
  let seen = 0;
  let lastSeenAt = 0;
  let allSeen!: () => void;
  const done = new Promise<void>((resolve) => (allSeen = resolve));
  const finish = defineProcessor<BenchRecord>({
    name: 'finish',
    inputs: [chain.topic(run.hops)],
    outputs: [],
    process(record) {
      const now = Date.now();
      latencies.push(now - record.value.t0);
      lastSeenAt = now;
      if (++seen === records) allSeen();
    },
  }) as Processor<never>;
  const registry = new BuiltInSchemaRegistry(transport.schemaLog());
  const pipeline = await Pipeline.start({
    appId: runId,
    transport,
    registry,
    catalog: chain.catalog,
    processors: [
      ...(run.fuse
        ? [fuse('chain', chain.hops, chain.catalog)]
        : chain.hops.filter((p) => groups[0]!.includes(p.name))),
      finish,
    ],
    log,
    run: { maxBatch: 1000 },
  });
  await startWorkers(groups);
  const codec = new RecordCodec(pipeline.catalog, registry);
  await codec.prepare([chain.topic(0)]);
  // Let every member settle on its partitions before the clock starts.
  await pipeline.waitIdle(120_000);
  await new Promise((resolve) => setTimeout(resolve, workers > 1 ? 1500 : 0));
  const started = Date.now();
  for (let id = 0; id < records;) {
    const chunk = [];
    for (const end = Math.min(records, id + 1000); id < end; id++) {
      chunk.push(codec.encode(chain.topic(0), `k${id % KEYS}`, { id, t0: Date.now(), payload: PAYLOAD }));
    }
    await transport.produce(chunk);
  }
  await done;
  await pipeline.stop();
  return { recordsPerSecond: records / ((lastSeenAt - started) / 1000), latencies };
}

/** Contiguous groups of nearly equal size. */
function splitEvenly<T>(items: T[], groups: number): T[][] {
  const out: T[][] = [];
  for (let g = 0, start = 0; g < groups; g++) {
    const size = Math.floor(items.length / groups) + (g < items.length % groups ? 1 : 0);
    out.push(items.slice(start, start + size));
    start += size;
  }
  return out;
}

/** Starts `leadflow bench engine-worker` in a child process running some of the chain's hops. */
function spawnWorker(options: {
  transport: 'embedded' | 'kafka';
  brokers: string[];
  runId: string;
  hops: number;
  partitions: number;
  processors: string[];
  dataFile?: string;
}): ChildProcess {
  const args = [
    ...process.execArgv,
    process.argv[1]!,
    'bench',
    'engine-worker',
    '--transport',
    options.transport,
    '--run-id',
    options.runId,
    '--hops',
    String(options.hops),
    '--partitions',
    String(options.partitions),
    '--processors',
    options.processors.join(','),
  ];
  if (options.dataFile) args.push('--data-file', options.dataFile);
  return spawn(process.execPath, args, {
    env: { ...process.env, KAFKA_BROKERS: options.brokers.join(',') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function waitForReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`bench worker exited with ${code}`)));
  });
}

/** Body of `leadflow bench engine-worker`: runs some hops of a chain until SIGTERM. */
export async function runChainWorker(options: {
  transport: Transport;
  runId: string;
  hops: number;
  partitions: number;
  processors: string[];
  log: Logger;
}): Promise<void> {
  const chain = benchChain(options.runId, options.hops, options.partitions);
  const pipeline = await Pipeline.start({
    appId: options.runId,
    transport: options.transport,
    registry: new BuiltInSchemaRegistry(options.transport.schemaLog()),
    catalog: chain.catalog,
    processors: chain.hops.filter((p) => options.processors.includes(p.name)),
    log: options.log,
    run: { maxBatch: 1000 },
  });
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.once('SIGTERM', resolve));
  await pipeline.stop();
  await options.transport.close();
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
