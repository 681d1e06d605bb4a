// kafkajs ships the Java client's murmur2; reusing it keeps our partition choice identical to what
// any Kafka producer (Java, librdkafka in murmur2 mode) picks for the same key bytes.
type Murmur2 = (key: string | Buffer) => number;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const murmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as Murmur2;

/**
 * Partition for a string key. We partition on the plain UTF-8 key, not on its serialized form, so
 * the choice does not depend on the schema id baked into the wire format.
 */
export function partitionFor(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
}
