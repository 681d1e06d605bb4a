import type { RecordCodec } from '../../runtime/codec';
import { HEADER, type RawRecord } from '../../runtime/records';
import { dlqTopic } from '../../runtime/topic-spec';
import type { Transport } from '../../runtime/transport';
import type { Graph } from '../../sinks/neo4j/graph';
import type { Queryable } from '../../sinks/postgres/database';

/** One place where a subject's contact details can still be read in plaintext. */
export interface SubjectPlace {
  store: 'topic' | 'table' | 'graph';
  /** The topic (logical name), the table, or the node label. */
  name: string;
  /** Records, rows or nodes holding one of the subject's details. */
  count: number;
}

export interface SubjectStores {
  transport: Transport;
  /** Reads records as their topics' schemas do, personal fields opened with the leads' keys. */
  codec: RecordCodec;
  database?: Queryable;
  graph?: Graph;
}

/** Everything held about a subject (an access request), as JSON. */
export interface SubjectExport {
  records: {
    topic: string;
    partition: number;
    offset: number;
    timestamp: number;
    key: unknown;
    value: unknown;
  }[];
  rows: { table: string; row: Record<string, unknown> }[];
  nodes: { labels: string[]; properties: Record<string, unknown> }[];
}

/**
 * Every place the subject's details (subjectNeedles) can still be read: each topic on the
 * transport, internal ones included (changelogs, dead letters, retry topics), each record read as
 * leadflow reads it (sealed personal fields opened with their lead's key, so a record of an erased
 * lead no longer matches; the copy a dead letter or a parked record holds read as its source
 * topic's), searched in its text; each table of the read-model schema, searched in the text of
 * whole rows; each node of the graph, in its properties. It reads every record of every topic: an
 * operator's tool, as costly as a full scan of the cluster.
 */
export async function findSubject(
  needles: readonly string[],
  stores: SubjectStores,
): Promise<SubjectPlace[]> {
  const places: SubjectPlace[] = [];
  for (const [topic, records] of await recordsHolding(stores, needles))
    places.push({ store: 'topic', name: topic, count: records.length });
  if (stores.database) {
    for (const [table, rows] of await rowsHolding(stores.database, needles))
      places.push({ store: 'table', name: table, count: rows.length });
  }
  if (stores.graph) {
    const byLabel = new Map<string, number>();
    for (const node of await nodesHolding(stores.graph, needles)) {
      const label = node.labels[0] ?? '(no label)';
      byLabel.set(label, (byLabel.get(label) ?? 0) + 1);
    }
    for (const [label, count] of byLabel) places.push({ store: 'graph', name: label, count });
  }
  return places;
}

/**
 * What `findSubject` finds, in full: each record decoded as its topic's schema reads it (records of
 * topics the codec does not know, such as parked retry records, as JSON text when they are, else
 * base64), each row, each node.
 */
export async function exportSubject(
  needles: readonly string[],
  stores: SubjectStores,
): Promise<SubjectExport> {
  const records: SubjectExport['records'] = [];
  for (const [topic, found] of await recordsHolding(stores, needles)) {
    for (const { raw, key, value } of found) {
      records.push({
        topic,
        partition: raw.partition,
        offset: raw.offset,
        timestamp: raw.timestamp,
        key,
        value,
      });
    }
  }
  const rows: SubjectExport['rows'] = [];
  if (stores.database) {
    for (const [table, found] of await rowsHolding(stores.database, needles))
      rows.push(...found.map((row) => ({ table, row })));
  }
  return { records, rows, nodes: stores.graph ? await nodesHolding(stores.graph, needles) : [] };
}

/** The fields of a dead letter (schemas/dead-letter.avsc) that hold its copy of the source record. */
interface DeadLetterCopy {
  sourceTopic: string;
  key: Buffer | null;
  value: Buffer | null;
}

interface ReadableRecord {
  raw: RawRecord;
  key: unknown;
  value: unknown;
}

