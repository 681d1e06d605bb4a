import type { Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import { retry } from '../../retry';

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
  if (!wanted()) return;
  await retry(
    async (attempt) => {
      const consumer = create();
      try {
        await run(consumer);
      } catch (error) {
        await consumer.disconnect().catch(() => undefined);
        throw error;
      }
      log.warn({ ...context, attempt }, 'consumer replaced after kafkajs stopped it');
    },
    {
      attempts: Infinity,
      baseDelayMs: 1000,
      maxDelayMs: 30_000,
      isRetryable: wanted,
      onRetry: ({ error, attempt }) =>
        log.warn({ err: error, ...context, attempt }, 'replacing the consumer failed; retrying'),
    },
  ).catch((error: unknown) => {
    // No longer wanted: the process is stopping or the reader was closed.
    if (wanted()) throw error;
  });
}
