/**
 * Runs the assign processor as its own process for the crash test: the parent kills it with
 * SIGKILL in the middle of offers and starts it again.
 */
import { Pipeline } from '../../runtime/pipeline';
import type { Transport } from '../../runtime/transport';
import { EmbeddedTransport } from '../../runtime/transports/embedded';
import { KafkaTransport } from '../../runtime/transports/kafka';
import { SESSION_TIMEOUT_MS, testLog, testRegistry } from './harness';
import { platformCatalog } from '../../topics/platform';
import { parseRoutingConfig } from '../../processors/match/routing-config';
import { assignProcessor } from '../../processors/assign/processor';

async function main() {
  const transport: Transport =
    process.env.LEADFLOW_TRANSPORT === 'kafka'
      ? new KafkaTransport({
          brokers: process.env.KAFKA_BROKERS!.split(','),
          clientId: 'leadflow-test-assign-child',
          log: testLog,
          sessionTimeoutMs: SESSION_TIMEOUT_MS.kafka,
          topicPrefix: process.env.KAFKA_TOPIC_PREFIX,
        })
      : new EmbeddedTransport({
          file: process.env.TEST_LOG_FILE!,
          sessionTimeoutMs: SESSION_TIMEOUT_MS.embedded,
          heartbeatIntervalMs: 200,
        });
  const pipeline = await Pipeline.start({
    appId: process.env.TEST_PREFIX!,
    transport,
    registry: testRegistry(transport),
    catalog: platformCatalog(),
    processors: [assignProcessor(parseRoutingConfig(process.env.ROUTING_CONFIG!)) as never],
    log: testLog,
    run: { maxBatch: 20 },
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
