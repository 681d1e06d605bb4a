import type { AvroSchema } from '../../schemas/avro';
import { open, seal } from './privacy-key';

/** What a personal field reads as once its lead is erased. */
export const ERASED = '[erased]';

/** The record field that carries a record's sealed personal fields. */
const SEALED_FIELD = 'sealed';

/**
 * Where a schema's personal fields are: a record field marked `"personal": true` is a leaf (its
 * whole value is sealed: a string, a nullable string or a map of strings); other fields lead to
 * nested records, arrays and maps that hold some.
 */
type Node =
  | { kind: 'leaf'; blank: '' | null | Record<string, never> }
  | { kind: 'record'; fields: Map<string, Node> }
  | { kind: 'array'; items: Node }
  | { kind: 'map'; values: Node };

/** A schema with personal fields: the top-level field naming the lead they belong to, and where they are. */
export interface SealingPlan {
  subjectField: string;
  root: Extract<Node, { kind: 'record' }>;
}

/** One sealed value: its path from the record's root (field names, array indexes, map keys) and value. */
type Entry = [path: (string | number)[], value: unknown];

export class SealingSchemaError extends Error {
  override name = 'SealingSchemaError';
}

/**
 * The sealing plan of a schema: null when it marks no field personal. A schema that does must name
 * its lead in `sealedBy` and have the optional string field `sealed`, and mark only strings,
 * nullable strings or maps as personal (they are left empty on the wire).
 */
export function sealingPlan(schema: AvroSchema): SealingPlan | null {
  const named = new Map<string, Node | null>();
  const root = planOf(schema, named);
  if (root === null) return null;
  const record = schema as { name?: string; sealedBy?: unknown; fields?: { name: string }[] };
  if (root.kind !== 'record' || typeof record.sealedBy !== 'string')
    throw new SealingSchemaError(
      `schema ${record.name ?? '?'} has personal fields but no "sealedBy" field name`,
    );
  const fields = record.fields!.map((f) => f.name);
  if (!fields.includes(record.sealedBy) || !fields.includes(SEALED_FIELD))
    throw new SealingSchemaError(
      `schema ${record.name ?? '?'} with personal fields needs the fields ${record.sealedBy} and ${SEALED_FIELD}`,
    );
  return { subjectField: record.sealedBy, root };
}

function planOf(schema: unknown, named: Map<string, Node | null>): Node | null {
  if (typeof schema === 'string') return named.get(schema) ?? null;
  if (Array.isArray(schema)) {
    const branches = schema.map((branch) => planOf(branch, named)).filter((n): n is Node => n !== null);
    if (branches.length > 1) throw new SealingSchemaError('a union with personal fields in two branches');
    return branches[0] ?? null;
  }
  const type = schema as {
    type: unknown;
    name?: string;
    fields?: unknown[];
    items?: unknown;
    values?: unknown;
  };
  if (type.type === 'record') {
    const fields = new Map<string, Node>();
    for (const field of type.fields as { name: string; type: unknown; personal?: boolean }[]) {
      const node = field.personal ? leafOf(field.name, field.type) : planOf(field.type, named);
      if (node) fields.set(field.name, node);
    }
    const node = fields.size > 0 ? ({ kind: 'record', fields } as const) : null;
    if (type.name) named.set(type.name, node);
    return node;
  }
  if (type.type === 'array') {
    const items = planOf(type.items, named);
    return items ? { kind: 'array', items } : null;
  }
  if (type.type === 'map') {
    const values = planOf(type.values, named);
    return values ? { kind: 'map', values } : null;
  }
  return typeof type.type === 'string' || Array.isArray(type.type) ? planOf(type.type, named) : null;
}

function leafOf(name: string, type: unknown): Node {
  if (type === 'string') return { kind: 'leaf', blank: '' };
  if (Array.isArray(type) && type.length === 2 && type[0] === 'null' && type[1] === 'string')
    return { kind: 'leaf', blank: null };
  if ((type as { type?: unknown }).type === 'map' && (type as { values?: unknown }).values === 'string')
    return { kind: 'leaf', blank: {} };
  throw new SealingSchemaError(
    `personal field ${name} must be a string, a nullable string or a map of strings (it is left empty on the wire)`,
  );
}

