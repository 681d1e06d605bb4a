import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { Catalog } from '../runtime/catalog';
import { engineMetrics } from '../runtime/metrics';
import { Pipeline } from '../runtime/pipeline';
import { defineProcessor, type Processor } from '../runtime/processor';
import type { OutgoingRecord } from '../runtime/records';
import { BuiltInSchemaRegistry } from '../runtime/registry';
import { changelogTopic, type TopicSpec } from '../runtime/topic-spec';
import { KafkaTransport } from '../runtime/transports/kafka';

export interface RestoreBenchOptions {
  keys: number;
  /**
   * Changelog records per key (default 1): a changelog holds several until the cleaner compacts
   * it (segments roll every 10 minutes, and a partition is cleaned once 20% of it is superseded).
   */
  updates?: number;
  partitions?: number;
  brokers: string[];
  log: Logger;
}

export interface RestoreBenchResult {
  transport: 'kafka';
  keys: number;
  updates: number;
  partitions: number;
  changelog_mb: number;
  /** Seconds from starting the processor until its tasks have restored the whole changelog. */
  full_restore_s: number;
  /** Seconds to stop it, which writes the checkpoints. */
  stop_with_checkpoint_s: number;
  checkpoint_mb: number;
  /** Seconds from starting it again until its tasks have loaded their checkpoints. */
  checkpoint_restore_s: number;
  /** Changelog entries applied by each start (the second reads only what follows the checkpoint). */
  changelog_entries_applied: { full: number; checkpoint: number };
}

const PROCESSOR = 'holder';
const STORE = 'entries';
const FILL_BATCH = 10_000;

/**
 * `leadflow bench restore`: how long a processor holding `keys` state entries takes to start, once
 * from its whole changelog (a new machine) and once from the local checkpoint its clean stop wrote
 * (a restart). The changelog is filled directly, as a long-running processor would have left it
 * after compaction: one record per key.
 */
export async function benchRestore(options: RestoreBenchOptions): Promise<RestoreBenchResult> {
  const partitions = options.partitions ?? 4;
  const updates = options.updates ?? 1;
  const runId = `bench-restore-${Date.now().toString(36)}`;
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-bench-state-'));
  const input: TopicSpec = {
    name: `${runId}.input`,
    partitions,
    cleanup: 'delete',
    retentionMs: 3_600_000,
    format: 'avro',
    keySchema: 'string',
    valueSchema: 'string',
    doc: 'benchmark: the processor never receives a record',
  };
  const holder = defineProcessor<unknown>({
    name: PROCESSOR,
    inputs: [input.name],
    outputs: [],
    stores: [STORE],
    process() {},
  }) as Processor<never>;
  const catalog = new Catalog([input]);
  const transport = new KafkaTransport({
    brokers: options.brokers,
    clientId: 'leadflow-bench',
    log: options.log,
    stateDir,
  });
  try {
    await transport.applyTopics(catalog.withProcessors(runId, [holder]).all());
    const changelogBytes = await fillChangelog(
      transport,
      changelogTopic(runId, PROCESSOR),
      options.keys * updates,
      options.keys,
      partitions,
    );

    const start = () =>
      Pipeline.start({
        appId: runId,
        transport,
        registry: new BuiltInSchemaRegistry(transport.schemaLog()),
        catalog,
        processors: [holder],
        log: options.log,
      });
    const full = await timedStart(start);
    const stopping = performance.now();
    await full.pipeline.stop();
    const stopSeconds = (performance.now() - stopping) / 1000;
    const checkpointBytes = directoryBytes(stateDir);
    const again = await timedStart(start);
    await again.pipeline.stop();
    return {
      transport: 'kafka',
      keys: options.keys,
      updates,
      partitions,
      changelog_mb: round(changelogBytes / 1024 / 1024),
      full_restore_s: round(full.seconds),
      stop_with_checkpoint_s: round(stopSeconds),
      checkpoint_mb: round(checkpointBytes / 1024 / 1024),
      checkpoint_restore_s: round(again.seconds),
      changelog_entries_applied: { full: full.applied, checkpoint: again.applied },
    };
  } finally {
    const admin = await transport.admin();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${runId}.`));
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await transport.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Writes `records` changelog records over `keys` keys and the partitions; returns the bytes written. */
async function fillChangelog(
  transport: KafkaTransport,
  changelog: string,
  records: number,
  keys: number,
  partitions: number,
) {
  let bytes = 0;
  for (let from = 0; from < records; from += FILL_BATCH) {
    const batch: OutgoingRecord[] = [];
    for (let n = from; n < Math.min(records, from + FILL_BATCH); n++) {
      const i = n % keys;
      // About the size of a screen's entry: a lead id and when it was seen.
      const key = Buffer.from(`${STORE}/key-${i.toString().padStart(8, '0')}`);
      const value = Buffer.from(
        JSON.stringify({ leadId: `lead-${i}-0d3c6a52-7e1b-4f2e-9a57`, seenAt: 1_765_000_000_000 + i }),
      );
      bytes += key.length + value.length;
      batch.push({
        topic: changelog,
        partition: i % partitions,
        key,
        value,
        headers: {},
        timestamp: Date.now(),
      });
    }
    await transport.produce(batch);
  }
  return bytes;
}

async function timedStart(start: () => Promise<Pipeline>) {
  const before = await appliedEntries();
  const started = performance.now();
  const pipeline = await start();
  await pipeline.waitIdle(30 * 60_000);
  const seconds = (performance.now() - started) / 1000;
  return {
    pipeline,
    seconds,
    applied: (await appliedEntries()) - before,
  };
}

async function appliedEntries(): Promise<number> {
  const metric = await engineMetrics.restoredEntries.get();
  return metric.values.find((v) => v.labels.processor === PROCESSOR)?.value ?? 0;
}

function directoryBytes(dir: string): number {
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return bytes;
}

const round = (n: number) => Math.round(n * 100) / 100;
