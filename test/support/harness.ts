import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { RecordCodec } from '../../runtime/codec';
import type { Transport } from '../../runtime/transport';
import { EmbeddedTransport } from '../../runtime/transports/embedded';
import { KafkaTransport } from '../../runtime/transports/kafka';
import { BuiltInSchemaRegistry, ConfluentSchemaRegistry, type SchemaRegistry } from '../../runtime/registry';
import type { Catalog } from '../../runtime/catalog';
import { keysOnFirstUse, openTestVault } from './privacy';
import { kafkaBrokers, kafkaGate } from './services';

export const testLog = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/**
 * One transport under test. Every call to `connect` opens a new client on the same underlying
 * log (the same SQLite file, the same Kafka cluster), the way separate processes would.
 */
export interface TransportHarness {
  readonly kind: 'embedded' | 'kafka';
  /** Unique prefix for topic and group names, so runs never see each other's data. */
  readonly prefix: string;
  connect(): Transport;
  /** The registry this transport's tests use: a real one over HTTP for Kafka when configured. */
  registry(transport: Transport): SchemaRegistry;
  /** Environment for a child process that should join the same log. */
  childEnv(): Record<string, string>;
  dispose(): Promise<void>;
}

export interface HarnessChoice {
  kind: 'embedded' | 'kafka';
  gate: { run: boolean; reason?: string };
  create(): TransportHarness;
}

export const SESSION_TIMEOUT_MS = { embedded: 1500, kafka: 6000 } as const;

export function transportsUnderTest(): HarnessChoice[] {
  return [
    { kind: 'embedded', gate: { run: true }, create: embeddedHarness },
    { kind: 'kafka', gate: kafkaGate(), create: kafkaHarness },
  ];
}

function uniquePrefix(): string {
  return `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

function embeddedHarness(): TransportHarness {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-test-'));
  const file = path.join(dir, 'log.sqlite');
  const clients: Transport[] = [];
  return {
    kind: 'embedded',
    prefix: uniquePrefix(),
    connect() {
      const transport = new EmbeddedTransport({
        file,
        sessionTimeoutMs: SESSION_TIMEOUT_MS.embedded,
        heartbeatIntervalMs: 200,
      });
      clients.push(transport);
      return transport;
    },
    registry: (transport) => new BuiltInSchemaRegistry(transport.schemaLog()),
    childEnv: () => ({ LEADFLOW_TRANSPORT: 'embedded', TEST_LOG_FILE: file }),
    async dispose() {
      for (const client of clients) await client.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function kafkaHarness(): TransportHarness {
  const clients: Transport[] = [];
  const prefix = uniquePrefix();
  return {
    kind: 'kafka',
    prefix,
    connect() {
      const transport = new KafkaTransport({
        brokers: kafkaBrokers,
        clientId: 'leadflow-test',
        log: testLog,
        sessionTimeoutMs: SESSION_TIMEOUT_MS.kafka,
        // Each test run gets its own topic namespace on the shared broker.
        topicPrefix: `${prefix}.`,
      });
      clients.push(transport);
      return transport;
    },
    registry: (transport) => testRegistry(transport),
    childEnv: () => ({
      LEADFLOW_TRANSPORT: 'kafka',
      KAFKA_BROKERS: kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: `${prefix}.`,
    }),
    async dispose() {
      for (const client of clients) await client.close().catch(() => undefined);
      // Leave the shared broker as we found it: a broker carrying thousands of test partitions
      // slows every later run.
      const cleaner = new KafkaTransport({
        brokers: kafkaBrokers,
        clientId: 'leadflow-test-cleanup',
        log: testLog,
      });
      const admin = await cleaner.admin();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
      if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 }).catch(() => undefined);
      await cleaner.close();
    },
  };
}

/** SCHEMA_REGISTRY_URL's registry for Kafka runs when set (as in CI), else the built-in one. */
export function testRegistry(transport: Transport): SchemaRegistry {
  return transport.kind === 'kafka' && process.env.SCHEMA_REGISTRY_URL
    ? new ConfluentSchemaRegistry(process.env.SCHEMA_REGISTRY_URL)
    : new BuiltInSchemaRegistry(transport.schemaLog());
}

/**
 * Registry + codec over a transport, for producing and reading test records, and the data keys of
 * the leads it writes (`vault`: give it to the processors under test).
 */
export async function codecFor(transport: Transport, catalog: Catalog, writes: string[]) {
  const registry = testRegistry(transport);
  const vault = await openTestVault(transport);
  const codec = new RecordCodec(catalog, registry, {
    subjectPrefix: transport.topicPrefix,
    keys: keysOnFirstUse(vault, transport),
  });
  await codec.prepare(writes);
  return { registry, codec, vault };
}

/** Decoded values of a topic, all partitions. */
export async function readValues<V>(transport: Transport, codec: RecordCodec, topic: string): Promise<V[]> {
  const raw = await transport.read(topic);
  return Promise.all(raw.map(async (r) => (await codec.decode<V>(r)).value));
}

export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
  what = 'condition',
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
