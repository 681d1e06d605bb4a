import client from 'prom-client';
import { registry } from '../../runtime/metrics';
import { groupId, type Transport } from '../../runtime/transport';

/** The consumer groups one process reports: its processors, on its transport. */
export interface LagSource {
  transport: Transport;
  appId: string;
  processors: readonly { name: string; inputs: readonly string[] }[];
}

export interface GroupLag {
  group: string;
  topic: string;
  records: number;
}

/**
 * Records each group has yet to read, per input topic: end offsets minus committed offsets,
 * summed over partitions (a partition with no commit yet counts from its start). Both transports
 * answer the two calls it needs, so it reads the same on the embedded log and on Kafka.
 */
export async function consumerLag(source: LagSource): Promise<GroupLag[]> {
  const topics = [...new Set(source.processors.flatMap((p) => p.inputs))];
  const ends = new Map(
    (await source.transport.describeTopics(topics)).map((info) => [info.name, info.endOffsets]),
  );
  const lags: GroupLag[] = [];
  for (const processor of source.processors) {
    const group = groupId(source.appId, processor.name);
    for (const topic of processor.inputs) {
      const endOffsets = ends.get(topic) ?? [];
      const committed = await source.transport.committedOffsets(group, topic);
      const records = endOffsets.reduce(
        (sum, end, partition) => sum + Math.max(0, end - Math.max(0, committed[partition] ?? -1)),
        0,
      );
      lags.push({ group, topic, records });
    }
  }
  return lags;
}

const sources = new Set<LagSource>();

/**
 * Measured when Prometheus scrapes, not on a timer: lag is a gauge of the moment. A transport that
 * does not answer leaves the gauge without that group rather than failing the whole scrape.
 */
new client.Gauge({
  name: 'leadflow_consumer_lag_records',
  help: 'Records a consumer group has not yet committed, per input topic (end offset minus committed offset).',
  labelNames: ['group', 'topic'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const source of sources) {
      try {
        for (const lag of await consumerLag(source))
          this.set({ group: lag.group, topic: lag.topic }, lag.records);
      } catch {
        lagErrors.inc();
      }
    }
  },
});

const lagErrors = new client.Counter({
  name: 'leadflow_consumer_lag_errors_total',
  help: 'Scrapes in which the consumer lag could not be read from the transport.',
  registers: [registry],
});

/** Reports the lag of these processors' groups on /metrics until the returned function is called. */
export function reportConsumerLag(source: LagSource): () => void {
  sources.add(source);
  return () => sources.delete(source);
}
