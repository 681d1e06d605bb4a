/**
 * Reading provider answers, which arrive as untyped JSON: each helper gives the value when it has
 * the expected type and null otherwise, so a missing or odd field leaves one check undone instead
 * of failing the whole verification.
 */
export function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return null;
    current = (current as Record<string, unknown>)[key];
  }
  return current ?? null;
}

export function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

export function flag(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

export function count(value: unknown): number | null {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : null;
}

/** An ISO 8601 time as epoch ms. */
export function instant(value: unknown): number | null {
  const iso = text(value);
  if (iso === null) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/** Digits only, without the US country code: the form fields the providers fingerprint hold 10 digits. */
export function nationalPhone(e164: string): string {
  const digits = e164.replace(/\D/g, '');
  return digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
}
