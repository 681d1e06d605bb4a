import { retry } from '../../retry';

/**
 * The coordinator answers CONCURRENT_TRANSACTIONS while it still completes this producer's previous
 * transaction (writing its markers), and expects the client to retry, as the Java client does.
 * kafkajs retries it for AddPartitionsToTxn but not for AddOffsetsToTxn (kafkajs issue #430). Without
 * this a commit that began while the previous one's markers were still being written failed, and
 * its task was rebuilt from the changelog: in the 100,000-lead crash run assign, whose commits are
 * large, spent minutes doing little else.
 */
export function retryConcurrentTransactions(request: () => Promise<void>): Promise<void> {
  return retry(request, {
    attempts: 10,
    baseDelayMs: 40,
    maxDelayMs: 1000,
    isRetryable: (error) => (error as { type?: string }).type === 'CONCURRENT_TRANSACTIONS',
  });
}
