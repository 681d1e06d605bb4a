/**
 * Partition for a string key: Kafka's default partitioner (murmur2 of the key bytes, as the Java
 * client and kafkajs compute it), so any Kafka producer puts a key where our processors expect
 * it. We partition on the plain UTF-8 key, not on its serialized form, so the choice does not
 * depend on the schema id in the wire format.
 */
export function partitionFor(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
}

/** The Java client's murmur2 (seed 0x9747b28c), in 32-bit integer arithmetic. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = 0x9747b28c ^ length;
  const whole = length >>> 2;
  for (let i = 0; i < whole; i++) {
    const at = i * 4;
    let k =
      (data[at]! & 0xff) |
      ((data[at + 1]! & 0xff) << 8) |
      ((data[at + 2]! & 0xff) << 16) |
      ((data[at + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = whole * 4;
  const rest = length % 4;
  if (rest === 3) h ^= (data[tail + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[tail + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[tail]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
