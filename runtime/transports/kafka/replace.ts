import type { Consumer } from 'kafkajs';
import type { Logger } from 'pino';

/**
 * kafkajs leaves a consumer stopped after errors it deems final (KafkaJSGroupCoordinatorNotFound,
 * when a rejoin outlasts its retries while the broker restarts, is one), and a long-lived reader
 * would then sit idle in a live process. This starts new consumers, with a growing pause between
 * attempts, until one runs or `wanted` turns false. `create` builds the consumer (the caller
 * keeps it for disconnecting later), `run` connects and runs it.
 */
export async function replaceStoppedConsumer(options: {
  create: () => Consumer;
  run: (consumer: Consumer) => Promise<void>;
  wanted: () => boolean;
  log: Logger;
  /** Who the consumer reads for, in the log lines. */
  context: Record<string, unknown>;
}): Promise<void> {
  const { create, run, wanted, log, context } = options;
  for (let attempt = 1; wanted(); attempt++) {
    const consumer = create();
    try {
      await run(consumer);
      log.warn({ ...context, attempt }, 'consumer replaced after kafkajs stopped it');
      return;
    } catch (error) {
      log.warn({ err: error, ...context, attempt }, 'replacing the consumer failed; retrying');
      await consumer.disconnect().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 500 * 2 ** attempt)));
    }
  }
}
