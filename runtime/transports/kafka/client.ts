import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

// kafkajs logs at ERROR every failed request it is about to retry (coordinator loading, rebalance
// in progress) and warns about settings we chose on purpose. Real failures reach us as errors and
// CRASH events, which the runtime logs itself, so kafkajs' own lines are kept at warn or below.
const EXPECTED_WARNINGS = [/Limiting retries for the idempotent producer/, /switched default partitioner/];

function logCreator(log: Logger) {
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      const quiet = level > logLevel.WARN || EXPECTED_WARNINGS.some((pattern) => pattern.test(message));
      if (quiet) log.debug(rest, `kafkajs: ${message}`);
      else log.warn(rest, `kafkajs: ${message}`);
    };
}

export function createKafka(brokers: string[], clientId: string, log: Logger): Kafka {
  return new Kafka({
    brokers,
    clientId,
    logLevel: logLevel.WARN,
    logCreator: logCreator(log.child({ component: 'kafkajs' })),
    retry: { initialRetryTime: 200, retries: 8 },
    connectionTimeout: 5000,
    requestTimeout: 30000,
  });
}

/**
 * How often a consumer heartbeats: a fifth of the session timeout, so a member is expelled only
 * after several missed heartbeats.
 */
export const heartbeatIntervalMs = (sessionTimeoutMs: number) =>
  Math.max(500, Math.floor(sessionTimeoutMs / 5));
