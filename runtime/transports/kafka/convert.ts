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

/** Groups records by topic in the shape kafkajs' sendBatch takes. */
export function toTopicMessages(
  records: readonly OutgoingRecord[],
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
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
