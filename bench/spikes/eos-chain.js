/* global process, console, setTimeout */
// Spike for issue 18 (docs/benchmarks.md, 2026-12-05): the engine benchmark's 6-hop stateful chain
// with ONE transactional producer for the whole process and one commit every 100 ms covering every
// partition of every hop, as Kafka Streams' EOS v2 does. It measures what a Kafka client can give
// the engine, without the engine: values pass through as bytes, state is a Map, and each commit
// writes the changed counts to a compacted changelog. Input is produced before the clock starts.
//
//   CLIENT=kafkajs node bench/spikes/eos-chain.js 127.0.0.1:9092 100000
//   CLIENT=confluent NODE_PATH=<dir>/node_modules node bench/spikes/eos-chain.js 127.0.0.1:9092 100000
//
// For CLIENT=confluent, @confluentinc/kafka-javascript is built from source in <dir> (its prebuilt
// binaries are not reachable here): `npm install @confluentinc/kafka-javascript@1.10.1`, then in
// node_modules/@confluentinc/kafka-javascript `CKJS_LINKING=dynamic npx node-pre-gyp install
// --fallback-to-build --build-from-source` (npm 11 does not run its install script unasked).
//
// With kafkajs this is NOT zombie-safe: it has no KIP-447 (TxnOffsetCommit v1 carries no group
// generation), so a process that lost its partitions could still commit offsets for them.
const client = process.env.CLIENT ?? 'kafkajs';
const [brokers = '127.0.0.1:9092', countArg = '50000'] = process.argv.slice(2);
const N = Number(countArg);
const HOPS = 6,
  PARTITIONS = 4,
  KEYS = 1000;
const run = `spike-${client}-${Date.now().toString(36)}`;
const topic = (i) => `${run}.hop${i}`;
const changelog = `${run}.changelog`;

