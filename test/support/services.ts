import { spawnSync } from 'node:child_process';

/**
 * Whether a TCP service answers, checked synchronously so test files can decide at collection
 * time between running and skipping a suite.
 */
export function reachable(host: string, port: number): boolean {
  const probe = `require('net').connect(${port}, ${JSON.stringify(host)}).on('connect', () => process.exit(0)).on('error', () => process.exit(1));`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 3000 }).status === 0;
}

export const inCI = process.env.CI === 'true';

export const kafkaBrokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/**
 * Integration suites run when their service is up. Outside CI a missing service skips them; in CI
 * (CI=true) it fails them, so a broken service setup can never pass as green.
 */
export function serviceGate(name: string, host: string, port: number): { run: boolean; reason?: string } {
  if (reachable(host, port)) return { run: true };
  const reason = `${name} is not reachable at ${host}:${port} (start it with deploy/local/services.sh up)`;
  if (inCI) return { run: true, reason };
  return { run: false, reason };
}

export function kafkaGate() {
  const [host, port] = kafkaBrokers[0]!.split(':');
  return serviceGate('Kafka', host!, Number(port));
}

export const schemaRegistryUrl = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';

export function schemaRegistryGate() {
  const url = new URL(schemaRegistryUrl);
  return serviceGate('Schema registry', url.hostname, Number(url.port || 80));
}

export const databaseUrl = process.env.DATABASE_URL ?? 'postgres://leadflow:leadflow@127.0.0.1:5432/leadflow';

export function postgresGate() {
  const url = new URL(databaseUrl);
  return serviceGate('PostgreSQL', url.hostname, Number(url.port || 5432));
}

export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function redisGate() {
  const url = new URL(redisUrl);
  return serviceGate('Redis', url.hostname, Number(url.port || 6379));
}

export const neo4jUrl = process.env.NEO4J_URL ?? 'bolt://127.0.0.1:7687';

export function neo4jGate() {
  const url = new URL(neo4jUrl);
  return serviceGate('Neo4j', url.hostname, Number(url.port || 7687));
}
