/**
 * Vendors and their API keys, as plain data (the `vendors` topic's records, schemas/vendor.avsc).
 *
 * A key is 32 random bytes (256 bits), and only its SHA-256 is stored. A slow password hash
 * (scrypt, bcrypt) exists to make guessing low-entropy passwords expensive; a random 256-bit key
 * cannot be guessed, so a fast hash loses nothing and lets every request be checked with one
 * hash and one map lookup. The hash of a key is also not reversible, so a leaked topic does not
 * leak working keys.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Vendor, VendorKey } from '../../schemas/vendor-records';

/** API keys start with this, so a bearer token is told apart from a JWT at a glance. */
export const API_KEY_PREFIX = 'lfk_';
const KEY_ID_LENGTH = API_KEY_PREFIX.length + 8;

export const VENDOR_ID_PATTERN = /^[a-z0-9][a-z0-9.-]{0,63}$/;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function isApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/** A new key: shown once to the operator, stored only as its hash. */
export function newApiKey(now: number, random: (n: number) => Buffer = randomBytes) {
  const key = `${API_KEY_PREFIX}${random(32).toString('base64url')}`;
  const stored: VendorKey = {
    keyId: key.slice(0, KEY_ID_LENGTH),
    sha256: hashApiKey(key),
    createdAt: now,
    expiresAt: null,
  };
  return { key, stored };
}

/** A readable, unique vendor id from its name: "Acme Leads, Inc." -> acme-leads-inc-3f9a1c. */
export function vendorIdFor(name: string, random: (n: number) => Buffer = randomBytes): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  const suffix = random(3).toString('hex');
  return slug ? `${slug}-${suffix}` : `vendor-${suffix}`;
}

export function createVendor(fields: {
  vendorId: string;
  name: string;
  rateLimitPerMinute: number | null;
  now: number;
  random?: (n: number) => Buffer;
}): { vendor: Vendor; apiKey: string } {
  if (!VENDOR_ID_PATTERN.test(fields.vendorId)) {
    throw new Error(`vendor id "${fields.vendorId}" must be lower-case letters, digits, dots and dashes`);
  }
  if (fields.name.trim() === '') throw new Error('vendor name must not be empty');
  const { key, stored } = newApiKey(fields.now, fields.random);
  return {
    apiKey: key,
    vendor: {
      vendorId: fields.vendorId,
      name: fields.name.trim(),
      status: 'active',
      keys: [stored],
      rateLimitPerMinute: fields.rateLimitPerMinute,
      createdAt: fields.now,
      rotatedAt: null,
      disabledAt: null,
      webhookUrl: null,
    },
  };
}

/** Sets (or, with null, removes) the vendor's status webhook URL: http(s) only. */
export function setVendorWebhook(vendor: Vendor, url: string | null): Vendor {
  if (url !== null) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`webhook URL "${url}" is not a URL`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new Error(`webhook URL must be http(s), got ${parsed.protocol}`);
    }
  }
  return { ...vendor, webhookUrl: url };
}

/**
 * Issues a new key. The keys in use keep working for `graceMs` (0: stop at once), so a vendor
 * can switch without failed requests; keys that have already expired are dropped.
 */
export function rotateKey(
  vendor: Vendor,
  options: { now: number; graceMs: number; random?: (n: number) => Buffer },
): { vendor: Vendor; apiKey: string } {
  const { key, stored } = newApiKey(options.now, options.random);
  const until = options.now + options.graceMs;
  const kept = vendor.keys
    .filter((k) => k.expiresAt === null || k.expiresAt > options.now)
    .map((k) => ({ ...k, expiresAt: k.expiresAt === null ? until : Math.min(k.expiresAt, until) }))
    .filter((k) => k.expiresAt > options.now);
  return { apiKey: key, vendor: { ...vendor, keys: [...kept, stored], rotatedAt: options.now } };
}

export function setVendorStatus(vendor: Vendor, status: Vendor['status'], now: number): Vendor {
  return { ...vendor, status, disabledAt: status === 'disabled' ? now : null };
}

export type KeyCheck =
  | { ok: true; vendor: Vendor }
  | { ok: false; reason: 'unknown_api_key' | 'api_key_expired' | 'vendor_disabled' };

/** Whether a key (by its hash) authenticates `vendor` at `now`. */
export function checkKey(vendor: Vendor | undefined, sha256: string, now: number): KeyCheck {
  const key = vendor?.keys.find((k) => k.sha256 === sha256);
  if (!vendor || !key) return { ok: false, reason: 'unknown_api_key' };
  if (key.expiresAt !== null && key.expiresAt <= now) return { ok: false, reason: 'api_key_expired' };
  if (vendor.status !== 'active') return { ok: false, reason: 'vendor_disabled' };
  return { ok: true, vendor };
}
