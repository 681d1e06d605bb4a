import { execFileSync } from 'node:child_process';
import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';
import { reachable } from './services';

/**
 * Jest global setup: where a service the integration suites need is not running locally but a
 * Docker engine is, start it with testcontainers and point the suites at it. Without Docker the
 * suites use deploy/local/services.sh's services (as CI does), and skip or fail via their gates.
 */
const started: StartedTestContainer[] = [];

function dockerEngineAvailable(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

export async function startMissingServices(): Promise<void> {
  const missing = {
    kafka: !process.env.KAFKA_BROKERS && !reachable('127.0.0.1', 9092),
    registry: !process.env.SCHEMA_REGISTRY_URL && !reachable('127.0.0.1', 8081),
  };
  if (!Object.values(missing).some(Boolean) || !dockerEngineAvailable()) return;

  if (missing.kafka) {
    // A fixed host port keeps the advertised listener simple for a single-node test broker.
    const kafka = await new GenericContainer('apache/kafka:4.1.0')
      .withExposedPorts({ container: 9092, host: 9092 })
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
        KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:9092',
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
      .start();
    started.push(kafka);
    process.env.KAFKA_BROKERS = '127.0.0.1:9092';
  }
  if (missing.registry) {
    const registry = await new GenericContainer('apicurio/apicurio-registry:3.0.7')
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
      .start();
    started.push(registry);
    process.env.SCHEMA_REGISTRY_URL = `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`;
  }
}

export async function stopStartedServices(): Promise<void> {
  await Promise.all(started.map((container) => container.stop()));
}
