import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../../config';
import { secretFileInDataDir } from '../../config/secret-file';
import { PrivacyKey, PrivacyKeyError } from '../../runtime/privacy/privacy-key';
import { KeyVault } from '../../runtime/privacy/vault';
import type { Transport } from '../../runtime/transport';
import { platformCatalog, TOPIC } from '../../topics/platform';

/** The file of the data dir where the embedded transport keeps its generated privacy key. */
const PRIVACY_KEY_FILE = 'privacy-key';

/**
 * The privacy master key: LEADFLOW_PRIVACY_KEY. On Kafka every process must hold the same one,
 * so there it must be set. The embedded transport keeps everything in one data dir on one machine,
 * so without it a key is generated once into that dir (readable by its owner only), next to the
 * log whose keys it wraps; a backup of the dir needs it.
 */
export function privacyKey(
  config: Pick<Config, 'LEADFLOW_PRIVACY_KEY' | 'LEADFLOW_TRANSPORT' | 'dataDir'>,
): PrivacyKey {
  if (config.LEADFLOW_PRIVACY_KEY) return PrivacyKey.fromBase64(config.LEADFLOW_PRIVACY_KEY);
  if (config.LEADFLOW_TRANSPORT !== 'embedded')
    throw new PrivacyKeyError(
      'LEADFLOW_PRIVACY_KEY is not set: on Kafka every process needs the same key to read personal ' +
        'fields (32 bytes in base64, e.g. `openssl rand -base64 32`; keep it in your secret store).',
    );
  const text = secretFileInDataDir(config.dataDir, PRIVACY_KEY_FILE, () =>
    randomBytes(32).toString('base64'),
  );
  return PrivacyKey.fromBase64(text);
}

/** This process's key vault, loaded from privacy.keys. */
export async function openKeyVault(
  config: Pick<Config, 'LEADFLOW_PRIVACY_KEY' | 'LEADFLOW_TRANSPORT' | 'dataDir'>,
  transport: Transport,
  log: Logger,
): Promise<KeyVault> {
  return KeyVault.open({
    transport,
    spec: platformCatalog().get(TOPIC.privacyKeys),
    key: privacyKey(config),
    log,
  });
}
