import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import { knex as createKnex, type Knex } from 'knex';
import ClientPGlite from 'knex-pglite';
import pg from 'pg';
import type { Config } from '../../config';
import { migrationSource } from './migrations';

/**
 * SQL with `$1`-style parameters against PostgreSQL or PGlite. Rows come back as each driver
 * parses them; where they differ (pg returns bigint and numeric as strings, PGlite as numbers)
 * cast in SQL, e.g. `count(*)::int`.
 */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

/** The read models' database: what the sinks write to and the read API queries. */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** The schema every table lives in. */
  readonly schema: string;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseConfig extends Pick<Config, 'DATABASE_URL' | 'dataDir'> {
  /** Schema for all tables, created when missing (default `public`): tests and the demo use their own. */
  schema?: string;
}

/** Thrown when another process holds the PGlite database. */
export class DatabaseBusyError extends Error {
  override name = 'DatabaseBusyError';
}

/** Where PGlite keeps its data when DATABASE_URL is not set. */
export const pgliteDir = (dataDir: string) => path.join(dataDir, 'pglite');

/**
 * Opens PostgreSQL (DATABASE_URL) or else PGlite under `${dataDir}/pglite`, and brings the schema
 * up to date with the versioned migrations in ./migrations, the same ones on both.
 *
 * PGlite is Postgres compiled to WebAssembly, running inside this process: one process owns it
 * (a lock file next to the data enforces that). While `leadflow start` runs, other commands must
 * go through its HTTP API; a second opener gets a DatabaseBusyError naming the owner.
 */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  const schema = checkedSchema(config.schema ?? 'public');
  return config.DATABASE_URL
    ? openPostgres(config.DATABASE_URL, schema)
    : openPglite(pgliteDir(config.dataDir), schema);
}

/** Drops a schema and everything in it (the demo's fresh start, test clean-up). PostgreSQL only. */
export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(checkedSchema(schema))} CASCADE`);
  } finally {
    await client.end();
  }
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function checkedSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema))
    throw new Error(`database schema "${schema}" must be lower-case letters, digits and underscores`);
  return schema;
}

const quoteIdent = (name: string) => `"${name}"`;

async function openPostgres(url: string, schema: string): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    connectionTimeoutMillis: 5000,
    // A query that never answers (a half-open connection) fails instead of stalling a sink.
    query_timeout: 60_000,
    keepAlive: true,
    options: `-c search_path=${schema}`,
  });
  // An idle client whose server went away reports here; without a listener it would crash the
  // process. The next query reconnects.
  pool.on('error', () => undefined);
  try {
    await withMigrationLock(pool, schema, async () => {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      await migrate(
        createKnex({
          client: 'pg',
          connection: { connectionString: url, connectionTimeoutMillis: 5000 },
          searchPath: [schema],
          pool: { min: 0, max: 1 },
        }),
      );
    });
  } catch (error) {
    await pool.end();
    throw error;
  }
  return {
    kind: 'postgres',
    schema,
    query: async <T>(sql: string, params?: unknown[]) => ({
      rows: (await pool.query(sql, params)).rows as T[],
    }),
    async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      // A connection lost between two statements is reported as an event, not by a query.
      const lost = (error: Error) => (broken = error);
      client.on('error', lost);
      try {
        await client.query('BEGIN');
        const result = await work({
          query: async <R>(sql: string, params?: unknown[]) => ({
            rows: (await client.query(sql, params)).rows as R[],
          }),
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      } finally {
        // A connection that broke or could not even roll back is discarded rather than reused.
        client.off('error', lost);
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

/**
 * Processes of a Kafka deployment start together and would race to migrate; a session advisory
 * lock makes them take turns (knex's own lock table would make the losers fail instead).
 */
async function withMigrationLock(pool: pg.Pool, schema: string, work: () => Promise<void>) {
  const client = await pool.connect();
  let lost: Error | undefined;
  client.on('error', (error: Error) => (lost = error));
  const key = `leadflow-migrations:${schema}`;
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
    await work();
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]).catch(() => undefined);
    client.release(lost);
  }
}

async function openPglite(dir: string, schema: string): Promise<Database> {
  fs.mkdirSync(dir, { recursive: true });
  const releaseLock = lockPglite(dir);
  let db: PGlite | undefined;
  try {
    // pgvector is built into PGlite 0.3; loading it here lets a migration `CREATE EXTENSION vector`.
    db = new PGlite(dir, { extensions: { vector } });
    await db.waitReady;
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await db.query(`SET search_path TO ${quoteIdent(schema)}`);
    const instance = db;
    // knex borrows the instance for the migrations; closing it stays with this module.
    const borrowed = {
      waitReady: instance.waitReady,
      query: instance.query.bind(instance),
      close: async () => undefined,
    };
    await migrate(
      createKnex({
        client: ClientPGlite,
        connection: (() => ({ pglite: borrowed })) as unknown as Knex.StaticConnectionConfig,
        searchPath: [schema],
      }),
    );
  } catch (error) {
    await db?.close().catch(() => undefined);
    releaseLock();
    throw error;
  }
  const instance = db;
  return {
    kind: 'pglite',
    schema,
    query: async <T>(sql: string, params?: unknown[]) => ({
      rows: (await instance.query<T>(sql, params)).rows,
    }),
    // PGlite serialises transactions and queries on its one connection: a query issued while a
    // transaction runs waits for it instead of joining it.
    transaction: <T>(work: (tx: Queryable) => Promise<T>) =>
      instance.transaction((tx) =>
        work({
          query: async <R>(sql: string, params?: unknown[]) => ({
            rows: (await tx.query<R>(sql, params)).rows,
          }),
        }),
      ),
    async close() {
      try {
        await instance.close();
      } finally {
        releaseLock();
      }
    },
  };
}

async function migrate(knex: Knex): Promise<void> {
  try {
    await knex.migrate.latest({ migrationSource });
  } catch (error) {
    // knex's words for it ("the migration directory is corrupt") send people looking for files.
    const missing = /following files are missing: (.*)$/.exec((error as Error).message)?.[1];
    if (missing === undefined) throw error;
    throw new Error(
      `the database schema was migrated by a newer leadflow (${missing}, unknown to this version): ` +
        'run that version or newer, or point LEADFLOW_DATABASE_SCHEMA at another schema',
      { cause: error },
    );
  } finally {
    await knex.destroy();
  }
}

/**
 * Takes `${dir}.lock` for this process; returns its release. A lock left by a process that no
 * longer runs (killed, crashed) is taken over.
 */
function lockPglite(dir: string): () => void {
  const file = `${dir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(fs.readFileSync(file, 'utf8'));
      if (processAlive(owner)) {
        throw new DatabaseBusyError(
          `the PGlite database ${dir} is in use by process ${owner}: PGlite serves one process, ` +
            'so while `leadflow start` runs use its HTTP API, or set DATABASE_URL to use PostgreSQL',
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new DatabaseBusyError(`could not lock the PGlite database ${dir} (${file})`);
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
