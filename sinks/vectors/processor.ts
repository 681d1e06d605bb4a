import type { Logger } from 'pino';
import type { PrivacyErasure } from '../../schemas/privacy-records';
import type { LeadOutcomeEvent, ScoredLead } from '../../schemas/score-records';
import { defineProcessor } from '../../runtime/processor';
import { ERASED } from '../../runtime/privacy/sealing';
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
 *
 * It also reads the erasure audit (privacy.erasures) and deletes the erased leads' vectors: it is
 * the one writer of the index, so pgvector and Qdrant are erased alike, and within a batch the
 * deletes come last. A scored lead read after its erasure (a late record, a rebuild of the index)
 * is not indexed again: its personal fields then read as erased.
 */
export function vectorSinkProcessor(index: VectorIndex, embedder: Embedder) {
  let ready: Promise<void> | undefined;
  return defineProcessor<ScoredLead | LeadOutcomeEvent | PrivacyErasure>({
    name: VECTOR_SINK,
    // privacy.erasures is keyed by request id, not lead id: this sink keeps no state, so it does
    // not matter which task reads which erasure.
    inputs: [TOPIC.leadsScored, TOPIC.leadOutcomes, TOPIC.privacyErasures],
    outputs: [],
    process() {},
    async flush(records, ctx) {
      const of = <V>(topic: string) =>
        records.filter((r) => r.topic === topic && r.value !== null) as ConsumedRecord<V>[];
      const erased = new Set(of<PrivacyErasure>(TOPIC.privacyErasures).flatMap((r) => r.value.leadIds ?? []));
      const scored = of<ScoredLead>(TOPIC.leadsScored).filter(
        (r) => !erased.has(r.value.leadId) && !readsErased(r.value),
      );
      const outcomes = of<LeadOutcomeEvent>(TOPIC.leadOutcomes).filter((r) => !erased.has(r.value.leadId));
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
        await index.delete([...erased]);
      });
    },
  });
}

/** A lead whose data key is erased: its personal fields (the name, always there) read as erased. */
const readsErased = (lead: ScoredLead) =>
  lead.lead.contact.firstName === ERASED || lead.lead.contact.lastName === ERASED;

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
