import type { Config } from '../config';
import { type Database, openDatabase } from './postgres/database';

export { type Database, openDatabase } from './postgres/database';
export { POSTGRES_SINKS, postgresSinks } from './postgres/processors';

/**
 * The database the sinks write to: PostgreSQL when DATABASE_URL is set, else PGlite under the
 * data dir on the embedded transport. On Kafka without DATABASE_URL there is none: PGlite lives
 * inside one process, and a Kafka deployment is many.
 */
export async function openSinkDatabase(
  config: Pick<Config, 'DATABASE_URL' | 'dataDir' | 'LEADFLOW_TRANSPORT' | 'LEADFLOW_DATABASE_SCHEMA'>,
): Promise<Database | undefined> {
  if (!config.DATABASE_URL && config.LEADFLOW_TRANSPORT === 'kafka') return undefined;
  return openDatabase({ ...config, schema: config.LEADFLOW_DATABASE_SCHEMA });
}
