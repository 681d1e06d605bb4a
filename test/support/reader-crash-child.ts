/**
 * Reads a topic through a KafkaTransport whose reader consumer crashes while it joins, as kafkajs
 * does when JoinGroup fails for good (a coordinator still loading after a broker restart). Run as
 * its own process so that Node's own handling of an unhandled rejection (ending the process) is
 * what the parent observes: it prints the read's error and exits 0 if the process survived.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaTransport } from '../../runtime/transports/kafka';
import { SESSION_TIMEOUT_MS, testLog } from './harness';

async function main() {
  const transport = new KafkaTransport({
    brokers: process.env.KAFKA_BROKERS!.split(','),
    clientId: 'leadflow-test-reader-crash',
    log: testLog,
    sessionTimeoutMs: SESSION_TIMEOUT_MS.kafka,
    topicPrefix: process.env.KAFKA_TOPIC_PREFIX,
  });
  const { kafka } = transport;
  const newConsumer = kafka.consumer.bind(kafka);
  const loading = Object.assign(new Error('The coordinator is loading (injected)'), {
    type: 'GROUP_LOAD_IN_PROGRESS',
  });
  kafka.consumer = (config) => {
    const consumer = newConsumer(config);
    const crashListeners: ((event: never) => void)[] = [];
    const on = consumer.on.bind(consumer);
    consumer.on = ((event: string, listener: (event: never) => void) => {
      if (event === consumer.events.CRASH) crashListeners.push(listener);
      return on(event as never, listener as never);
    }) as typeof consumer.on;
    consumer.run = async () => {
      for (const listener of crashListeners)
        listener({ payload: { error: loading, groupId: config.groupId, restart: false } } as never);
      // kafkajs' run resolves after its crash handler has disconnected the consumer.
      await sleep(100);
    };
    return consumer;
  };
  const outcome = await transport.read(process.env.TEST_TOPIC!).then(
    () => 'read succeeded',
    (error: Error) => `read failed: ${error.message}`,
  );
  await sleep(300);
  process.stdout.write(`${outcome}\n`);
  await transport.close();
}

void main();
