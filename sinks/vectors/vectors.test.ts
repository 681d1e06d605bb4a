import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import pg from 'pg';
import { Scorer } from '../../models/artifact';
import { loadDefaultModel } from '../../models/default-model';
import { enrichedSample } from '../../processors/score/sample';
import { scoreLead } from '../../processors/score/score';
import { SAMPLE_NOW } from '../../schemas/lead-samples';
import { databaseUrl, inCI, postgresGate } from '../../test/support/services';
import { leadText, LocalEmbedder } from './embedding';
import { neighbourConversionRate, type VectorIndex } from './index';
import { PgVectorIndex } from './pgvector';
import { pointId } from './qdrant';

const scorer = new Scorer(loadDefaultModel());
const scored = (id: string, change: Parameters<typeof enrichedSample>[0]) =>
  scoreLead(enrichedSample(change, id), scorer, SAMPLE_NOW);

const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('local embedding', () => {
  const embedder = new LocalEmbedder(256);
  const base = scored('a', () => undefined);
  const twin = scored('b', (b) => (b.notes = 'Policy expires next month, wants quotes'));
  const other = scored('c', (b) => {
    b.line = 'life';
    delete b.auto;
    b.life = { coverageAmount: 500000, policyType: 'term', termYears: 20 };
    b.contact.state = 'NY';
    b.contact.zip = '10001';
    b.contact.phone = '(212) 555-2671';
    b.notes = 'Just curious about prices';
    b.currentInsurance = { currentlyInsured: false };
  });

  test('is deterministic, unit length, and puts alike leads closer than unlike ones', async () => {
    const [a, b, c] = await embedder.embed([base, twin, other]);
    expect(await embedder.embed([base])).toEqual([a]);
    expect(a).toHaveLength(256);
    expect(Math.hypot(...a!)).toBeCloseTo(1, 10);
    expect(cosine(a!, b!)).toBeGreaterThan(0.8);
    expect(cosine(a!, c!)).toBeLessThan(cosine(a!, b!) - 0.3);
  });

  test('the text sent to an embedding model has no contact details', () => {
    const text = leadText(scored('d', (b) => (b.notes = 'call me at 415-867-5309 or jane@example.com')));
    expect(text).not.toMatch(/867|jane@|O'Brien/);
    expect(text).toContain('[phone]');
  });
});

async function exerciseIndex(index: VectorIndex) {
  const embedder = new LocalEmbedder(64);
  const leads = [
    scored('v1', () => undefined),
    scored('v2', (b) => (b.notes = 'Policy expires next month, price went up')),
    scored('v3', (b) => {
      b.line = 'home';
      delete b.auto;
      b.property = { type: 'single_family', ownership: 'own', yearBuilt: 1990 };
      b.notes = 'Closing on the house Friday';
    }),
  ];
  await index.ensure(64);
  await index.ensure(64); // idempotent
  const vectors = await embedder.embed(leads);
  await index.upsert(
    leads.map((l, i) => ({
      leadId: l.leadId,
      vector: vectors[i]!,
      line: l.classification.line,
      vendorId: l.vendorId,
      score: l.score.score,
      scoredAt: l.scoredAt,
    })),
  );
  // An outcome for a lead not indexed yet, a late older event, and the latest one.
  await index.setOutcomes([
    { leadId: 'v2', outcome: 'sold', at: 2000 },
    { leadId: 'v3', outcome: 'lost', at: 1000 },
  ]);
  await index.setOutcomes([{ leadId: 'v2', outcome: 'contacted', at: 1500 }]);

  const own = await index.vectorOf('v1');
  expect(own).not.toBeNull();
  expect(own![0]).toBeCloseTo(vectors[0]![0]!, 5);
  expect(await index.vectorOf('missing')).toBeNull();

  const hits = await index.nearest(own!, 5, 'v1');
  expect(hits.map((h) => h.leadId)).toEqual(['v2', 'v3']);
  expect(hits[0]).toMatchObject({ line: 'auto', vendorId: 'acme-leads', outcome: 'sold' });
  expect(hits[0]!.similarity).toBeGreaterThan(hits[1]!.similarity);
  expect(neighbourConversionRate(hits)).toBe(0.5);

  await expect(index.ensure(32)).rejects.toThrow(/64-dimensional vectors but the embedder makes 32/);
}

describe('pgvector index on PGlite', () => {
  test('upserts, outcomes (latest wins), nearest neighbours, dimension guard', async () => {
    const db = new PGlite({ extensions: { vector } });
    try {
      await exerciseIndex(new PgVectorIndex(db));
    } finally {
      await db.close();
    }
  });
});

/**
 * Runs when PostgreSQL answers and pgvector is installed in it (deploy/local/services.sh installs
 * it). Outside CI a missing piece skips; in CI it fails.
 */
async function pgvectorAvailable(pool: pg.Pool): Promise<string | null> {
  try {
    const { rows } = await pool.query(
      `SELECT (SELECT count(*) FROM pg_extension WHERE extname = 'vector')::int AS installed,
              (SELECT count(*) FROM pg_available_extensions WHERE name = 'vector')::int AS available`,
    );
    if (rows[0].installed > 0) return null;
    if (rows[0].available === 0) return 'pgvector is not available to this PostgreSQL';
    await pool.query('CREATE EXTENSION IF NOT EXISTS vector');
    return null;
  } catch (error) {
    return `pgvector cannot be used: ${(error as Error).message}`;
  }
}

const postgres = postgresGate();

(postgres.run ? describe : describe.skip)('pgvector index on PostgreSQL', () => {
  test('the same behaviour as on PGlite, in a schema of its own', async () => {
    if (postgres.reason) throw new Error(postgres.reason);
    const schema = `vectors_test_${Date.now().toString(36)}`;
    const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    try {
      const problem = await pgvectorAvailable(admin);
      if (problem) {
        if (inCI) throw new Error(problem);
        console.warn(`skipping: ${problem}`);
        return;
      }
      await admin.query(`CREATE SCHEMA ${schema}`);
      const pool = new pg.Pool({
        connectionString: databaseUrl,
        max: 2,
        options: `-c search_path=${schema}`,
      });
      try {
        await exerciseIndex(new PgVectorIndex(pool));
      } finally {
        await pool.end();
      }
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await admin.end();
    }
  });
});

test('Qdrant point ids are stable RFC 4122 version 5 UUIDs of the lead id', () => {
  const id = pointId('lead-0001');
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(pointId('lead-0001')).toBe(id);
  expect(pointId('lead-0002')).not.toBe(id);
});