/**
 * The record as it goes on the wire: every personal value moved into `sealed`, encrypted with the
 * lead's data key in one go (one cipher per record, not per field), and blanked where it was.
 * Copies what it changes; the caller's value is left as it is. With no key (the lead is erased)
 * the personal values are dropped.
 */
export function sealRecord(
  plan: SealingPlan,
  value: Record<string, unknown>,
  key: Buffer | null,
): Record<string, unknown> {
  const entries: Entry[] = [];
  const out = blankOut(plan.root, value, [], entries) as Record<string, unknown>;
  const leadId = String(value[plan.subjectField]);
  out[SEALED_FIELD] =
    entries.length === 0 || key === null ? null : seal(key, JSON.stringify(entries), leadId);
  return out;
}

/**
 * The record with its personal fields left empty, as a store that must not keep them (a read
 * model) takes it: what the wire carries, without even the sealed copy.
 */
export function withholdPersonal<T>(plan: SealingPlan | null, value: T): T {
  if (!plan || value === null) return value;
  const out = blankOut(plan.root, value, [], []) as Record<string, unknown>;
  delete out[SEALED_FIELD];
  return out as T;
}

function blankOut(node: Node, value: unknown, path: (string | number)[], entries: Entry[]): unknown {
  if (value === null || value === undefined) return value;
  switch (node.kind) {
    case 'leaf':
      if (!isBlank(value)) entries.push([path, value]);
      return node.blank;
    case 'record': {
      const copy = { ...(value as Record<string, unknown>) };
      for (const [name, child] of node.fields)
        copy[name] = blankOut(child, copy[name], [...path, name], entries);
      return copy;
    }
    case 'array':
      return (value as unknown[]).map((item, i) => blankOut(node.items, item, [...path, i], entries));
    case 'map':
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [
          k,
          blankOut(node.values, v, [...path, k], entries),
        ]),
      );
  }
}

const isBlank = (value: unknown) =>
  value === '' || (typeof value === 'object' && value !== null && Object.keys(value).length === 0);

/**
 * The record as processors see it: the sealed values put back (in place: the value is freshly
 * decoded) and the `sealed` field removed. With no key (the lead is erased), personal strings read
 * as ERASED.
 */
export function openRecord(plan: SealingPlan, value: Record<string, unknown>, key: Buffer | null): void {
  const sealed = value[SEALED_FIELD];
  delete value[SEALED_FIELD];
  if (typeof sealed !== 'string') return;
  if (key === null) {
    markErased(plan.root, value);
    return;
  }
  const leadId = String(value[plan.subjectField]);
  for (const [path, plain] of JSON.parse(open(key, sealed, leadId).toString('utf8')) as Entry[]) {
    setAt(value, path, plain);
  }
}

function markErased(node: Node, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  switch (node.kind) {
    case 'leaf':
      return typeof value === 'string' ? ERASED : value;
    case 'record':
      for (const [name, child] of node.fields) {
        const record = value as Record<string, unknown>;
        if (name in record) record[name] = markErased(child, record[name]);
      }
      return value;
    case 'array':
      (value as unknown[]).forEach((item, i, items) => (items[i] = markErased(node.items, item)));
      return value;
    case 'map':
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        (value as Record<string, unknown>)[k] = markErased(node.values, v);
      return value;
  }
}

/** Puts a value back at its path; a path the reader's schema no longer has is skipped. */
function setAt(root: Record<string, unknown>, path: (string | number)[], plain: unknown): void {
  let target: unknown = root;
  for (const step of path.slice(0, -1)) {
    if (target === null || typeof target !== 'object') return;
    target = (target as Record<string | number, unknown>)[step];
  }
  const last = path[path.length - 1]!;
  if (target !== null && typeof target === 'object' && last in (target as object))
    (target as Record<string | number, unknown>)[last] = plain;
}
