import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Transport } from '../runtime/transport';
import { EmbeddedTransport } from '../runtime/transports/embedded';
import { KafkaTransport } from '../runtime/transports/kafka';

/** Value at quantile q (0..1) of an unsorted sample. */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Samples this process's resident set size until stopped; returns the peak in bytes. */
export class RssSampler {
  private peak = process.memoryUsage().rss;
  private readonly timer = setInterval(() => {
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
  }, 100);

  stop(): number {
    clearInterval(this.timer);
    return Math.max(this.peak, process.memoryUsage().rss);
  }
}

/**
 * A fresh transport for one bench run: its own topic prefix on Kafka (so runs never share
 * topics), its own log file in `dir` on the embedded transport.
 */
export function benchTransport(options: {
  transport: 'embedded' | 'kafka';
  runId: string;
  dir: string;
  brokers: string[];
  log: Logger;
}): Transport {
  return options.transport === 'kafka'
    ? new KafkaTransport({
        brokers: options.brokers,
        clientId: 'leadflow-bench',
        topicPrefix: `${options.runId}.`,
        log: options.log,
      })
    : new EmbeddedTransport({ file: path.join(options.dir, 'log.sqlite') });
}

/** Ends a bench run: its Kafka topics deleted, the transport closed, its directory removed. */
export async function disposeBenchTransport(
  transport: Transport,
  runId: string,
  dir: string,
  { keepTopics = false } = {},
): Promise<void> {
  if (transport instanceof KafkaTransport && !keepTopics) {
    const admin = await transport.admin();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${runId}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 }).catch(() => undefined);
  }
  await transport.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
