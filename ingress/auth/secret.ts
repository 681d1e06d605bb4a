import { randomBytes } from 'node:crypto';
import type { Config } from '../../config';
import { secretFileInDataDir } from '../../config/secret-file';

export class MissingSecretError extends Error {
  override name = 'MissingSecretError';
}

/** Where development mode keeps its generated secret in the data dir (embedded transport only). */
const DEV_SECRET_FILE = 'dev-jwt-secret';

/**
 * The secret JWTs are signed and verified with: LEADFLOW_JWT_SECRET. Without it the API does not
 * start, since every token would be unverifiable, except in explicit development mode (`--dev`)
 * on the embedded transport: a laptop, one data dir. There a random secret is generated once into
 * the data dir (readable by its owner only), so `leadflow start --dev` and
 * `leadflow tokens issue --dev` agree without any setup.
 */
export function jwtSecret(
  config: Pick<Config, 'LEADFLOW_JWT_SECRET' | 'LEADFLOW_TRANSPORT' | 'dataDir'>,
  dev: boolean,
): { secret: string; source: 'environment' | 'development' } {
  if (config.LEADFLOW_JWT_SECRET) return { secret: config.LEADFLOW_JWT_SECRET, source: 'environment' };
  if (!dev || config.LEADFLOW_TRANSPORT !== 'embedded') {
    throw new MissingSecretError(
      'LEADFLOW_JWT_SECRET is not set: the API needs it to verify tokens (at least 32 characters, e.g. ' +
        '`openssl rand -hex 32`).' +
        (config.LEADFLOW_TRANSPORT === 'embedded' ? ' For local development, pass --dev.' : ''),
    );
  }
  const secret = secretFileInDataDir(config.dataDir, DEV_SECRET_FILE, () => randomBytes(32).toString('hex'));
  return { secret, source: 'development' };
}
