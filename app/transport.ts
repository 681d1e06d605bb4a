/**
 * The transport and schema registry the configuration asks for: Kafka or the embedded log, a
 * Confluent-compatible registry or the built-in one.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Transport } from '../runtime/transport';
import { EmbeddedTransport, embeddedLogFile } from '../runtime/transports/embedded';
import { KafkaTransport } from '../runtime/transports/kafka';
import { BuiltInSchemaRegistry, ConfluentSchemaRegistry, type SchemaRegistry } from '../runtime/registry';

/** The transport the configuration asks for. */
export function createTransport(config: Config, log: Logger): Transport {
  return config.LEADFLOW_TRANSPORT === 'kafka'
    ? new KafkaTransport({
        brokers: config.KAFKA_BROKERS,
        clientId: config.KAFKA_CLIENT_ID,
        topicPrefix: config.KAFKA_TOPIC_PREFIX,
        instanceId: config.KAFKA_INSTANCE_ID,
        sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
        stateDir: path.join(config.dataDir, 'state'),
        checkpointIntervalMs: config.LEADFLOW_CHECKPOINT_INTERVAL_MS,
        log,
      })
    : new EmbeddedTransport({ file: embeddedLogFile(config.dataDir), log });
}

/** A Confluent-compatible registry when SCHEMA_REGISTRY_URL is set, the built-in one otherwise. */
export function createRegistry(
  config: Pick<Config, 'SCHEMA_REGISTRY_URL'>,
  transport: Transport,
): SchemaRegistry {
  return config.SCHEMA_REGISTRY_URL
    ? new ConfluentSchemaRegistry(config.SCHEMA_REGISTRY_URL)
    : new BuiltInSchemaRegistry(transport.schemaLog());
}
