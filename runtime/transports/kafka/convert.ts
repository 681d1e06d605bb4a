import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { Headers, OutgoingRecord, RawRecord } from '../../records';

export function fromKafka(topic: string, partition: number, message: KafkaMessage): RawRecord {
  return {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    key: message.key,
    value: message.value,
    headers: fromKafkaHeaders(message.headers),
  };
}

function fromKafkaHeaders(headers: IHeaders | undefined): Headers {
  const out: Headers = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const single = Array.isArray(value) ? value[value.length - 1] : value;
    out[name] = Buffer.isBuffer(single) ? single.toString('utf8') : String(single);
  }
  return out;
}

/**
 * Maps the catalogue's topic names, and the runtime's consumer group ids, to the cluster's: a
 * prefix (e.g. `staging.`) lets several deployments, or test runs, share one cluster without
 * seeing each other's topics or joining each other's groups.
 */
export class TopicNames {
  constructor(readonly prefix = '') {}
  physical(name: string): string {
    return `${this.prefix}${name}`;
  }
  /**
   * A consumer group on the cluster (and so its tasks' transactional ids). Two deployments with
   * the same app id would otherwise share a group, each reading half of its own partitions, and
   * each task's producer would fence the other deployment's producer of the same task.
   */
  group(id: string): string {
    return `${this.prefix}${id}`;
  }
  logical(name: string): string {
    return name.startsWith(this.prefix) ? name.slice(this.prefix.length) : name;
  }
  owns(physical: string): boolean {
    return physical.startsWith(this.prefix);
  }
}

/** Groups records by topic in the shape kafkajs' sendBatch takes, with the cluster's topic names. */
export function toTopicMessages(
  records: readonly OutgoingRecord[],
  names: TopicNames,
): { topic: string; messages: Message[] }[] {
  const byTopic = new Map<string, Message[]>();
  for (const record of records) {
    let messages = byTopic.get(record.topic);
    if (!messages) byTopic.set(record.topic, (messages = []));
    messages.push({
      key: record.key,
      value: record.value,
      partition: record.partition,
      headers: record.headers,
      timestamp: String(record.timestamp),
    });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic: names.physical(topic), messages }));
}