/**
 * A record as leadflow reads it: decoded with its topic's schema, personal fields opened; a dead
 * letter's or a parked record's copy of its source record read as that topic's; what no schema
 * reads (changelogs' JSON) as JSON text when it is, else base64. A record whose lead's key cannot
 * be found reads as its bytes, which hold no sealed field in plaintext.
 */
async function readable(raw: RawRecord, codec: RecordCodec): Promise<{ key: unknown; value: unknown }> {
  const source = raw.headers[HEADER.retrySource];
  if (source && codec.catalog.has(source)) return decoded({ ...raw, topic: source }, codec);
  const record = await decoded(raw, codec);
  const letter = record.value as Partial<DeadLetterCopy> | null;
  const sourceTopic = letter?.sourceTopic;
  if (sourceTopic && raw.topic === dlqTopic(sourceTopic) && codec.catalog.has(sourceTopic) && letter.value) {
    const copy = await decoded(
      { ...raw, topic: sourceTopic, key: letter.key ?? null, value: letter.value },
      codec,
    );
    return { key: record.key, value: { ...letter, key: copy.key, value: copy.value } };
  }
  return record;
}

async function decoded(raw: RawRecord, codec: RecordCodec): Promise<{ key: unknown; value: unknown }> {
  if (codec.catalog.has(raw.topic) && codec.catalog.get(raw.topic).format === 'avro') {
    try {
      const { key, value } = await codec.decode(raw);
      return { key, value };
    } catch {
      // Unreadable with its schema (or its lead's key is gone missing): shown as bytes below.
    }
  }
  const text = (bytes: Buffer | null): unknown => {
    if (bytes === null) return null;
    const utf8 = bytes.toString('utf8');
    try {
      return JSON.parse(utf8);
    } catch {
      return Buffer.from(utf8, 'utf8').equals(bytes) ? utf8 : { base64: bytes.toString('base64') };
    }
  };
  return { key: text(raw.key), value: text(raw.value) };
}

/** Whether the text holds a needle, compared without case (the needles are lower-case ASCII). */
function holds(text: string, needles: readonly string[]): boolean {
  const lower = text.toLowerCase();
  return needles.some((needle) => lower.includes(needle));
}

async function recordsHolding(stores: SubjectStores, needles: readonly string[]) {
  const found = new Map<string, ReadableRecord[]>();
  for (const { name } of await stores.transport.describeTopics()) {
    const holding: ReadableRecord[] = [];
    for (const raw of await stores.transport.read(name)) {
      const { key, value } = await readable(raw, stores.codec);
      if (holds(JSON.stringify([key, value]), needles)) holding.push({ raw, key, value });
    }
    if (holding.length > 0) found.set(name, holding);
  }
  return found;
}

async function rowsHolding(database: Queryable, needles: readonly string[]) {
  const { rows: tables } = await database.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const patterns = needles.map((needle) => `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const found = new Map<string, Record<string, unknown>[]>();
  for (const { name } of tables) {
    // A whole row as text covers every column, JSON payloads included.
    const { rows } = await database.query<{ row: Record<string, unknown> }>(
      `SELECT row_to_json(r) AS row FROM "${name.replace(/"/g, '""')}" AS r WHERE r::text ILIKE ANY($1)`,
      [patterns],
    );
    if (rows.length > 0)
      found.set(
        name,
        rows.map((r) => r.row),
      );
  }
  return found;
}

async function nodesHolding(graph: Graph, needles: readonly string[]): Promise<SubjectExport['nodes']> {
  return graph.query<{ labels: string[]; properties: Record<string, unknown> }>(
    `MATCH (n) WHERE any(k IN keys(n) WHERE any(needle IN $needles WHERE toLower(toStringOrNull(n[k])) CONTAINS needle))
     RETURN labels(n) AS labels, properties(n) AS properties`,
    { needles: [...needles] },
  );
}
