import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed field's text: the prefix, then base64url of IV, ciphertext and GCM tag. */
export const SEALED_PREFIX = 'enc1:';

export class PrivacyKeyError extends Error {
  override name = 'PrivacyKeyError';
}

/**
 * The deployment's privacy master key (LEADFLOW_PRIVACY_KEY). It never encrypts personal data
 * itself: it wraps each lead's own data key (so a leaked key topic is useless without it) and keys
 * the blind indexes that stand in for phones and emails wherever they would be a lookup key.
 * Two sub-keys are derived from it (HKDF-SHA256), one per use, so neither can stand in for the other.
 */
export class PrivacyKey {
  private readonly wrapKey: Buffer;
  private readonly indexKey: Buffer;

  constructor(master: Buffer) {
    if (master.length !== KEY_BYTES)
      throw new PrivacyKeyError(`the privacy key must be ${KEY_BYTES} bytes, got ${master.length}`);
    this.wrapKey = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'leadflow data-key wrap', 32));
    this.indexKey = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'leadflow blind index', 32));
  }

  /** From LEADFLOW_PRIVACY_KEY's text: 32 bytes as base64 (`openssl rand -base64 32`). */
  static fromBase64(text: string): PrivacyKey {
    const bytes = Buffer.from(text.trim(), 'base64');
    if (bytes.length !== KEY_BYTES)
      throw new PrivacyKeyError(
        `LEADFLOW_PRIVACY_KEY must be ${KEY_BYTES} bytes in base64 (e.g. \`openssl rand -base64 32\`), ` +
          `got ${bytes.length} bytes`,
      );
    return new PrivacyKey(bytes);
  }

  /** A fresh random data key for one lead. */
  static newDataKey(): Buffer {
    return randomBytes(KEY_BYTES);
  }

  /** The data key encrypted for storage; bound to its lead, so it cannot be moved to another. */
  wrap(dataKey: Buffer, leadId: string): string {
    return seal(this.wrapKey, dataKey, leadId);
  }

  unwrap(wrapped: string, leadId: string): Buffer {
    return open(this.wrapKey, wrapped, leadId);
  }

  /**
   * A blind index of an identity (e.g. `+14155552671`): HMAC-SHA256, 128 bits in base64url. The
   * same identity always gives the same index, so it works as a key for lookups and joins, but
   * without this key nobody can test a phone number against it (a plain hash of a ten-digit
   * number is reversed by trying them all). Bound, so it can be handed on as a function.
   */
  readonly blind = (identity: string): string =>
    createHmac('sha256', this.indexKey)
      .update(identity, 'utf8')
      .digest()
      .subarray(0, 16)
      .toString('base64url');
}

/** AES-256-GCM of `plaintext` under `key`, the lead id as additional data; SEALED_PREFIX text. */
export function seal(key: Buffer, plaintext: Buffer | string, leadId: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(leadId, 'utf8'));
  const body = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return SEALED_PREFIX + body.toString('base64url');
}

export function open(key: Buffer, sealed: string, leadId: string): Buffer {
  if (!sealed.startsWith(SEALED_PREFIX)) throw new PrivacyKeyError('not a sealed value');
  const body = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64url');
  if (body.length < IV_BYTES + TAG_BYTES) throw new PrivacyKeyError('sealed value is too short');
  const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(leadId, 'utf8'));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new PrivacyKeyError(
      `sealed value of lead ${leadId} does not open with its key (altered, or another lead's)`,
    );
  }
}
