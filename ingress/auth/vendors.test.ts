import {
  checkKey,
  createVendor,
  hashApiKey,
  isApiKey,
  rotateKey,
  setVendorStatus,
  vendorIdFor,
} from './vendors';

const minute = 60_000;

test('a new vendor gets a random key of which only the hash is kept', () => {
  const { vendor, apiKey } = createVendor({
    vendorId: 'acme',
    name: ' Acme ',
    rateLimitPerMinute: null,
    now: 0,
  });
  expect(isApiKey(apiKey)).toBe(true);
  expect(apiKey.length).toBeGreaterThanOrEqual(40);
  expect(JSON.stringify(vendor)).not.toContain(apiKey.slice(12));
  expect(vendor.keys[0]!.sha256).toBe(hashApiKey(apiKey));
  expect(vendor.name).toBe('Acme');
  expect(checkKey(vendor, hashApiKey(apiKey), 1)).toEqual({ ok: true, vendor });
  expect(createVendor({ vendorId: 'acme', name: 'Acme', rateLimitPerMinute: null, now: 0 }).apiKey).not.toBe(
    apiKey,
  );
  expect(() => createVendor({ vendorId: 'Acme Leads', name: 'x', rateLimitPerMinute: null, now: 0 })).toThrow(
    /lower-case/,
  );
});

test('after a rotation the old key works until the grace period ends, then it has expired', () => {
  const created = createVendor({ vendorId: 'acme', name: 'Acme', rateLimitPerMinute: null, now: 0 });
  const { vendor, apiKey } = rotateKey(created.vendor, { now: 10 * minute, graceMs: 5 * minute });
  const old = hashApiKey(created.apiKey);
  expect(checkKey(vendor, hashApiKey(apiKey), 11 * minute).ok).toBe(true);
  expect(checkKey(vendor, old, 14 * minute).ok).toBe(true);
  expect(checkKey(vendor, old, 15 * minute)).toEqual({ ok: false, reason: 'api_key_expired' });
  // A second rotation drops what has already expired and keeps the grace of the first.
  const again = rotateKey(vendor, { now: 20 * minute, graceMs: 0 });
  expect(again.vendor.keys.map((k) => k.sha256)).toEqual([hashApiKey(again.apiKey)]);
  expect(checkKey(again.vendor, hashApiKey(apiKey), 20 * minute)).toEqual({
    ok: false,
    reason: 'unknown_api_key',
  });
});

test('a disabled vendor is refused even with a valid key, and works again when enabled', () => {
  const { vendor, apiKey } = createVendor({ vendorId: 'acme', name: 'Acme', rateLimitPerMinute: 5, now: 0 });
  const disabled = setVendorStatus(vendor, 'disabled', 1);
  expect(checkKey(disabled, hashApiKey(apiKey), 2)).toEqual({ ok: false, reason: 'vendor_disabled' });
  expect(checkKey(setVendorStatus(disabled, 'active', 3), hashApiKey(apiKey), 4).ok).toBe(true);
  expect(checkKey(undefined, hashApiKey(apiKey), 4)).toEqual({ ok: false, reason: 'unknown_api_key' });
});

test('vendor ids come from the name, with a random suffix', () => {
  expect(vendorIdFor('Acme Leads, Inc.', () => Buffer.from([0xab, 0xcd, 0xef]))).toBe(
    'acme-leads-inc-abcdef',
  );
  expect(vendorIdFor('☃', () => Buffer.from([1, 2, 3]))).toBe('vendor-010203');
});
