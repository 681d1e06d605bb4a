/**
 * The vector index in PostgreSQL with pgvector: one table, an HNSW index for cosine distance.
 * Works the same on PostgreSQL and on PGlite (which bundles pgvector). The extension may live in
 * another schema than the table (on PostgreSQL a superuser usually installs it in `public`), so
 * the type and operators are qualified with the extension's schema.
 */
import type { Queryable } from '../postgres/database';
import type { LeadOutcomeUpdate, LeadVector, VectorHit, VectorIndex } from './index';

export class PgVectorUnavailableError extends Error {
  override name = 'PgVectorUnavailableError';
}

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class PgVectorIndex implements VectorIndex {
  readonly kind = 'pgvector';
  private vectorSchema: string | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly table = 'lead_vectors',
  ) {
    if (!TABLE_NAME.test(table))
      throw new Error(`table name "${table}" must be lower-case letters, digits and _`);
  }

  /** The extension's schema, quoted, for qualifying its type and operators. */
  private async ns(): Promise<string> {
    this.vectorSchema ??= await this.extensionSchema();
    if (!this.vectorSchema) {
      throw new PgVectorUnavailableError(
        'pgvector is not installed in this database: no leads have been indexed',
      );
    }
    return `"${this.vectorSchema}"`;
  }

  private async extensionSchema(): Promise<string | undefined> {
    const { rows } = await this.db.query<{ schema: string }>(
      `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'vector'`,
    );
    return rows[0]?.schema;
  }

  async ensure(dimensions: number): Promise<void> {
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 16_000)
      throw new Error(`vector dimensions must be 1..16000, got ${dimensions}`);
    await this.install();
    const ns = await this.ns();
    await this.db.query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         lead_id text PRIMARY KEY,
         embedding ${ns}.vector(${dimensions}),
         line text,
         vendor_id text,
         score integer,
         scored_at timestamptz,
         outcome text,
         outcome_at timestamptz
       )`,
    );
    const { rows } = await this.db.query<{ dims: number }>(
      `SELECT atttypmod AS dims FROM pg_attribute
        WHERE attrelid = to_regclass($1) AND attname = 'embedding'`,
      [this.table],
    );
    const existing = Number(rows[0]?.dims);
    if (existing !== dimensions) {
      throw new Error(
        `${this.table} holds ${existing}-dimensional vectors but the embedder makes ${dimensions}; ` +
          `the embedding model changed: drop the table (or use another) and replay leads.scored`,
      );
    }
    await this.db.query(
      `CREATE INDEX IF NOT EXISTS ${this.table}_embedding_hnsw
         ON ${this.table} USING hnsw (embedding ${ns}.vector_cosine_ops)`,
    );
  }

  private async install(): Promise<void> {
    if (await this.extensionSchema()) return;
    try {
      await this.db.query('CREATE EXTENSION IF NOT EXISTS vector');
    } catch (error) {
      throw new PgVectorUnavailableError(
        `pgvector is not installed in this database and could not be created (${(error as Error).message}); ` +
          'a superuser must run CREATE EXTENSION vector (deploy/local/services.sh does)',
      );
    }
  }

  async upsert(items: readonly LeadVector[]): Promise<void> {
    if (items.length === 0) return;
    // Last write per lead within the batch, so one statement never touches a row twice.
    const latest = [...new Map(items.map((item) => [item.leadId, item])).values()];
    await this.db.query(
      `INSERT INTO ${this.table} (lead_id, embedding, line, vendor_id, score, scored_at)
       SELECT id, vec::${await this.ns()}.vector, line, vendor, score, to_timestamp(at / 1000.0)
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::float8[])
           AS t(id, vec, line, vendor, score, at)
       ON CONFLICT (lead_id) DO UPDATE SET embedding = EXCLUDED.embedding, line = EXCLUDED.line,
         vendor_id = EXCLUDED.vendor_id, score = EXCLUDED.score, scored_at = EXCLUDED.scored_at`,
      [
        latest.map((i) => i.leadId),
        latest.map((i) => `[${i.vector.join(',')}]`),
        latest.map((i) => i.line),
        latest.map((i) => i.vendorId),
        latest.map((i) => i.score),
        latest.map((i) => i.scoredAt),
      ],
    );
  }

  async setOutcomes(updates: readonly LeadOutcomeUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const latest = new Map<string, LeadOutcomeUpdate>();
    for (const u of updates)
      if (!latest.has(u.leadId) || latest.get(u.leadId)!.at <= u.at) latest.set(u.leadId, u);
    const rows = [...latest.values()];
    // An outcome may arrive before the lead's vector: the row waits for it with a null embedding.
    await this.db.query(
      `INSERT INTO ${this.table} (lead_id, outcome, outcome_at)
       SELECT id, outcome, to_timestamp(at / 1000.0)
         FROM unnest($1::text[], $2::text[], $3::float8[]) AS t(id, outcome, at)
       ON CONFLICT (lead_id) DO UPDATE SET outcome = EXCLUDED.outcome, outcome_at = EXCLUDED.outcome_at
         WHERE ${this.table}.outcome_at IS NULL OR ${this.table}.outcome_at <= EXCLUDED.outcome_at`,
      [rows.map((r) => r.leadId), rows.map((r) => r.outcome), rows.map((r) => r.at)],
    );
  }

  async delete(leadIds: readonly string[]): Promise<void> {
    if (leadIds.length === 0) return;
    await this.db.query(`DELETE FROM ${this.table} WHERE lead_id = ANY($1::text[])`, [[...leadIds]]);
  }

  async vectorOf(leadId: string): Promise<number[] | null> {
    const { rows } = await this.db.query<{ embedding: string | null }>(
      `SELECT embedding::text AS embedding FROM ${this.table} WHERE lead_id = $1`,
      [leadId],
    );
    const text = rows[0]?.embedding;
    return text ? (JSON.parse(text) as number[]) : null;
  }

  async nearest(vector: readonly number[], k: number, excludeLeadId?: string): Promise<VectorHit[]> {
    const ns = await this.ns();
    const { rows } = await this.db.query<{
      lead_id: string;
      distance: number;
      line: string;
      vendor_id: string;
      score: number;
      outcome: string | null;
    }>(
      `SELECT lead_id, (embedding OPERATOR(${ns}.<=>) $1::${ns}.vector)::float8 AS distance,
              line, vendor_id, score, outcome
         FROM ${this.table}
        WHERE embedding IS NOT NULL AND lead_id <> $2
        ORDER BY embedding OPERATOR(${ns}.<=>) $1::${ns}.vector
        LIMIT $3`,
      [`[${vector.join(',')}]`, excludeLeadId ?? '', k],
    );
    return rows.map((r) => ({
      leadId: r.lead_id,
      similarity: 1 - Number(r.distance),
      line: r.line,
      vendorId: r.vendor_id,
      score: Number(r.score),
      outcome: r.outcome,
    }));
  }
}
