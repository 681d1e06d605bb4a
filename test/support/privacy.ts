import pino, { type Logger } from 'pino';
import { PrivacyKey } from '../../runtime/privacy/privacy-key';
import { type DataKeys, MissingDataKeyError } from '../../runtime/privacy/data-keys';
import { KeyVault } from '../../runtime/privacy/vault';
import type { Transport } from '../../runtime/transport';
import { platformCatalog, TOPIC } from '../../topics/platform';

/** The privacy master key of tests (fixed bytes, so processes of one test agree). */
export const TEST_PRIVACY_KEY = Buffer.alloc(32, 7).toString('base64');

/** A key vault on the transport's privacy.keys, with the tests' master key. */
export function openTestVault(
  transport: Transport,
  log: Logger = pino({ level: 'silent' }),
): Promise<KeyVault> {
  return KeyVault.open({
    transport,
    spec: platformCatalog().get(TOPIC.privacyKeys),
    key: PrivacyKey.fromBase64(TEST_PRIVACY_KEY),
    log,
  });
}

/**
 * The data keys a test's own codec writes lead records with, as ingress would have: a lead's key
 * is made on first use (and written to privacy.keys behind the scenes). Processors under test get
 * the vault itself, which refuses a lead it has no key for.
 */
export function keysOnFirstUse(vault: KeyVault, transport: Transport): DataKeys {
  let writing = Promise.resolve();
  return {
    keyForWriting(leadId) {
      if (!vault.isErased(leadId)) {
        try {
          return vault.keyForWriting(leadId);
        } catch (error) {
          if (!(error instanceof MissingDataKeyError)) throw error;
          const record = vault.createKey(leadId, Date.now());
          writing = writing.then(() => transport.produce([record]));
        }
      }
      return vault.keyForWriting(leadId);
    },
    keyForReading: (leadId) => vault.keyForReading(leadId),
  };
}

const testKey = PrivacyKey.fromBase64(TEST_PRIVACY_KEY);

/** The blind index of an identity under the tests' key (what the stages key by). */
export const testBlind = testKey.blind;

/** The privacy settings of a test topology: the tests' key. */
export const TEST_PRIVACY_SETTINGS = {
  LEADFLOW_PRIVACY_KEY: TEST_PRIVACY_KEY,
  LEADFLOW_TRANSPORT: 'embedded',
  dataDir: '',
} as const;
