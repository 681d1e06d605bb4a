/**
 * Column mapping for vendor files whose headers are not leadflow's dot-notation columns:
 * `First Name=contact.firstName,Phone=contact.phone`. Columns without a mapping keep their name,
 * so a file in the generator's layout needs none, and unknown columns still reach `extra`.
 */
import { CSV_COLUMNS } from './format';

export type ColumnMapping = ReadonlyMap<string, string>;

export class MappingError extends Error {
  override name = 'MappingError';
}

/** Column paths with every array index folded to 0: auto.vehicles.7.make -> auto.vehicles.0.make. */
const foldIndexes = (path: string) => path.replace(/\.\d+(?=\.|$)/g, '.0');
const LEAD_COLUMNS = new Set(CSV_COLUMNS.map(foldIndexes));

/** Whether `path` names a field of the lead body (arrays at any index up to 99). */
export function isLeadColumn(path: string): boolean {
  if (/\.\d{3,}(\.|$)/.test(path)) return false;
  return LEAD_COLUMNS.has(foldIndexes(path));
}

/** Parses `source=target,...`; targets must be lead fields, each used once. */
export function parseMapping(spec: string): ColumnMapping {
  const mapping = new Map<string, string>();
  const targets = new Set<string>();
  for (const pair of spec.split(',')) {
    if (pair.trim() === '') continue;
    const equals = pair.indexOf('=');
    if (equals <= 0 || equals === pair.length - 1) {
      throw new MappingError(`"${pair.trim()}" is not of the form column=field`);
    }
    const source = pair.slice(0, equals).trim();
    const target = pair.slice(equals + 1).trim();
    if (!isLeadColumn(target)) {
      throw new MappingError(`"${target}" is not a lead field (see the CSV columns, e.g. contact.phone)`);
    }
    if (mapping.has(source)) throw new MappingError(`column "${source}" is mapped twice`);
    if (targets.has(target)) throw new MappingError(`field "${target}" is the target of two columns`);
    mapping.set(source, target);
    targets.add(target);
  }
  if (mapping.size === 0) throw new MappingError('the mapping is empty');
  return mapping;
}

/**
 * The column names after mapping, for a file's header. Fails when a mapped column is missing
 * from the file, or when a mapped name collides with a column the file already has.
 */
export function mapHeader(header: readonly string[], mapping: ColumnMapping | undefined): string[] {
  if (!mapping) return [...header];
  const present = new Set(header);
  const missing = [...mapping.keys()].filter((source) => !present.has(source));
  if (missing.length > 0) {
    throw new MappingError(`mapped column(s) not in the file: ${missing.map((m) => `"${m}"`).join(', ')}`);
  }
  const mapped = header.map((name) => mapping.get(name) ?? name);
  const seen = new Set<string>();
  for (const name of mapped) {
    if (seen.has(name)) throw new MappingError(`two columns end up as "${name}"`);
    seen.add(name);
  }
  return mapped;
}
