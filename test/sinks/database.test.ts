/**
 * openDatabase on both backends: the same migrations, pgvector, and PGlite's one-process rule.
 */
import fs from 'node:fs';
import { knex as createKnex } from 'knex';
import pg from 'pg';
import { DatabaseBusyError, openDatabase, pgliteDir } from '../../sinks/postgres/database';
import { migrationSource } from '../../sinks/postgres/migrations';
import { databaseUrl } from '../support/services';
import { databasesUnderTest, pgliteDataDir, removePgliteTemplate } from './databases';

jest.setTimeout(120_000);

afterAll(() => removePgliteTemplate());

const TABLES = [
  'agent_tiers',
  'agents',
  'assignments',
  'buyer_returns',
  'community_comments',
  'community_likes',
  'community_posts',
  'do_not_contact',
  'do_not_contact_removals',
  'funnel_daily',
  'lead_events',
  'lead_outcomes',
  'lead_stages',
  'leads',
  'ledger_entries',
  'partners',
  'payouts',
  'privacy_erased_leads',
  'privacy_erasures',
  'referral_events',
  'referrals',
  'reward_balances',
  'rewards_ledger',
];

describe.each(databasesUnderTest().map((choice) => [choice.kind, choice] as const))('%s', (_kind, choice) => {
  beforeAll(() => {
    if (choice.gate.reason) throw new Error(choice.gate.reason);
  });
  const maybe = choice.gate.run ? test : test.skip;

  maybe('the migrations create the read model tables once; opening again applies nothing twice', async () => {
    const { db, config, dispose } = await choice.open();
    try {
      const tables = async () =>
        (
          await db.query<{ table_name: string }>(
            `SELECT table_name FROM information_schema.tables
             WHERE table_schema = $1 AND table_name NOT LIKE 'knex%' ORDER BY 1`,
            [db.schema],
          )
        ).rows.map((r) => r.table_name);
      expect(await tables()).toEqual(TABLES);
      await db.close();
      const again = await openDatabase(config);
      try {
        const applied = await again.query<{ name: string }>('SELECT name FROM knex_migrations ORDER BY id');
        expect(applied.rows.map((r) => r.name)).toEqual([
          '0001_lead_read_models',
          '0002_routing_and_rewards',
          '0003_rewards_and_community',
          '0004_do_not_contact_removals',
          '0005_retention_purge',
          '0006_privacy_erasures',
          '0007_ledger_entries',
          '0008_buyer_returns',
        ]);
      } finally {
        await again.close();
      }
    } finally {
      await dispose();
    }
  });

  maybe('a failed transaction leaves nothing behind', async () => {
    const { db, dispose } = await choice.open();
    try {
      await expect(
        db.transaction(async (tx) => {
          await tx.query("INSERT INTO funnel_daily VALUES ('2026-01-01', 'received', 'v', 'auto', 1)");
          await tx.query('SELECT 1/0');
        }),
      ).rejects.toThrow(/division by zero/);
      expect((await db.query('SELECT * FROM funnel_daily')).rows).toEqual([]);
    } finally {
      await dispose();
    }
  });
});

describe('migrations', () => {
  const postgres = databasesUnderTest()[1]!;

  (postgres.gate.run ? test : test.skip)('roll back to nothing and forward again', async () => {
    if (postgres.gate.reason) throw new Error(postgres.gate.reason);
    const { db, dispose } = await postgres.open();
    const knex = createKnex({
      client: 'pg',
      connection: databaseUrl,
      searchPath: [db.schema],
      pool: { min: 0, max: 1 },
    });
    const tables = async () =>
      (
        await db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name NOT LIKE 'knex%'",
          [db.schema],
        )
      ).rows[0]!.n;
    try {
      await knex.migrate.rollback({ migrationSource }, true);
      expect(await tables()).toBe(0);
      await knex.migrate.latest({ migrationSource });
      expect(await tables()).toBe(TABLES.length);
    } finally {
      await knex.destroy();
      await dispose();
    }
  });
});

describe('pgvector', () => {
  const [pglite, postgres] = databasesUnderTest();

  test('PGlite loads it, so a migration can create the extension', async () => {
    const { db, dispose } = await pglite!.open();
    try {
      await db.query('CREATE EXTENSION IF NOT EXISTS vector');
      const { rows } = await db.query<{ distance: number }>(
        "SELECT '[1,2,3]'::vector <-> '[1,2,5]'::vector AS distance",
      );
      expect(rows[0]!.distance).toBe(2);
    } finally {
      await dispose();
    }
  });

  (postgres!.gate.run ? test : test.skip)(
    'deploy/local/services.sh built it and created it in the leadflow database',
    async () => {
      if (postgres!.gate.reason) throw new Error(postgres!.gate.reason);
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query(
          "SELECT extversion, (SELECT '[3,4]'::public.vector <-> '[0,0]'::public.vector) AS distance FROM pg_extension WHERE extname = 'vector'",
        );
        expect(rows).toEqual([{ extversion: expect.stringMatching(/^\d+\.\d+\.\d+$/), distance: 5 }]);
      } finally {
        await client.end();
      }
    },
  );
});

describe('PGlite belongs to one process', () => {
  test('a second opener is refused with a message naming the owner; after close it opens', async () => {
    const dataDir = await pgliteDataDir();
    try {
      const first = await openDatabase({ dataDir });
      const second = openDatabase({ dataDir });
      await expect(second).rejects.toThrow(DatabaseBusyError);
      await expect(second).rejects.toThrow(`in use by process ${process.pid}`);
      await first.close();
      await (await openDatabase({ dataDir })).close();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a lock left by a process that is gone is taken over', async () => {
    const dataDir = await pgliteDataDir();
    try {
      // Larger than any pid Linux hands out (pid_max is at most 2^22).
      fs.writeFileSync(`${pgliteDir(dataDir)}.lock`, String(2 ** 22 + 1));
      const db = await openDatabase({ dataDir });
      expect(fs.readFileSync(`${pgliteDir(dataDir)}.lock`, 'utf8')).toBe(String(process.pid));
      await db.close();
      expect(fs.existsSync(`${pgliteDir(dataDir)}.lock`)).toBe(false);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
