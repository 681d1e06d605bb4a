/**
 * Similar-lead search: one interface, two stores. pgvector keeps the vectors in the read-model
 * database (PostgreSQL, or PGlite on the embedded platform); Qdrant is the dedicated vector
 * database of the docker-compose stack.
 */

/** A scored lead's vector and the facts shown next to it. */
export interface LeadVector {
  leadId: string;
  vector: number[];
  line: string;
  vendorId: string;
  score: number;
  scoredAt: number;
}

export interface LeadOutcomeUpdate {
  leadId: string;
  outcome: string;
  at: number;
}

export interface VectorHit {
  leadId: string;
  /** Cosine similarity, 1 = the same direction. */
  similarity: number;
  line: string;
  vendorId: string;
  score: number;
  outcome: string | null;
}

export interface VectorIndex {
  readonly kind: 'pgvector' | 'qdrant';
  /** Creates what is missing; fails if the store already holds vectors of another size. */
  ensure(dimensions: number): Promise<void>;
  /** Idempotent by lead id. */
  upsert(items: readonly LeadVector[]): Promise<void>;
  /** Records each lead's latest outcome (a later `at` wins; an older event changes nothing). */
  setOutcomes(updates: readonly LeadOutcomeUpdate[]): Promise<void>;
  /** Removes the leads' vectors and facts (an erasure); a lead without any is no error. */
  delete(leadIds: readonly string[]): Promise<void>;
  vectorOf(leadId: string): Promise<number[] | null>;
  nearest(vector: readonly number[], k: number, excludeLeadId?: string): Promise<VectorHit[]>;
}

/** Share sold among hits with a final outcome (sold or lost); null when none has one. */
export function neighbourConversionRate(hits: readonly Pick<VectorHit, 'outcome'>[]): number | null {
  const final = hits.filter((h) => h.outcome === 'sold' || h.outcome === 'lost');
  if (final.length === 0) return null;
  return final.filter((h) => h.outcome === 'sold').length / final.length;
}