let Kafka, kafka, txnProducerConfig, consumerConfig, sendOffsetsArgs;
if (client === 'confluent') {
  ({ Kafka } = require('@confluentinc/kafka-javascript').KafkaJS);
  kafka = new Kafka({ kafkaJS: { brokers: [brokers], logLevel: 1 } });
  txnProducerConfig = {
    kafkaJS: { transactionalId: `${run}-tx`, idempotent: true, maxInFlightRequests: 1 },
    'linger.ms': 5,
  };
  consumerConfig = {
    kafkaJS: { groupId: `${run}-group`, fromBeginning: true, autoCommit: false },
    'isolation.level': 'read_committed',
  };
  sendOffsetsArgs = (consumer, topics) => ({ consumer, topics });
} else {
  ({ Kafka } = require('kafkajs'));
  kafka = new Kafka({ brokers: [brokers], logLevel: 1 });
  txnProducerConfig = { transactionalId: `${run}-tx`, idempotent: true, maxInFlightRequests: 1 };
  consumerConfig = { groupId: `${run}-group`, readUncommitted: false };
  sendOffsetsArgs = (_consumer, topics) => ({ consumerGroupId: `${run}-group`, topics });
}

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      ...Array.from({ length: HOPS + 1 }, (_, i) => ({ topic: topic(i), numPartitions: PARTITIONS })),
      {
        topic: changelog,
        numPartitions: PARTITIONS,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ],
  });
  // Produce the input first, as the Kafka Streams peer does.
  const plain = client === 'confluent' ? kafka.producer({ 'linger.ms': 5 }) : kafka.producer();
  await plain.connect();
  const payload = 'x'.repeat(200);
  for (let id = 0; id < N;) {
    const messages = [];
    for (const end = Math.min(N, id + 2000); id < end; id++)
      messages.push({ key: `k${id % KEYS}`, value: JSON.stringify({ id, payload }) });
    await plain.send({ topic: topic(0), messages });
  }
  await plain.disconnect();

  const started = Date.now();
  const producer = kafka.producer(txnProducerConfig);
  await producer.connect();
  const consumer = kafka.consumer(consumerConfig);
  await consumer.connect();
  await consumer.subscribe({
    topics: Array.from({ length: HOPS }, (_, i) => topic(i)),
    ...(client === 'kafkajs' ? { fromBeginning: true } : {}),
  });
  const counts = new Map(); // `${hop}/${key}` -> count
  let pending = { messages: new Map(), offsets: new Map(), dirty: new Map() };
  await consumer.run({
    ...(client === 'kafkajs' ? { autoCommit: false } : {}),
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch }) => {
      const hop = Number(batch.topic.slice(batch.topic.lastIndexOf('hop') + 3));
      const out = pending.messages.get(topic(hop + 1)) ?? [];
      for (const m of batch.messages) {
        const key = m.key.toString();
        const state = `${hop}/${key}`;
        const c = (counts.get(state) ?? 0) + 1;
        counts.set(state, c);
        pending.dirty.set(state, { key: state, value: String(c), partition: batch.partition });
        out.push({ key, value: m.value, partition: batch.partition });
      }
      pending.messages.set(topic(hop + 1), out);
      const last = batch.messages[batch.messages.length - 1];
      if (last) pending.offsets.set(`${batch.topic}:${batch.partition}`, Number(last.offset) + 1);
    },
  });

  // The finish line: a read_committed reader of the last hop.
  const reader =
    client === 'confluent'
      ? kafka.consumer({
          kafkaJS: { groupId: `${run}-reader`, fromBeginning: true },
          'isolation.level': 'read_committed',
        })
      : kafka.consumer({ groupId: `${run}-reader`, readUncommitted: false });
  await reader.connect();
  await reader.subscribe({ topics: [topic(HOPS)], ...(client === 'kafkajs' ? { fromBeginning: true } : {}) });
  let seen = 0;
  let finished;
  const done = new Promise((resolve) => (finished = resolve));
  await reader.run({
    eachBatch: async ({ batch }) => {
      seen += batch.messages.length;
      if (seen >= N) finished(Date.now());
    },
  });

  let commits = 0;
  let stopping = false;
  const commitLoop = (async () => {
    while (!stopping) {
      await new Promise((r) => setTimeout(r, 100));
      if (pending.offsets.size === 0) continue;
      const work = pending;
      pending = { messages: new Map(), offsets: new Map(), dirty: new Map() };
      const txn = await producer.transaction();
      const topicMessages = [...work.messages].map(([t, messages]) => ({ topic: t, messages }));
      topicMessages.push({ topic: changelog, messages: [...work.dirty.values()] });
      // One request per 2,000 records: kafkajs sends a whole sendBatch as one produce request.
      const chunks = [];
      for (const { topic: t, messages } of topicMessages)
        for (let i = 0; i < messages.length; i += 2000)
          chunks.push({ topic: t, messages: messages.slice(i, i + 2000) });
      for (const chunk of chunks) await txn.sendBatch({ topicMessages: [chunk] });
      const byTopic = new Map();
      for (const [tp, offset] of work.offsets) {
        const [t, p] = [tp.slice(0, tp.lastIndexOf(':')), Number(tp.slice(tp.lastIndexOf(':') + 1))];
        byTopic.set(t, [...(byTopic.get(t) ?? []), { partition: p, offset: String(offset) }]);
      }
      await txn.sendOffsets(
        sendOffsetsArgs(
          consumer,
          [...byTopic].map(([t, partitions]) => ({ topic: t, partitions })),
        ),
      );
      await txn.commit();
      commits++;
    }
  })();
  const end = await done;
  stopping = true;
  await commitLoop;
  const seconds = (end - started) / 1000;
  console.log(
    JSON.stringify({
      client,
      records: N,
      hops: HOPS,
      partitions: PARTITIONS,
      seconds,
      records_per_s: Math.round(N / seconds),
      commits,
    }),
  );
  await Promise.all([consumer.disconnect(), reader.disconnect(), producer.disconnect()]);
  await admin
    .deleteTopics({ topics: [...Array.from({ length: HOPS + 1 }, (_, i) => topic(i)), changelog] })
    .catch(() => {});
  await admin.disconnect();
  process.exit(0);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
