/**
 * File formats for lead bodies: NDJSON (one JSON body per line) and CSV with a flat column
 * layout in dot notation (contact.firstName, auto.vehicles.0.make, ...). `fromCsvRow` maps a CSV
 * row back to the nested body the lead API takes; the file-upload path uses it. CSV quoting is
 * the csv project's (csv-stringify / csv-parse), not hand-rolled.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

/** The canonical column order; further fields a body has (unknown ones) follow, sorted. */
export const CSV_COLUMNS: readonly string[] = [
  'source.externalId',
  'source.vendorId',
  'source.campaign',
  'source.subId',
  'source.pricePaid',
  'source.receivedAt',
  'line',
  'contact.firstName',
  'contact.lastName',
  'contact.email',
  'contact.phone',
  'contact.addressLine1',
  'contact.addressLine2',
  'contact.city',
  'contact.state',
  'contact.zip',
  'dateOfBirth',
  ...[0, 1, 2].flatMap((i) =>
    ['year', 'make', 'model', 'ownership', 'primaryUse'].map((f) => `auto.vehicles.${i}.${f}`),
  ),
  ...[0, 1].flatMap((i) =>
    [
      'firstName',
      'lastName',
      'dateOfBirth',
      'relationship',
      'gender',
      'maritalStatus',
      'accidents',
      'violations',
    ].map((f) => `auto.drivers.${i}.${f}`),
  ),
  'property.type',
  'property.yearBuilt',
  'property.squareFeet',
  'property.ownership',
  'life.coverageAmount',
  'life.termYears',
  'life.policyType',
  'life.tobacco',
  'health.householdSize',
  'health.annualIncome',
  'health.tobacco',
  'health.preExistingConditions',
  'commercial.businessName',
  'commercial.employees',
  'commercial.industry',
  'commercial.annualRevenue',
  'commercial.yearsInBusiness',
  'coverage.level',
  'coverage.startDate',
  'currentInsurance.currentlyInsured',
  'currentInsurance.insurer',
  'currentInsurance.policyExpiry',
  'currentInsurance.yearsInsured',
  'consent.text',
  'consent.timestamp',
  'consent.certificateId',
  'consent.ipAddress',
  'consent.pageUrl',
  'notes',
];

/** Array indexes above this are taken as object keys, so a hostile column cannot allocate a huge array. */
const MAX_INDEX = 99;
const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

export function toNdjson(leads: readonly unknown[]): string {
  return leads.map((lead) => `${JSON.stringify(lead)}\n`).join('');
}

/** Parses NDJSON text into bodies; blank lines are skipped. Throws on a malformed line, naming it. */
export function fromNdjson(text: string): unknown[] {
  const out: unknown[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line));
    } catch (error) {
      throw new Error(`line ${index + 1}: ${(error as Error).message}`);
    }
  });
  return out;
}

/** Flattens a body into dot-notation paths; scalars become text (numbers and booleans as written in JSON). */
export function flatten(
  value: unknown,
  prefix = '',
  out: Record<string, string> = {},
): Record<string, string> {
  if (value === null || value === undefined) return out;
  if (Array.isArray(value)) {
    value.forEach((item, index) => flatten(item, `${prefix}${index}.`, out));
    return out;
  }
  if (typeof value === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>))
      flatten(item, `${prefix}${key}.`, out);
    return out;
  }
  out[prefix.slice(0, -1)] = typeof value === 'string' ? value : JSON.stringify(value);
  return out;
}

/** CSV text with a header row: the canonical columns plus any other field the bodies have. */
export function toCsv(leads: readonly unknown[]): string {
  const rows = leads.map((lead) => flatten(lead));
  const known = new Set(CSV_COLUMNS);
  const others = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) if (!known.has(key)) others.add(key);
  const columns = [...CSV_COLUMNS, ...[...others].sort()];
  return stringify(
    rows.map((row) => columns.map((column) => row[column] ?? '')),
    { header: true, columns, quoted_match: /^\s|\s$/ },
  );
}

/** Parses CSV text (with a header row) into rows of column -> text. */
export function parseCsv(text: string): Record<string, string>[] {
  return parse(text, {
    columns: true,
    skip_empty_lines: true,
    bom: true,
    relax_column_count: true,
  }) as Record<string, string>[];
}

/**
 * Maps a flat CSV row back to the nested body: "contact.phone" -> { contact: { phone } },
 * "auto.vehicles.0.year" -> { auto: { vehicles: [{ year }] } }. Empty cells are left out; values
 * stay text (the input schema coerces numbers, booleans and dates leniently).
 */
export function fromCsvRow(row: Record<string, string | undefined>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [column, raw] of Object.entries(row)) {
    if (raw === undefined || raw === '') continue;
    const path = column.split('.');
    if (path.some((segment) => segment === '' || FORBIDDEN_KEYS.has(segment))) continue;
    let node: Record<string, unknown> | unknown[] = body;
    path.forEach((segment, depth) => {
      const last = depth === path.length - 1;
      const nextIsIndex = !last && isIndex(path[depth + 1]!);
      const key: string | number = Array.isArray(node) && isIndex(segment) ? Number(segment) : segment;
      const container = node as Record<string | number, unknown>;
      if (last) {
        container[key] = raw;
        return;
      }
      let child = container[key];
      if (typeof child !== 'object' || child === null) {
        child = nextIsIndex ? [] : {};
        container[key] = child;
      }
      node = child as Record<string, unknown> | unknown[];
    });
  }
  return compactArrays(body) as Record<string, unknown>;
}

function isIndex(segment: string): boolean {
  return /^\d{1,2}$/.test(segment) && Number(segment) <= MAX_INDEX;
}

/** Drops the holes a sparse row leaves (vehicles.0 and vehicles.2 filled -> two vehicles). */
function compactArrays(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== undefined).map(compactArrays);
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value))
      (value as Record<string, unknown>)[key] = compactArrays(item);
  }
  return value;
}
