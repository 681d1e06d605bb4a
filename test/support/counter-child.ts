/**
 * Runs the counter processor as its own process, for the crash tests: the parent kills it with
 * SIGKILL at random moments and starts it again.
 */
import { Pipeline } from '../../runtime/pipeline';
import type { Transport } from '../../runtime/transport';
import { EmbeddedTransport } from '../../runtime/transports/embedded';
import { KafkaTransport } from '../../runtime/transports/kafka';
import { counterProcessor, counterTopics } from './counter';
import { SESSION_TIMEOUT_MS, testLog, testRegistry } from './harness';

async function main() {
  const prefix = process.env.TEST_PREFIX!;
  const transport: Transport =
    process.env.LEADFLOW_TRANSPORT === 'kafka'
      ? new KafkaTransport({
          brokers: process.env.KAFKA_BROKERS!.split(','),
          clientId: 'leadflow-test-child',
          log: testLog,
          sessionTimeoutMs: SESSION_TIMEOUT_MS.kafka,
          topicPrefix: process.env.KAFKA_TOPIC_PREFIX,
        })
      : new EmbeddedTransport({
          file: process.env.TEST_LOG_FILE!,
          sessionTimeoutMs: SESSION_TIMEOUT_MS.embedded,
          heartbeatIntervalMs: 200,
        });
  const topics = counterTopics(prefix);
  const pipeline = await Pipeline.start({
    appId: prefix,
    transport,
    registry: testRegistry(transport),
    catalog: topics.catalog,
    processors: [counterProcessor(topics) as never],
    log: testLog,
    run: { maxBatch: Number(process.env.TEST_MAX_BATCH ?? 100) },
  });
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => {
    void pipeline
      .stop()
      .then(() => transport.close())
      .then(() => process.exit(0));
  });
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
