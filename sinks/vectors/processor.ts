import type { Logger } from 'pino';
import type { LeadOutcomeEvent, ScoredLead } from '../../schemas/score-records';
import { defineProcessor } from '../../runtime/processor';
import { retry } from '../../runtime/retry';
import type { ConsumedRecord } from '../../runtime/records';
import { TOPIC } from '../../topics/platform';
import type { Embedder } from './embedding';
import type { VectorIndex } from './index';

export const VECTOR_SINK = 'vectors';

/**
 * The `vectors` sink: an embedding per scored lead into the vector index, and each lead's latest
 * outcome next to it, so similar-lead search can show how leads like this one ended. Writes are
 * idempotent by lead id; a batch that fails is retried with backoff and, failing that, read again
 * after the task is rebuilt (records wait, they are never dropped).
 */
export function vectorSinkProcessor(index: VectorIndex, embedder: Embedder) {
  let ready: Promise<void> | undefined;
  return defineProcessor<ScoredLead | LeadOutcomeEvent>({
    name: VECTOR_SINK,
    inputs: [TOPIC.leadsScored, TOPIC.leadOutcomes],
    outputs: [],
    process() {},
    async flush(records, ctx) {
      const scored = records.filter((r) => r.topic === TOPIC.leadsScored) as ConsumedRecord<ScoredLead>[];
      const outcomes = records.filter(
        (r) => r.topic === TOPIC.leadOutcomes,
      ) as ConsumedRecord<LeadOutcomeEvent>[];
      await withBackoff(ctx.log, async () => {
        ready ??= embedder.dimensions().then((d) => index.ensure(d));
        await ready.catch((error: unknown) => {
          ready = undefined;
          throw error;
        });
        const leads = scored.map((r) => r.value);
        const vectors = await embedder.embed(leads);
        await index.upsert(
          leads.map((lead, i) => ({
            leadId: lead.leadId,
            vector: vectors[i]!,
            line: lead.classification.line,
            vendorId: lead.vendorId,
            score: lead.score.score,
            scoredAt: lead.scoredAt,
          })),
        );
        await index.setOutcomes(
          outcomes.map((r) => ({ leadId: r.value.leadId, outcome: r.value.status, at: r.value.at })),
        );
      });
    },
  });
}

function withBackoff(log: Logger, write: () => Promise<void>): Promise<void> {
  return retry(write, {
    attempts: 4,
    baseDelayMs: 250,
    maxDelayMs: 4000,
    isRetryable: () => true,
    onRetry: ({ error, attempt, delayMs }) =>
      log.warn({ err: (error as Error).message, attempt, delayMs }, 'vector sink: write failed, retrying'),
  });
}
